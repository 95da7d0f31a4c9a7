// optouts::list on a real database file: a keyword in an inbound message changes the list in
// the write that stores the message (with its event and audit entry), once; the settings turn
// keywords off or replace them; single template sends to a listed number are refused by the
// instance's rule, in the accept write, with nothing stored.
#include "support/manual_clock.hpp"
#include "support/temp_store.hpp"

#include <enfinito/meta/message_rules.hpp>
#include <enfinito/optouts/error.hpp>
#include <enfinito/optouts/list.hpp>
#include <enfinito/outbound/accept.hpp>
#include <enfinito/store/inbound.hpp>
#include <enfinito/store/messages.hpp>
#include <enfinito/store/optouts.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace enfinito;
namespace json = boost::json;

namespace {

struct list_fixture {
  test::temp_store ts;
  test::manual_clock clock;
  store::inbound::owner owner{"ins_a", "usr_a"};
  int seq = 0;

  list_fixture() {
    ts.add_users();
    ts.add_instance("ins_a", "usr_a", "la");
    ts.add_instance("ins_b", "usr_a", "lb");
  }

  // The customer `from` writes `text` to ins_a: the inbound write as inbound/receive runs it.
  store::inbound::outcome customer_writes(const std::string& from, const std::string& text, std::string wamid = {}) {
    store::inbound::message m;
    m.id = "msg_in" + std::to_string(++seq);
    m.wamid = wamid.empty() ? "wamid." + std::to_string(seq) : wamid;
    m.peer = from;
    m.type = "text";
    m.body = json::serialize(json::object{{"from", from}, {"type", "text"}, {"text", {{"body", text}}}});
    const auto texts = optouts::candidates(m.type, m.body);
    store::inbound::outcome out;
    BOOST_REQUIRE(!ts.db->write_sync([&](store::connection& c) -> core::error_code {
      const auto before = out.stored;
      if (auto ec = store::inbound::store_message(c, owner, m, clock.now(), out)) return ec;
      if (out.stored == before) return {};
      return optouts::on_inbound(c, owner, m, texts, clock.now(), out);
    }));
    return out;
  }
  bool listed(const std::string& wa_id, const std::string& instance = "ins_a") {
    bool yes = false;
    BOOST_REQUIRE(!ts.db->read_sync([&](store::connection& c) -> core::error_code {
      auto r = optouts::is_opted_out(c, instance, wa_id);
      if (!r) return r.error();
      yes = *r;
      return {};
    }));
    return yes;
  }
  std::int64_t events(const std::string& type) {
    return ts.scalar("SELECT COUNT(*) FROM events WHERE type = '" + type + "'");
  }
  void settings(const std::string& enforce, bool enabled = true, const std::string& stop = "NULL") {
    ts.exec(
        "INSERT OR REPLACE INTO optout_settings(instance_id, enabled, stop_keywords, start_keywords, enforce, "
        "updated_at) VALUES('ins_a', " +
        std::string(enabled ? "1" : "0") + ", " + stop + ", NULL, '" + enforce + "', 1)");
  }
  core::error_code check(const std::string& to, const std::string& body_json) {
    auto checked = meta::check_message(json::parse(body_json));
    BOOST_REQUIRE(checked.ok);
    store::messages::message m;
    m.instance_id = "ins_a";
    m.peer = meta::recipient_key(checked.message.to);
    m.type = checked.message.type;
    m.body = checked.message.body;
    (void)to;
    return ts.db->write_sync([&](store::connection& c) { return optouts::check_single_send(c, m); });
  }
};

std::string template_to(const std::string& to) {
  return R"({"messaging_product":"whatsapp","to":")" + to +
         R"(","type":"template","template":{"name":"offer","language":{"code":"en_US"}}})";
}
std::string text_to(const std::string& to) {
  return R"({"messaging_product":"whatsapp","to":")" + to + R"(","type":"text","text":{"body":"hi"}})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(optouts_list)

BOOST_FIXTURE_TEST_CASE(a_stop_message_lists_the_sender_with_its_event_and_audit_entry, list_fixture) {
  auto out = customer_writes("4915112345678", "Stop!");
  BOOST_TEST(out.stored == 1u);
  BOOST_TEST(out.events == 2u);  // message.received, optout.added
  BOOST_TEST(listed("4915112345678"));
  BOOST_TEST(!listed("4915112345678", "ins_b"));  // per instance
  BOOST_TEST(ts.text("SELECT source || ' ' || keyword || ' ' || message_id FROM optouts") == "keyword STOP msg_in1");
  BOOST_TEST(ts.scalar("SELECT created_at FROM optouts") == clock.now());
  auto data = json::parse(ts.text("SELECT data FROM events WHERE type = 'optout.added'")).as_object();
  BOOST_TEST(data.at("wa_id").as_string() == "4915112345678");
  BOOST_TEST(data.at("instance_id").as_string() == "ins_a");
  BOOST_TEST(data.at("source").as_string() == "keyword");
  BOOST_TEST(data.at("keyword").as_string() == "STOP");
  BOOST_TEST(data.at("message_id").as_string() == "msg_in1");
  BOOST_TEST(ts.scalar("SELECT COUNT(*) FROM events WHERE type = 'optout.added' AND user_id = 'usr_a' "
                       "AND instance_id = 'ins_a'") == 1);
  BOOST_TEST(ts.text("SELECT action || '|' || COALESCE(actor_id, '-') || '|' || detail FROM audit_log "
                     "WHERE subject_id = 'usr_a'") ==
             "optout.added|-|instance=ins_a wa_id=4915112345678 by=keyword message=msg_in1");
}

BOOST_FIXTURE_TEST_CASE(a_keyword_counts_once_and_start_removes, list_fixture) {
  customer_writes("111", "stop");
  customer_writes("111", "STOP");  // already listed: nothing changes
  BOOST_TEST(events("optout.added") == 1);
  // Meta redelivers the first STOP after START: the message is a duplicate and changes nothing.
  customer_writes("111", "Start");
  BOOST_TEST(!listed("111"));
  BOOST_TEST(events("optout.removed") == 1);
  auto again = customer_writes("111", "stop", "wamid.1");
  BOOST_TEST(again.duplicates == 1u);
  BOOST_TEST(!listed("111"));
  customer_writes("111", "start");  // not listed: nothing to remove
  BOOST_TEST(events("optout.removed") == 1);
  // Translations and an ordinary message.
  customer_writes("222", "Arrêt");
  customer_writes("333", "please stop sending offers");
  BOOST_TEST(listed("222"));
  BOOST_TEST(!listed("333"));
  BOOST_TEST(ts.scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'optout.%'") == 3);
}

BOOST_FIXTURE_TEST_CASE(keywords_off_or_replaced_by_the_instance_settings, list_fixture) {
  settings("off", false);
  customer_writes("111", "STOP");
  BOOST_TEST(!listed("111"));
  settings("off", true, "'[\"BASTA\"]'");
  customer_writes("111", "STOP");
  BOOST_TEST(!listed("111"));
  customer_writes("111", "basta!");
  BOOST_TEST(listed("111"));
  customer_writes("111", "START");  // the start list is still the built-in one
  BOOST_TEST(!listed("111"));
}

BOOST_FIXTURE_TEST_CASE(single_template_sends_follow_the_instance_rule, list_fixture) {
  customer_writes("4915112345678", "STOP");
  // No settings row: nothing is enforced.
  BOOST_TEST(!check("", template_to("+49 151 12345678")));
  settings("all_templates");
  BOOST_TEST((check("", template_to("+49 151 12345678")) == optouts::error::opted_out));
  BOOST_TEST(!check("", template_to("4915100000000")));  // not listed
  BOOST_TEST(!check("", text_to("4915112345678")));      // not a template: the 24 h window rules
  // Until the template copy is wired, every template counts as marketing.
  settings("marketing_templates");
  BOOST_TEST((check("", template_to("4915112345678")) == optouts::error::opted_out));
  settings("off");
  BOOST_TEST(!check("", template_to("4915112345678")));
}

BOOST_AUTO_TEST_CASE(the_rule_and_the_category_seam) {
  using optouts::enforcement;
  using optouts::refuses;
  BOOST_TEST(!refuses(enforcement::off, true, true, true));
  BOOST_TEST(refuses(enforcement::all_templates, true, true, false));
  BOOST_TEST(refuses(enforcement::marketing_templates, true, true, true));
  BOOST_TEST(!refuses(enforcement::marketing_templates, true, true, false));
  BOOST_TEST(!refuses(enforcement::all_templates, false, true, true));  // not a template
  BOOST_TEST(!refuses(enforcement::all_templates, true, false, true));  // not listed
  BOOST_TEST(optouts::is_marketing_category("MARKETING"));
  BOOST_TEST(!optouts::is_marketing_category("UTILITY"));
  BOOST_TEST(!optouts::is_marketing_category("AUTHENTICATION"));
  BOOST_TEST(optouts::is_marketing_category(std::nullopt));
  for (auto e : {enforcement::off, enforcement::marketing_templates, enforcement::all_templates})
    BOOST_TEST((optouts::parse_enforcement(optouts::name(e)) == e));
  BOOST_TEST(!optouts::parse_enforcement("on"));
}

BOOST_AUTO_TEST_CASE(settings_changes_apply_and_a_keyword_in_both_lists_is_refused) {
  optouts::settings s;
  s.keywords = {optouts::default_stop_keywords(), optouts::default_start_keywords()};
  optouts::settings_change c;
  c.stop.emplace(std::vector<std::string>{"BASTA"});
  c.enforce = optouts::enforcement::all_templates;
  BOOST_TEST(optouts::apply(s, c).empty());
  BOOST_TEST(!s.default_stop);
  BOOST_TEST(s.default_start);
  BOOST_TEST(s.keywords.stop == std::vector<std::string>{"BASTA"});
  BOOST_TEST((s.enforce == optouts::enforcement::all_templates));
  optouts::settings_change clash;
  clash.start.emplace(std::vector<std::string>{"BASTA"});
  BOOST_TEST(!optouts::apply(s, clash).empty());
  optouts::settings_change reset;
  reset.stop.emplace(std::nullopt);  // null: the built-in list again
  BOOST_TEST(optouts::apply(s, reset).empty());
  BOOST_TEST(s.default_stop);
  BOOST_TEST(s.keywords.stop == optouts::default_stop_keywords());
}

BOOST_AUTO_TEST_CASE(wa_ids_are_keyed_like_send_recipients) {
  BOOST_TEST(optouts::wa_id_key("+49 151 1234-5678") == "4915112345678");
  BOOST_TEST(optouts::wa_id_key("(415) 555 0100") == "4155550100");
  BOOST_TEST(optouts::wa_id_key("US.13491208655302741918") == "US.13491208655302741918");  // a business-scoped id
  BOOST_TEST(optouts::wa_id_key("").empty());
  BOOST_TEST(optouts::wa_id_key("+").empty());
  BOOST_TEST(optouts::wa_id_key("49/151").empty());
  BOOST_TEST(optouts::wa_id_key(std::string(65, '1')).empty());
}

BOOST_FIXTURE_TEST_CASE(the_accept_write_refuses_and_stores_nothing, list_fixture) {
  customer_writes("4915112345678", "STOP");
  settings("all_templates");
  store::instances::instance inst;
  inst.id = "ins_a";
  inst.user_id = "usr_a";
  inst.status = "active";
  config::queue_settings qs;
  auto send = [&](const std::string& body) {
    outbound::send_request rq{inst,
                              "usr_a",
                              std::nullopt,
                              "",
                              "POST",
                              "/v1/instances/ins_a/messages",
                              body,
                              [body]() -> std::optional<meta::checked_message> {
                                auto checked = meta::check_message(json::parse(body));
                                if (!checked.ok) return std::nullopt;
                                return std::move(checked.message);
                              }};
    net::io_context ctx(1);
    auto guard = net::make_work_guard(ctx);
    std::optional<outbound::accept_result> out;
    net::co_spawn(ctx, outbound::accept({*ts.db, nullptr, qs}, std::move(rq)),
                  [&](std::exception_ptr e, outbound::accept_result r) {
                    if (e) std::rethrow_exception(e);
                    out = std::move(r);
                    guard.reset();
                  });
    ctx.run();
    BOOST_REQUIRE(!ts.db->write_sync([](store::connection&) { return core::error_code{}; }));
    BOOST_REQUIRE(out);
    return out->what;
  };
  using kind = outbound::accept_result::kind;
  BOOST_TEST((send(template_to("+4915112345678")) == kind::opted_out));
  BOOST_TEST(ts.scalar("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'") == 0);
  BOOST_TEST(ts.scalar("SELECT COUNT(*) FROM send_jobs") == 0);
  BOOST_TEST(events("message.accepted") == 0);
  BOOST_TEST((send(template_to("4915100000000")) == kind::accepted));
  BOOST_TEST((send(text_to("4915112345678")) == kind::accepted));
  BOOST_TEST(ts.scalar("SELECT COUNT(*) FROM send_jobs") == 2);
}

BOOST_AUTO_TEST_SUITE_END()
