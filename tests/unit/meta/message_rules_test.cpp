// meta::message_rules: every message type valid, each documented rule broken once (the
// violation names the dotted field path and whether it was missing), the normalized body, and
// every send-request sample in the shared Meta fixtures accepted.
#include <enfinito/meta/message_rules.hpp>

#include "support/temp_dir.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <optional>

namespace {
namespace json = boost::json;
using namespace enfinito::meta;

// ---- valid bodies, one per type ------------------------------------------------------------

const char* const text_body = R"({"to":"+16505551234","type":"text","text":{"body":"hi","preview_url":false}})";
const char* const image_body = R"({"to":"16505551234","type":"image","image":{"id":"1037543291543636","caption":"c"}})";
const char* const document_body =
    R"({"to":"16505551234","type":"document","document":{"link":"https://x.example/a.pdf","caption":"c","filename":"a.pdf"}})";
const char* const audio_body = R"({"to":"16505551234","type":"audio","audio":{"id":"1"}})";
const char* const video_body =
    R"({"to":"16505551234","type":"video","video":{"link":"http://x.example/v.mp4","caption":"c"}})";
const char* const sticker_body = R"({"to":"16505551234","type":"sticker","sticker":{"id":"7"}})";
const char* const location_body =
    R"({"to":"16505551234","type":"location","location":{"latitude":37.75,"longitude":-122.42,"name":"HQ","address":"1 Way"}})";
const char* const contacts_body = R"({"to":"16505551234","type":"contacts","contacts":[{
  "name":{"formatted_name":"John Smith","first_name":"John"},"birthday":"2012-08-18",
  "org":{"company":"WhatsApp"},"addresses":[{"city":"Menlo Park","type":"HOME"}],
  "emails":[{"email":"a@b.c","type":"WORK"}],"phones":[{"phone":"+1 650","type":"HOME"},{"phone":"+1 940","wa_id":"1940"}],
  "urls":[{"url":"https://a.example","type":"WORK"}]}]})";
const char* const reaction_body =
    R"({"to":"16505551234","type":"reaction","reaction":{"message_id":"wamid.A","emoji":"😀"}})";
const char* const button_body = R"({"to":"16505551234","type":"interactive","interactive":{"type":"button",
  "header":{"type":"text","text":"Order"},"body":{"text":"Cancel or keep?"},"footer":{"text":"Lucky"},
  "action":{"buttons":[{"type":"reply","reply":{"id":"cancel","title":"Cancel"}},
                       {"type":"reply","reply":{"id":"keep","title":"Keep order"}}]}}})";
const char* const list_body = R"({"to":"16505551234","type":"interactive","interactive":{"type":"list",
  "header":{"type":"text","text":"Shipping"},"body":{"text":"Which option?"},
  "action":{"button":"Options","sections":[
    {"title":"Fast","rows":[{"id":"a","title":"Express","description":"1 day"},{"id":"b","title":"Priority"}]},
    {"title":"Slow","rows":[{"id":"c","title":"Ground"}]}]}}})";
const char* const cta_body = R"({"to":"16505551234","type":"interactive","interactive":{"type":"cta_url",
  "header":{"type":"image","image":{"link":"https://x.example/b.png"}},"body":{"text":"Tap"},
  "action":{"name":"cta_url","parameters":{"display_text":"See Dates","url":"https://x.example/?a=b"}}}})";
const char* const flow_body = R"({"to":"16505551234","type":"interactive","interactive":{"type":"flow",
  "body":{"text":"Book"},"action":{"name":"flow","parameters":{"flow_message_version":"3","flow_id":"123",
  "flow_cta":"Book!","flow_token":"t","flow_action":"navigate","mode":"published",
  "flow_action_payload":{"screen":"APPOINTMENT","data":{"k":"v"}}}}}})";
const char* const product_body = R"({"to":"16505551234","type":"interactive","interactive":{"type":"product",
  "action":{"catalog_id":"1","product_retailer_id":"sku-1"}}})";
const char* const product_list_body = R"({"to":"16505551234","type":"interactive","interactive":{"type":"product_list",
  "header":{"type":"text","text":"Our picks"},"body":{"text":"Look"},
  "action":{"catalog_id":"1","sections":[{"title":"A","product_items":[{"product_retailer_id":"sku-1"}]}]}}})";
const char* const catalog_body = R"({"to":"16505551234","type":"interactive","interactive":{"type":"catalog_message",
  "body":{"text":"Browse"},"action":{"name":"catalog_message","parameters":{"thumbnail_product_retailer_id":"sku-1"}}}})";
const char* const location_request_body = R"({"to":"16505551234","type":"interactive","interactive":{
  "type":"location_request_message","body":{"text":"Where are you?"},"action":{"name":"send_location"}}})";
const char* const call_permission_body = R"({"to":"16505551234","type":"interactive","interactive":{
  "type":"call_permission_request","body":{"text":"May we call?"},"action":{"name":"call_permission_request"}}})";
const char* const template_body = R"({"to":"16505551234","type":"template","template":{"name":"order_update",
  "language":{"code":"en_US","policy":"deterministic"},"components":[
    {"type":"header","parameters":[{"type":"image","image":{"link":"https://x.example/h.png"}}]},
    {"type":"body","parameters":[{"type":"text","text":"Sheena"},
      {"type":"currency","currency":{"fallback_value":"$1","code":"USD","amount_1000":1000}},
      {"type":"date_time","date_time":{"fallback_value":"Feb 25"}}]},
    {"type":"button","sub_type":"quick_reply","index":"0","parameters":[{"type":"payload","payload":"P"}]},
    {"type":"button","sub_type":"url","index":1,"parameters":[{"type":"text","text":"suffix"}]}]}})";
const char* const carousel_body = R"({"to":"16505551234","type":"template","template":{"name":"c",
  "language":{"code":"en"},"components":[{"type":"body","parameters":[{"type":"text","text":"x"}]},
  {"type":"carousel","cards":[{"card_index":0,"components":[
    {"type":"header","parameters":[{"type":"image","image":{"id":"5"}}]},
    {"type":"button","sub_type":"quick_reply","index":"0","parameters":[{"type":"payload","payload":"p"}]}]}]}]}})";
const char* const mark_read_body = R"({"messaging_product":"whatsapp","status":"read","message_id":"wamid.IN"})";

json::value parse(const char* s) { return json::parse(s); }

// ---- mutations ----------------------------------------------------------------------------

struct removed_t {};
constexpr removed_t removed{};

// A copy of `base` with the value at JSON pointer `ptr` replaced, added, or removed.
json::value patched(const char* base, std::string_view ptr, std::optional<json::value> v) {
  auto doc = parse(base);
  const auto slash = ptr.rfind('/');
  const std::string parent(ptr.substr(0, slash)), key(ptr.substr(slash + 1));
  json::value& p = parent.empty() ? doc : doc.at_pointer(parent);
  if (p.is_object()) {
    if (v)
      p.as_object()[key] = *v;
    else
      p.as_object().erase(key);
  } else {
    auto& a = p.as_array();
    const auto i = std::stoul(key);
    if (!v)
      a.erase(a.begin() + static_cast<std::ptrdiff_t>(i));
    else if (i == a.size())
      a.push_back(*v);
    else
      a[i] = *v;
  }
  return doc;
}
json::value patched(const char* base, std::string_view ptr, removed_t) { return patched(base, ptr, std::nullopt); }
json::value patched(const char* base, std::string_view ptr, const char* v_json) {
  return patched(base, ptr, std::optional<json::value>(json::parse(v_json)));
}

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}
std::string quoted(std::string_view s, std::size_t n) { return "\"" + repeat(s, n) + "\""; }

struct bad_case {
  const char* name;
  json::value body;
  const char* field;
  bool missing;
};

void expect_violation(const bad_case& c) {
  BOOST_TEST_CONTEXT(c.name) {
    auto r = check_message(c.body);
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.error.field == c.field);
    BOOST_TEST(r.error.missing == c.missing);
    BOOST_TEST(!r.error.detail.empty());
  }
}

std::filesystem::path fixtures_dir() { return std::filesystem::path(ENFINITO_SHARED_DIR) / "meta" / "fixtures"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(meta_message_rules)

BOOST_AUTO_TEST_CASE(every_type_passes) {
  const std::pair<const char*, const char*> rows[] = {
      {"text", text_body},
      {"image", image_body},
      {"document", document_body},
      {"audio", audio_body},
      {"video", video_body},
      {"sticker", sticker_body},
      {"location", location_body},
      {"contacts", contacts_body},
      {"reaction", reaction_body},
      {"interactive", button_body},
      {"interactive", list_body},
      {"interactive", cta_body},
      {"interactive", flow_body},
      {"interactive", product_body},
      {"interactive", product_list_body},
      {"interactive", catalog_body},
      {"interactive", location_request_body},
      {"interactive", call_permission_body},
      {"template", template_body},
      {"template", carousel_body},
  };
  for (const auto& [type, body] : rows) {
    BOOST_TEST_CONTEXT(body) {
      auto r = check_message(parse(body));
      BOOST_TEST(r.ok);
      BOOST_TEST(r.error.field == "");
      BOOST_TEST(r.message.type == type);
      BOOST_TEST((r.message.what == checked_message::kind::message));
    }
  }
}

// The template pre-send check reads the parsed `template` object check_message keeps, not a
// second parse of the body: it must be the very object the body sends to Meta.
BOOST_AUTO_TEST_CASE(a_template_message_keeps_its_parsed_template_object) {
  auto r = check_message(parse(template_body));
  BOOST_TEST_REQUIRE(r.ok);
  BOOST_TEST_REQUIRE(r.message.template_object.is_object());
  BOOST_TEST(r.message.template_object == json::parse(r.message.body).at("template"));
  BOOST_TEST(r.message.template_object.at("name") == "order_update");

  auto text = check_message(parse(text_body));
  BOOST_TEST_REQUIRE(text.ok);
  BOOST_TEST(text.message.template_object.is_null());
}

BOOST_AUTO_TEST_CASE(normalizes_the_envelope) {
  auto r = check_message(parse(R"({"to":"+1 (650) 555-1234","text":{"body":"hi"},"x_extra":1})"));
  BOOST_TEST_REQUIRE(r.ok);
  BOOST_TEST(r.message.type == "text");  // Meta's default type
  BOOST_TEST(r.message.to == "+1 (650) 555-1234");
  auto out = json::parse(r.message.body).as_object();
  BOOST_TEST(out.at("messaging_product") == "whatsapp");
  BOOST_TEST(out.at("recipient_type") == "individual");
  BOOST_TEST(out.at("type") == "text");
  BOOST_TEST(out.at("text").at("body") == "hi");
  BOOST_TEST(out.at("x_extra") == 1);  // Meta tolerates extra keys; so do we

  auto g = check_message(
      parse(R"({"recipient_type":"group","to":"Y2FwaV9ncm91cDoxNzA1NTU1MDEzOTo=","type":"text","text":{"body":"g"}})"));
  BOOST_TEST_REQUIRE(g.ok);
  BOOST_TEST(json::parse(g.message.body).at("recipient_type") == "group");

  auto reply = check_message(patched(text_body, "/context", R"({"message_id":"wamid.Q"})"));
  BOOST_TEST_REQUIRE(reply.ok);
  BOOST_TEST(reply.message.message_id == "wamid.Q");

  auto bsuid = check_message(patched(text_body, "/to", R"("US.13491208655302741918")"));
  BOOST_TEST(bsuid.ok);
}

BOOST_AUTO_TEST_CASE(mark_as_read_and_typing) {
  auto r = check_message(parse(mark_read_body));
  BOOST_TEST_REQUIRE(r.ok);
  BOOST_TEST((r.message.what == checked_message::kind::mark_read));
  BOOST_TEST(r.message.message_id == "wamid.IN");
  BOOST_TEST(!r.message.typing_indicator);
  BOOST_TEST(r.message.type == "");

  auto t = check_message(parse(R"({"status":"read","message_id":"wamid.IN","typing_indicator":{"type":"text"}})"));
  BOOST_TEST_REQUIRE(t.ok);
  BOOST_TEST(t.message.typing_indicator);
  BOOST_TEST(json::parse(t.message.body).at("messaging_product") == "whatsapp");

  const bad_case bad[] = {
      {"status not read", patched(mark_read_body, "/status", R"("delivered")"), "status", false},
      {"no message_id", patched(mark_read_body, "/message_id", removed), "message_id", true},
      {"empty message_id", patched(mark_read_body, "/message_id", R"("")"), "message_id", false},
      {"typing type", patched(mark_read_body, "/typing_indicator", R"({"type":"audio"})"), "typing_indicator.type",
       false},
      {"typing not object", patched(mark_read_body, "/typing_indicator", "true"), "typing_indicator", false},
      {"product", patched(mark_read_body, "/messaging_product", R"("sms")"), "messaging_product", false},
  };
  for (const auto& c : bad) expect_violation(c);
}

BOOST_AUTO_TEST_CASE(envelope_rules) {
  const bad_case bad[] = {
      {"not an object", json::value(json::array{1}), "", false},
      {"product", patched(text_body, "/messaging_product", R"("sms")"), "messaging_product", false},
      {"recipient_type", patched(text_body, "/recipient_type", R"("bulk")"), "recipient_type", false},
      {"to missing", patched(text_body, "/to", removed), "to", true},
      {"to number", patched(text_body, "/to", "16505551234"), "to", false},
      {"to empty", patched(text_body, "/to", R"("")"), "to", false},
      {"to symbols", patched(text_body, "/to", R"("1650!5551234")"), "to", false},
      {"to short", patched(text_body, "/to", R"("1234")"), "to", false},
      {"to long", patched(text_body, "/to", R"("123456789012345678901")"), "to", false},
      // E.164 numbers have at most 15 digits (issue 23, finding 7): 16 to 20 are refused,
      // however they are written.
      {"to 16 digits", patched(text_body, "/to", R"("4915112345678901")"), "to", false},
      {"to 16 digits, +", patched(text_body, "/to", R"("+4915112345678901")"), "to", false},
      {"to 16 digits, spaced", patched(text_body, "/to", R"("+49 (151) 1234-5678-901")"), "to", false},
      {"to 20 digits", patched(text_body, "/to", R"("12345678901234567890")"), "to", false},
      {"plus inside", patched(text_body, "/to", R"("1650+5551234")"), "to", false},
      {"type not string", patched(text_body, "/type", "5"), "type", false},
      {"unknown type", patched(text_body, "/type", R"("fax")"), "type", false},
      {"context not object", patched(text_body, "/context", R"("wamid.Q")"), "context", false},
      {"context without id", patched(text_body, "/context", "{}"), "context.message_id", true},
      {"callback data long", patched(text_body, "/biz_opaque_callback_data", quoted("x", 513).c_str()),
       "biz_opaque_callback_data", false},
      {"callback data number", patched(text_body, "/biz_opaque_callback_data", "5"), "biz_opaque_callback_data", false},
  };
  for (const auto& c : bad) expect_violation(c);
  BOOST_TEST(check_message(patched(text_body, "/biz_opaque_callback_data", quoted("x", 512).c_str())).ok);
  // 15 digits is the most E.164 allows, however written; BSUIDs keep their own, longer format.
  for (const char* to :
       {R"("491511234567890")", R"("+491511234567890")", R"("+49 (151) 1234-5678-90")", R"("US.13491208655302741918")"})
    BOOST_TEST(check_message(patched(text_body, "/to", to)).ok, to);
}

BOOST_AUTO_TEST_CASE(text_rules) {
  BOOST_TEST(check_message(patched(text_body, "/text/body", quoted("a", 4096).c_str())).ok);
  // Characters, not bytes: 4096 two-byte characters are fine.
  BOOST_TEST(check_message(patched(text_body, "/text/body", quoted("é", 4096).c_str())).ok);
  const bad_case bad[] = {
      {"no text", patched(text_body, "/text", removed), "text", true},
      {"text not object", patched(text_body, "/text", R"("hi")"), "text", false},
      {"no body", patched(text_body, "/text/body", removed), "text.body", true},
      {"empty body", patched(text_body, "/text/body", R"("")"), "text.body", false},
      {"body too long", patched(text_body, "/text/body", quoted("é", 4097).c_str()), "text.body", false},
      {"preview_url", patched(text_body, "/text/preview_url", R"("yes")"), "text.preview_url", false},
  };
  for (const auto& c : bad) expect_violation(c);
}

BOOST_AUTO_TEST_CASE(media_rules) {
  const bad_case bad[] = {
      {"no image", patched(image_body, "/image", removed), "image", true},
      {"image not object", patched(image_body, "/image", R"("1")"), "image", false},
      {"id and link", patched(image_body, "/image/link", R"("https://x.example/a.png")"), "image", false},
      {"neither", patched(image_body, "/image/id", removed), "image.id", true},
      {"empty id", patched(image_body, "/image/id", R"("")"), "image.id", false},
      {"id number", patched(image_body, "/image/id", "5"), "image.id", false},
      {"ftp link", patched(video_body, "/video/link", R"("ftp://x.example/v.mp4")"), "video.link", false},
      {"link without host", patched(video_body, "/video/link", R"("https:///v.mp4")"), "video.link", false},
      {"link with space", patched(video_body, "/video/link", R"("https://x.example/a b")"), "video.link", false},
      {"caption on audio", patched(audio_body, "/audio/caption", R"("c")"), "audio.caption", false},
      {"caption on sticker", patched(sticker_body, "/sticker/caption", R"("c")"), "sticker.caption", false},
      {"filename on image", patched(image_body, "/image/filename", R"("a.png")"), "image.filename", false},
      {"caption too long", patched(image_body, "/image/caption", quoted("c", 1025).c_str()), "image.caption", false},
      {"document no media", patched(document_body, "/document/link", removed), "document.id", true},
      {"filename number", patched(document_body, "/document/filename", "1"), "document.filename", false},
  };
  for (const auto& c : bad) expect_violation(c);
}

BOOST_AUTO_TEST_CASE(location_rules) {
  BOOST_TEST(check_message(patched(location_body, "/location/latitude", R"("37.5")")).ok);
  BOOST_TEST(check_message(patched(location_body, "/location/name", removed)).ok);
  const bad_case bad[] = {
      {"no location", patched(location_body, "/location", removed), "location", true},
      {"no latitude", patched(location_body, "/location/latitude", removed), "location.latitude", true},
      {"latitude range", patched(location_body, "/location/latitude", "90.5"), "location.latitude", false},
      {"longitude range", patched(location_body, "/location/longitude", "-181"), "location.longitude", false},
      {"latitude text", patched(location_body, "/location/latitude", R"("north")"), "location.latitude", false},
      {"latitude bool", patched(location_body, "/location/latitude", "true"), "location.latitude", false},
      {"name number", patched(location_body, "/location/name", "1"), "location.name", false},
  };
  for (const auto& c : bad) expect_violation(c);
}

BOOST_AUTO_TEST_CASE(contacts_rules) {
  const bad_case bad[] = {
      {"no contacts", patched(contacts_body, "/contacts", removed), "contacts", true},
      {"empty", patched(contacts_body, "/contacts", "[]"), "contacts", false},
      {"not array", patched(contacts_body, "/contacts", "{}"), "contacts", false},
      {"element", patched(contacts_body, "/contacts/0", "1"), "contacts[0]", false},
      {"no name", patched(contacts_body, "/contacts/0/name", removed), "contacts[0].name", true},
      {"no formatted_name", patched(contacts_body, "/contacts/0/name/formatted_name", removed),
       "contacts[0].name.formatted_name", true},
      {"birthday", patched(contacts_body, "/contacts/0/birthday", R"("2012-13-01")"), "contacts[0].birthday", false},
      {"phone element", patched(contacts_body, "/contacts/0/phones/1", "5"), "contacts[0].phones[1]", false},
      {"email value", patched(contacts_body, "/contacts/0/emails/0/email", "1"), "contacts[0].emails[0].email", false},
      {"org", patched(contacts_body, "/contacts/0/org", R"("WhatsApp")"), "contacts[0].org", false},
      {"urls", patched(contacts_body, "/contacts/0/urls", R"("x")"), "contacts[0].urls", false},
  };
  for (const auto& c : bad) expect_violation(c);
}

BOOST_AUTO_TEST_CASE(reaction_rules) {
  BOOST_TEST(check_message(patched(reaction_body, "/reaction/emoji", R"("")")).ok);  // removes a reaction
  const bad_case bad[] = {
      {"no reaction", patched(reaction_body, "/reaction", removed), "reaction", true},
      {"no message_id", patched(reaction_body, "/reaction/message_id", removed), "reaction.message_id", true},
      {"no emoji", patched(reaction_body, "/reaction/emoji", removed), "reaction.emoji", true},
      {"emoji number", patched(reaction_body, "/reaction/emoji", "1"), "reaction.emoji", false},
  };
  for (const auto& c : bad) expect_violation(c);
}

BOOST_AUTO_TEST_CASE(interactive_button_rules) {
  const std::string b3 = R"({"type":"reply","reply":{"id":"third","title":"Third"}})";
  const std::string buttons4 =
      R"([{"type":"reply","reply":{"id":"1","title":"1"}},{"type":"reply","reply":{"id":"2","title":"2"}},
    {"type":"reply","reply":{"id":"3","title":"3"}},{"type":"reply","reply":{"id":"4","title":"4"}}])";
  BOOST_TEST(check_message(patched(button_body, "/interactive/action/buttons/2", b3.c_str())).ok);
  BOOST_TEST(check_message(patched(button_body, "/interactive/header",
                                   R"({"type":"document","document":{"id":"9","filename":"a.pdf"}})"))
                 .ok);
  const char* A = "/interactive/action/buttons/0/reply";
  const bad_case bad[] = {
      {"no interactive", patched(button_body, "/interactive", removed), "interactive", true},
      {"no type", patched(button_body, "/interactive/type", removed), "interactive.type", true},
      {"unknown type", patched(button_body, "/interactive/type", R"("carousel2")"), "interactive.type", false},
      {"no body", patched(button_body, "/interactive/body", removed), "interactive.body", true},
      {"body text long", patched(button_body, "/interactive/body/text", quoted("b", 1025).c_str()),
       "interactive.body.text", false},
      {"footer long", patched(button_body, "/interactive/footer/text", quoted("f", 61).c_str()),
       "interactive.footer.text", false},
      {"footer without text", patched(button_body, "/interactive/footer", "{}"), "interactive.footer.text", true},
      {"header text long", patched(button_body, "/interactive/header/text", quoted("h", 61).c_str()),
       "interactive.header.text", false},
      {"header audio", patched(button_body, "/interactive/header", R"({"type":"audio","audio":{"id":"1"}})"),
       "interactive.header.type", false},
      {"header no type", patched(button_body, "/interactive/header", R"({"text":"x"})"), "interactive.header.type",
       true},
      {"header image missing", patched(button_body, "/interactive/header", R"({"type":"image"})"),
       "interactive.header.image", true},
      {"header image caption",
       patched(button_body, "/interactive/header", R"({"type":"image","image":{"id":"1","caption":"c"}})"),
       "interactive.header.image.caption", false},
      {"no action", patched(button_body, "/interactive/action", removed), "interactive.action", true},
      {"no buttons", patched(button_body, "/interactive/action/buttons", removed), "interactive.action.buttons", true},
      {"zero buttons", patched(button_body, "/interactive/action/buttons", "[]"), "interactive.action.buttons", false},
      {"four buttons", patched(button_body, "/interactive/action/buttons", buttons4.c_str()),
       "interactive.action.buttons", false},
      {"button type", patched(button_body, "/interactive/action/buttons/0/type", R"("url")"),
       "interactive.action.buttons[0].type", false},
      {"no reply", patched(button_body, "/interactive/action/buttons/0/reply", removed),
       "interactive.action.buttons[0].reply", true},
      {"title long", patched(button_body, (std::string(A) + "/title").c_str(), quoted("t", 21).c_str()),
       "interactive.action.buttons[0].reply.title", false},
      {"no title", patched(button_body, (std::string(A) + "/title").c_str(), removed),
       "interactive.action.buttons[0].reply.title", true},
      {"id long", patched(button_body, (std::string(A) + "/id").c_str(), quoted("i", 257).c_str()),
       "interactive.action.buttons[0].reply.id", false},
      {"duplicate id", patched(button_body, "/interactive/action/buttons/1/reply/id", R"("cancel")"),
       "interactive.action.buttons[1].reply.id", false},
      {"duplicate title", patched(button_body, "/interactive/action/buttons/1/reply/title", R"("Cancel")"),
       "interactive.action.buttons[1].reply.title", false},
  };
  for (const auto& c : bad) expect_violation(c);
}

BOOST_AUTO_TEST_CASE(interactive_list_rules) {
  const std::string rows11 = [] {
    std::string s = "[";
    for (int i = 0; i < 11; ++i)
      s += std::string(i ? "," : "") + R"({"id":"r)" + std::to_string(i) + R"(","title":"t"})";
    return s + "]";
  }();
  const std::string sections11 = [] {
    std::string s = "[";
    for (int i = 0; i < 11; ++i)
      s += std::string(i ? "," : "") + R"({"title":"s","rows":[{"id":"r)" + std::to_string(i) + R"(","title":"t"}]})";
    return s + "]";
  }();
  const std::string nine_rows = [] {
    std::string s = "[";
    for (int i = 0; i < 9; ++i)
      s += std::string(i ? "," : "") + R"({"id":"n)" + std::to_string(i) + R"(","title":"t"})";
    return s + "]";
  }();
  // One section may leave out its title.
  BOOST_TEST(
      check_message(patched(list_body, "/interactive/action/sections", R"([{"rows":[{"id":"a","title":"A"}]}])")).ok);
  const char* R0 = "/interactive/action/sections/0/rows/0";
  const bad_case bad[] = {
      {"button long", patched(list_body, "/interactive/action/button", quoted("b", 21).c_str()),
       "interactive.action.button", false},
      {"no button", patched(list_body, "/interactive/action/button", removed), "interactive.action.button", true},
      {"no sections", patched(list_body, "/interactive/action/sections", removed), "interactive.action.sections", true},
      {"eleven sections", patched(list_body, "/interactive/action/sections", sections11.c_str()),
       "interactive.action.sections", false},
      {"eleven rows", patched(list_body, "/interactive/action/sections/0/rows", rows11.c_str()),
       "interactive.action.sections[0].rows", false},
      {"eleven rows in all", patched(list_body, "/interactive/action/sections/1/rows", nine_rows.c_str()),
       "interactive.action.sections[1].rows[8]", false},
      {"no rows", patched(list_body, "/interactive/action/sections/0/rows", "[]"),
       "interactive.action.sections[0].rows", false},
      {"section title long", patched(list_body, "/interactive/action/sections/0/title", quoted("s", 25).c_str()),
       "interactive.action.sections[0].title", false},
      {"section title needed", patched(list_body, "/interactive/action/sections/0/title", removed),
       "interactive.action.sections[0].title", true},
      {"row title long", patched(list_body, (std::string(R0) + "/title").c_str(), quoted("t", 25).c_str()),
       "interactive.action.sections[0].rows[0].title", false},
      {"row description long", patched(list_body, (std::string(R0) + "/description").c_str(), quoted("d", 73).c_str()),
       "interactive.action.sections[0].rows[0].description", false},
      {"row id long", patched(list_body, (std::string(R0) + "/id").c_str(), quoted("i", 201).c_str()),
       "interactive.action.sections[0].rows[0].id", false},
      {"row id duplicate", patched(list_body, "/interactive/action/sections/1/rows/0/id", R"("a")"),
       "interactive.action.sections[1].rows[0].id", false},
      {"image header", patched(list_body, "/interactive/header", R"({"type":"image","image":{"id":"1"}})"),
       "interactive.header.type", false},
  };
  for (const auto& c : bad) expect_violation(c);
}

BOOST_AUTO_TEST_CASE(interactive_cta_flow_and_commerce_rules) {
  auto by_name = patched(flow_body, "/interactive/action/parameters/flow_id", removed);
  by_name.at_pointer("/interactive/action/parameters").as_object()["flow_name"] = "booking";
  BOOST_TEST(check_message(by_name).ok);
  BOOST_TEST(check_message(patched(flow_body, "/interactive/action/parameters/flow_action", R"("data_exchange")")).ok);
  BOOST_TEST(check_message(patched(product_body, "/interactive/body", R"({"text":"x"})")).ok);
  const char* P = "/interactive/action/parameters";
  auto p = [&](const char* leaf) { return std::string(P) + leaf; };
  const bad_case bad[] = {
      {"cta name", patched(cta_body, "/interactive/action/name", R"("cta")"), "interactive.action.name", false},
      {"cta no parameters", patched(cta_body, P, removed), "interactive.action.parameters", true},
      {"cta display long", patched(cta_body, p("/display_text").c_str(), quoted("d", 21).c_str()),
       "interactive.action.parameters.display_text", false},
      {"cta url scheme", patched(cta_body, p("/url").c_str(), R"j("javascript:alert(1)")j"),
       "interactive.action.parameters.url", false},
      {"cta no url", patched(cta_body, p("/url").c_str(), removed), "interactive.action.parameters.url", true},
      {"flow name", patched(flow_body, "/interactive/action/name", R"("flows")"), "interactive.action.name", false},
      {"flow version", patched(flow_body, p("/flow_message_version").c_str(), R"("2")"),
       "interactive.action.parameters.flow_message_version", false},
      {"flow id and name", patched(flow_body, p("/flow_name").c_str(), R"("x")"), "interactive.action.parameters",
       false},
      {"flow neither", patched(flow_body, p("/flow_id").c_str(), removed), "interactive.action.parameters.flow_id",
       true},
      {"flow cta long", patched(flow_body, p("/flow_cta").c_str(), quoted("c", 31).c_str()),
       "interactive.action.parameters.flow_cta", false},
      {"flow action", patched(flow_body, p("/flow_action").c_str(), R"("go")"),
       "interactive.action.parameters.flow_action", false},
      {"flow mode", patched(flow_body, p("/mode").c_str(), R"("live")"), "interactive.action.parameters.mode", false},
      {"flow screen", patched(flow_body, p("/flow_action_payload/screen").c_str(), removed),
       "interactive.action.parameters.flow_action_payload.screen", true},
      {"flow empty data", patched(flow_body, p("/flow_action_payload/data").c_str(), "{}"),
       "interactive.action.parameters.flow_action_payload.data", false},
      {"product catalog", patched(product_body, "/interactive/action/catalog_id", removed),
       "interactive.action.catalog_id", true},
      {"product sku", patched(product_body, "/interactive/action/product_retailer_id", removed),
       "interactive.action.product_retailer_id", true},
      {"product header", patched(product_body, "/interactive/header", R"({"type":"text","text":"x"})"),
       "interactive.header", false},
      {"product list header", patched(product_list_body, "/interactive/header", removed), "interactive.header", true},
      {"product list items", patched(product_list_body, "/interactive/action/sections/0/product_items", "[]"),
       "interactive.action.sections[0].product_items", false},
      {"product list sku", patched(product_list_body, "/interactive/action/sections/0/product_items/0", "{}"),
       "interactive.action.sections[0].product_items[0].product_retailer_id", true},
      {"catalog name", patched(catalog_body, "/interactive/action/name", R"("catalog")"), "interactive.action.name",
       false},
      {"catalog body", patched(catalog_body, "/interactive/body", removed), "interactive.body", true},
      {"location request name", patched(location_request_body, "/interactive/action/name", removed),
       "interactive.action.name", true},
      {"call permission name", patched(call_permission_body, "/interactive/action/name", R"("call")"),
       "interactive.action.name", false},
  };
  for (const auto& c : bad) expect_violation(c);
}

BOOST_AUTO_TEST_CASE(template_rules) {
  BOOST_TEST(
      check_message(
          parse(
              R"({"to":"16505551234","type":"template","template":{"name":"hello_world","language":{"code":"en_US"}}})"))
          .ok);
  // A product-card carousel and a limited-time offer: newer component kinds Meta documents.
  BOOST_TEST(check_message(patched(carousel_body, "/template/components/1/cards/0/components/0/parameters/0",
                                   R"({"type":"product","product":{"product_retailer_id":"sku","catalog_id":"1"}})"))
                 .ok);
  BOOST_TEST(check_message(patched(template_body, "/template/components/4",
                                   R"({"type":"limited_time_offer","parameters":[{"type":"limited_time_offer",
                                       "limited_time_offer":{"expiration_time_ms":1700000000000}}]})"))
                 .ok);
  const char* C = "/template/components";
  auto c = [&](const char* leaf) { return std::string(C) + leaf; };
  const bad_case bad[] = {
      {"no template", patched(template_body, "/template", removed), "template", true},
      {"no name", patched(template_body, "/template/name", removed), "template.name", true},
      {"empty name", patched(template_body, "/template/name", R"("")"), "template.name", false},
      {"no language", patched(template_body, "/template/language", removed), "template.language", true},
      {"language string", patched(template_body, "/template/language", R"("en_US")"), "template.language", false},
      {"no code", patched(template_body, "/template/language/code", removed), "template.language.code", true},
      {"policy", patched(template_body, "/template/language/policy", R"("fallback")"), "template.language.policy",
       false},
      {"components object", patched(template_body, C, "{}"), "template.components", false},
      {"component type", patched(template_body, c("/0/type").c_str(), R"("footer")"), "template.components[0].type",
       false},
      {"component no type", patched(template_body, c("/0/type").c_str(), removed), "template.components[0].type", true},
      {"button sub_type", patched(template_body, c("/2/sub_type").c_str(), removed), "template.components[2].sub_type",
       true},
      {"button sub_type value", patched(template_body, c("/2/sub_type").c_str(), R"("link")"),
       "template.components[2].sub_type", false},
      {"button index", patched(template_body, c("/2/index").c_str(), removed), "template.components[2].index", true},
      {"button index 10", patched(template_body, c("/2/index").c_str(), R"("10")"), "template.components[2].index",
       false},
      {"button index number 10", patched(template_body, c("/3/index").c_str(), "10"), "template.components[3].index",
       false},
      {"parameter type", patched(template_body, c("/1/parameters/0/type").c_str(), R"("emoji")"),
       "template.components[1].parameters[0].type", false},
      {"image in body", patched(template_body, c("/1/parameters/0").c_str(), R"({"type":"image","image":{"id":"1"}})"),
       "template.components[1].parameters[0].type", false},
      {"text missing", patched(template_body, c("/1/parameters/0/text").c_str(), removed),
       "template.components[1].parameters[0].text", true},
      {"currency amount", patched(template_body, c("/1/parameters/1/currency/amount_1000").c_str(), removed),
       "template.components[1].parameters[1].currency.amount_1000", true},
      {"currency amount text", patched(template_body, c("/1/parameters/1/currency/amount_1000").c_str(), R"("1000")"),
       "template.components[1].parameters[1].currency.amount_1000", false},
      {"date_time fallback", patched(template_body, c("/1/parameters/2/date_time/fallback_value").c_str(), removed),
       "template.components[1].parameters[2].date_time.fallback_value", true},
      {"header text long",
       patched(template_body, c("/0/parameters/0").c_str(),
               (R"({"type":"text","text":)" + quoted("h", 61) + "}").c_str()),
       "template.components[0].parameters[0].text", false},
      {"header image both", patched(template_body, c("/0/parameters/0/image/id").c_str(), R"("1")"),
       "template.components[0].parameters[0].image", false},
      {"payload missing", patched(template_body, c("/2/parameters/0/payload").c_str(), removed),
       "template.components[2].parameters[0].payload", true},
      {"parameters object", patched(template_body, c("/1/parameters").c_str(), "{}"),
       "template.components[1].parameters", false},
      {"carousel cards", patched(carousel_body, "/template/components/1/cards", "[]"), "template.components[1].cards",
       false},
      {"card index", patched(carousel_body, "/template/components/1/cards/0/card_index", removed),
       "template.components[1].cards[0].card_index", true},
      {"card button index", patched(carousel_body, "/template/components/1/cards/0/components/1/index", R"("x")"),
       "template.components[1].cards[0].components[1].index", false},
  };
  for (const auto& x : bad) expect_violation(x);
}

BOOST_AUTO_TEST_CASE(recipient_keys) {
  BOOST_TEST(recipient_key("+1 (650) 555-1234") == "16505551234");
  BOOST_TEST(recipient_key("16505551234") == "16505551234");
  BOOST_TEST(recipient_key("US.134912") == "US.134912");
}

// Every send-request sample in the shared Meta fixtures (Meta's own examples) passes.
BOOST_AUTO_TEST_CASE(meta_samples_pass) {
  const auto dir = fixtures_dir();
  if (!std::filesystem::exists(dir)) return;  // the shared fixtures are not on this machine
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (!name.starts_with("send-") || !name.ends_with("-request.json")) continue;
    ++seen;
    BOOST_TEST_CONTEXT(name) {
      auto r = check_message(json::parse(enfinito::test::read_file(entry.path())));
      BOOST_TEST(r.ok);
      BOOST_TEST(r.error.field == "");
      const bool read = name.find("mark-read") != std::string::npos || name.find("typing") != std::string::npos;
      BOOST_TEST((r.message.what == (read ? checked_message::kind::mark_read : checked_message::kind::message)));
    }
  }
  BOOST_TEST(seen >= 20u);
}

BOOST_AUTO_TEST_SUITE_END()
