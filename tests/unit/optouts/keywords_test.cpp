// optouts::keywords: the normalisation every keyword and message goes through, the built-in
// lists, the whole-message match and the texts of an inbound message that are compared.
#include <enfinito/optouts/keywords.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

using namespace enfinito::optouts;

BOOST_AUTO_TEST_SUITE(optouts_keywords)

BOOST_AUTO_TEST_CASE(case_accents_whitespace_and_punctuation_are_normalised) {
  const std::vector<std::pair<std::string, std::string>> table{
      {"stop", "STOP"},
      {"  Stop!  ", "STOP"},
      {"\tSTOP.\n", "STOP"},
      {"*stop*", "STOP"},
      {"stop 🙏", "STOP"},
      {"🛑 STOP 🛑", "STOP"},
      {"Opt-out", "OPT OUT"},
      {"opt   out", "OPT OUT"},
      {"Arrêt", "ARRET"},
      {"ARRÊT", "ARRET"},
      {"Arre\xCC\x82t", "ARRET"},  // decomposed: e + combining circumflex
      {"désabonner", "DESABONNER"},
      {"Straße", "STRASSE"},
      {"Æble", "AEBLE"},
      {"¡Baja!", "BAJA"},
      {"¿parar?", "PARAR"},
      {"Șterge", "STERGE"},
      {"Łódź", "LODZ"},
      {"стоп", "СТОП"},
      {"Стоп!", "СТОП"},
      {"ёлка", "ЕЛКА"},
      {"στοπ", "ΣΤΟΠ"},
      {"ΣΤΆΣΟυ", "ΣΤΑΣΟΥ"},
      {"停止", "停止"},
      {"stop\xC2\xA0"
       "all",
       "STOP ALL"},                   // no-break space
      {"s\xE2\x80\x8Btop", "S TOP"},  // a zero-width space separates
      {"123", "123"},
      {"", ""},
      {" !? ", ""},
  };
  for (const auto& [in, want] : table) BOOST_TEST_CONTEXT(in) {
      BOOST_TEST(normalise(in) == want);
    }
}

BOOST_AUTO_TEST_CASE(invalid_utf8_normalises_to_nothing) {
  BOOST_TEST(normalise("st\xFFop").empty());
  BOOST_TEST(normalise("\xC3").empty());              // truncated
  BOOST_TEST(normalise("\xC0\xAF").empty());          // overlong '/'
  BOOST_TEST(normalise("\xED\xA0\x80stop").empty());  // a surrogate
}

BOOST_AUTO_TEST_CASE(the_built_in_lists_are_normalised_and_disjoint) {
  for (const auto* list : {&default_stop_keywords(), &default_start_keywords()}) {
    BOOST_TEST(!list->empty());
    for (const auto& k : *list) BOOST_TEST_CONTEXT(k) {
        BOOST_TEST(normalise(k) == k);
      }
  }
  for (const auto& k : default_stop_keywords())
    for (const auto& s : default_start_keywords()) BOOST_TEST(k != s);
  const auto& stop = default_stop_keywords();
  for (std::string want : {"STOP", "UNSUBSCRIBE", "PARAR", "BAJA", "ARRET", "STOPP", "СТОП"}) BOOST_TEST_CONTEXT(want) {
      BOOST_TEST((std::find(stop.begin(), stop.end(), want) != stop.end()));
    }
  // "cancel" means an order in a shop's chat, not the channel: not a default.
  BOOST_TEST((std::find(stop.begin(), stop.end(), "CANCEL") == stop.end()));
}

BOOST_AUTO_TEST_CASE(only_the_whole_message_matches) {
  const keyword_set k{default_stop_keywords(), default_start_keywords()};
  BOOST_TEST(static_cast<int>(match({normalise("Stop!")}, k).what) == static_cast<int>(verdict::opt_out));
  BOOST_TEST(match({normalise("Stop!")}, k).keyword == "STOP");
  BOOST_TEST(static_cast<int>(match({normalise("arrêt")}, k).what) == static_cast<int>(verdict::opt_out));
  BOOST_TEST(static_cast<int>(match({normalise("start")}, k).what) == static_cast<int>(verdict::opt_in));
  BOOST_TEST(static_cast<int>(match({normalise("please don't stop")}, k).what) == static_cast<int>(verdict::none));
  BOOST_TEST(static_cast<int>(match({normalise("stopping")}, k).what) == static_cast<int>(verdict::none));
  BOOST_TEST(static_cast<int>(match({}, k).what) == static_cast<int>(verdict::none));
  // The first text that is a keyword decides.
  BOOST_TEST(static_cast<int>(match({"HELLO", "START", "STOP"}, k).what) == static_cast<int>(verdict::opt_in));
  // Custom lists replace the built-in ones.
  const keyword_set custom{{"BASTA"}, {"AVANTI"}};
  BOOST_TEST(static_cast<int>(match({"STOP"}, custom).what) == static_cast<int>(verdict::none));
  BOOST_TEST(static_cast<int>(match({"BASTA"}, custom).what) == static_cast<int>(verdict::opt_out));
}

BOOST_AUTO_TEST_CASE(texts_replies_and_buttons_are_candidates) {
  BOOST_TEST(candidates("text", R"({"from":"1","type":"text","text":{"body":" Stop! "}})") ==
             std::vector<std::string>{"STOP"});
  // A template's quick-reply button (Meta's fixture: payload and text "Unsubscribe").
  BOOST_TEST(candidates("button", R"({"type":"button","button":{"payload":"Unsubscribe","text":"Unsubscribe"}})") ==
             std::vector<std::string>{"UNSUBSCRIBE"});
  BOOST_TEST(candidates("button", R"({"type":"button","button":{"payload":"OPT_OUT","text":"No more offers"}})") ==
             (std::vector<std::string>{"OPT OUT", "NO MORE OFFERS"}));
  BOOST_TEST(
      candidates(
          "interactive",
          R"({"type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"stop","title":"Stop"}}})") ==
      std::vector<std::string>{"STOP"});
  BOOST_TEST(
      candidates(
          "interactive",
          R"({"interactive":{"type":"list_reply","list_reply":{"id":"x1","title":"Baja","description":"d"}}})") ==
      (std::vector<std::string>{"X1", "BAJA"}));
  // Other types, unreadable bodies and long texts are never compared.
  BOOST_TEST(candidates("image", R"({"image":{"caption":"stop"}})").empty());
  BOOST_TEST(candidates("reaction", R"({"reaction":{"emoji":"🛑"}})").empty());
  BOOST_TEST(candidates("text", "not json").empty());
  BOOST_TEST(candidates("text", R"({"text":{"body":42}})").empty());
  BOOST_TEST(candidates("text", "{\"text\":{\"body\":\"" + std::string(70, 'a') + "\"}}").empty());
  BOOST_TEST(candidates("text", "{\"text\":{\"body\":\"" + std::string(2000, ' ') + "stop\"}}").empty());
}

BOOST_AUTO_TEST_CASE(keyword_lists_are_checked_and_normalised) {
  std::string why;
  auto ok = clean_keywords({"Basta!", "basta", "Arrêt", "opt-out"}, why);
  BOOST_REQUIRE(ok);
  BOOST_TEST(*ok == (std::vector<std::string>{"BASTA", "ARRET", "OPT OUT"}));
  BOOST_TEST(clean_keywords({}, why).has_value());  // an empty list: no keyword of that kind
  BOOST_TEST(!clean_keywords({"!!"}, why));
  BOOST_TEST(!why.empty());
  BOOST_TEST(!clean_keywords({std::string(65, 'a')}, why));
  BOOST_TEST(clean_keywords({std::string(64, 'a')}, why).has_value());
  std::vector<std::string> many;
  for (int i = 0; i < 51; ++i) many.push_back("K" + std::to_string(i));
  BOOST_TEST(!clean_keywords(many, why));
  many.pop_back();
  BOOST_TEST(clean_keywords(many, why).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
