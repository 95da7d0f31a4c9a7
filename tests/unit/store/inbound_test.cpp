// store::inbound: inbound rows once, statuses forward only, pending statuses applied in Meta's
// order, receipts once, events in the same write, retention purge, cascade on delete.
#include "support/temp_store.hpp"

#include <enfinito/meta/webhook.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/inbound.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace enfinito;

namespace {

struct inbound_fixture : test::temp_store {
  store::inbound::owner alice{"ins_a", "usr_a"};

  inbound_fixture() {
    exec(
        "INSERT INTO users(id, email, name, role, status, created_at, updated_at) VALUES"
        "('usr_a', 'a@x', 'A', 'user', 'active', 0, 0)");
    add_instance("ins_a", "usr_a", "lk");
  }
  void outbound(const std::string& wamid, const std::string& status = "sent", std::int64_t created = 1000) {
    exec(
        "INSERT INTO messages(id, instance_id, direction, peer, type, body, status, wamid, created_at, updated_at) "
        "VALUES('msg_" +
        wamid + "', 'ins_a', 'outbound', '1', 'text', '{}', '" + status + "', '" + wamid + "', " +
        std::to_string(created) + ", 0)");
  }
  store::inbound::outcome message(const std::string& wamid, std::int64_t now = 1000) {
    store::inbound::message m{"msg_in_" + wamid,
                              wamid,
                              "16505551234",
                              "text",
                              1700000000,
                              R"({"id":")" + wamid + R"(","type":"text","text":{"body":"hi"},"future_field":[1,2]})",
                              R"({"profile":{"name":"S","username":"@s"},"wa_id":"16505551234","user_id":"US.1"})"};
    store::inbound::outcome out;
    BOOST_REQUIRE(
        !db->write_sync([&](store::connection& c) { return store::inbound::store_message(c, alice, m, now, out); }));
    return out;
  }
  store::inbound::outcome status(const std::string& wamid, const std::string& value,
                                 std::optional<std::int64_t> code = {}) {
    store::inbound::status s{wamid,
                             value,
                             "16505551234",
                             1700000001,
                             code,
                             code ? "Some title" : "",
                             R"({"id":")" + wamid + R"(","status":")" + value +
                                 R"(","timestamp":"1700000001","recipient_id":"16505551234"})"};
    store::inbound::outcome out;
    BOOST_REQUIRE(!db->write_sync([&](store::connection& c) {
      return store::inbound::apply_status(c, alice, s, meta::status_advances, 2000, out);
    }));
    return out;
  }
  std::vector<std::string> event_types() {
    std::vector<store::events::event> all;
    BOOST_REQUIRE(!db->read_sync([&](store::connection& c) {
      return store::events::list(c, {"usr_a", 0, {}, {}, 1000}, all);
    }));
    std::vector<std::string> out;
    for (auto& e : all) out.push_back(e.type);
    return out;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(store_inbound, inbound_fixture)

BOOST_AUTO_TEST_CASE(an_inbound_message_is_stored_once_with_its_event) {
  auto first = message("wamid.1");
  BOOST_TEST(first.stored == 1u);
  BOOST_TEST(first.events == 1u);
  auto again = message("wamid.1");
  BOOST_TEST(again.stored == 0u);
  BOOST_TEST(again.duplicates == 1u);
  BOOST_TEST(again.events == 0u);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM messages") == 1);
  BOOST_TEST(text("SELECT direction || '/' || status || '/' || peer FROM messages") == "inbound/received/16505551234");
  // Meta's object is kept as given, unknown fields included.
  BOOST_TEST(text("SELECT body FROM messages").find("future_field") != std::string::npos);
  std::vector<store::events::event> all;
  BOOST_REQUIRE(!db->read_sync([&](store::connection& c) {
    return store::events::list(c, {"usr_a", 0, {}, {}, 10}, all);
  }));
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  BOOST_TEST(all[0].type == "message.received");
  BOOST_TEST(all[0].instance_id == "ins_a");
  auto d = boost::json::parse(all[0].data).as_object();
  BOOST_TEST(d.at("message_id").as_string() == "msg_in_wamid.1");
  BOOST_TEST(d.at("message").as_object().at("future_field").as_array().size() == 2u);
  BOOST_TEST(d.at("contact").as_object().at("user_id").as_string() == "US.1");
  BOOST_TEST(d.at("contact").as_object().at("profile").as_object().at("username").as_string() == "@s");
}

BOOST_AUTO_TEST_CASE(statuses_move_forward_only) {
  outbound("wamid.o");
  BOOST_TEST(status("wamid.o", "read").applied == 1u);
  BOOST_TEST(status("wamid.o", "delivered").ignored == 1u);
  BOOST_TEST(status("wamid.o", "read").ignored == 1u);
  BOOST_TEST(status("wamid.o", "failed", 131026).ignored == 1u);  // a read message did not fail
  BOOST_TEST(text("SELECT status FROM messages") == "read");
  BOOST_TEST(scalar("SELECT error_code IS NULL FROM messages") == 1);
  BOOST_TEST(event_types() == std::vector<std::string>{"message.read"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(failed_keeps_code_and_title) {
  outbound("wamid.f", "sent");
  BOOST_TEST(status("wamid.f", "failed", 131047).applied == 1u);
  BOOST_TEST(text("SELECT status FROM messages") == "failed");
  BOOST_TEST(scalar("SELECT error_code FROM messages") == 131047);
  BOOST_TEST(text("SELECT error_title FROM messages") == "Some title");
  BOOST_TEST(status("wamid.f", "delivered").ignored == 1u);
}

BOOST_AUTO_TEST_CASE(statuses_for_inbound_or_empty_ids_change_nothing) {
  message("wamid.in");
  BOOST_TEST(status("wamid.in", "read").ignored == 1u);
  BOOST_TEST(text("SELECT status FROM messages") == "received");
  BOOST_TEST(status("", "read").ignored == 1u);
}

BOOST_AUTO_TEST_CASE(early_statuses_wait_and_are_applied_in_metas_order) {
  BOOST_TEST(status("wamid.e", "read").pending == 1u);
  BOOST_TEST(status("wamid.e", "read").ignored == 1u);  // the same pair is kept once
  BOOST_TEST(status("wamid.e", "delivered").pending == 1u);
  BOOST_TEST(status("wamid.e", "played").pending == 1u);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM pending_statuses") == 3);
  // Nothing to apply while the wamid is unknown; the rows stay.
  std::size_t applied = 99;
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) {
    return store::inbound::apply_pending(c, "ins_a", "wamid.e", "", meta::status_advances, 3000, &applied);
  }));
  BOOST_TEST(scalar("SELECT COUNT(*) FROM pending_statuses") == 3);
  outbound("wamid.e", "sent");
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) {
    return store::inbound::apply_pending(c, "ins_a", "wamid.e", "", meta::status_advances, 3000, &applied);
  }));
  BOOST_TEST(applied == 3u);
  BOOST_TEST(text("SELECT status FROM messages") == "read");
  BOOST_TEST(event_types() == (std::vector<std::string>{"message.delivered", "message.read", "message.played"}),
             boost::test_tools::per_element());
  // The played receipt is kept (so a redelivery is recognised); the rest is gone.
  BOOST_TEST(scalar("SELECT COUNT(*) FROM pending_statuses WHERE state = 'pending'") == 0);
  BOOST_TEST(status("wamid.e", "played").ignored == 1u);
  BOOST_TEST(event_types().size() == 3u);
}

BOOST_AUTO_TEST_CASE(the_next_status_also_applies_what_was_pending) {
  status("wamid.n", "sent");
  status("wamid.n", "delivered");
  outbound("wamid.n", "sending");  // recorded without apply_pending
  BOOST_TEST(status("wamid.n", "read").applied == 3u);
  BOOST_TEST(text("SELECT status FROM messages") == "read");
  BOOST_TEST(event_types() == (std::vector<std::string>{"message.sent", "message.delivered", "message.read"}),
             boost::test_tools::per_element());
  BOOST_TEST(scalar("SELECT COUNT(*) FROM pending_statuses") == 0);
}

BOOST_AUTO_TEST_CASE(unknown_future_statuses_are_one_receipt_each) {
  outbound("wamid.u", "delivered");
  BOOST_TEST(status("wamid.u", "teleported").applied == 1u);
  BOOST_TEST(status("wamid.u", "teleported").ignored == 1u);
  BOOST_TEST(text("SELECT status FROM messages") == "delivered");
  BOOST_TEST(event_types() == std::vector<std::string>{"message.status"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_update_without_id_is_one_event_per_digest) {
  auto once = [&](const std::string& digest, std::int64_t now) {
    store::inbound::outcome out;
    BOOST_REQUIRE(!db->write_sync([&](store::connection& c) {
      return store::inbound::append_event_once(c, alice, digest, "template.status", "{}", now, out);
    }));
    return out;
  };
  BOOST_TEST(once("d1", 100).events == 1u);
  BOOST_TEST(once("d1", 200).ignored == 1u);
  BOOST_TEST(once("d2", 300).events == 1u);
  BOOST_TEST(event_types().size() == 2u);
  std::size_t deleted = 0;
  BOOST_REQUIRE(
      !db->write_sync([&](store::connection& c) { return store::inbound::purge_receipts(c, 250, 10, deleted); }));
  BOOST_TEST(deleted == 1u);
  BOOST_TEST(once("d1", 400).events == 1u);  // forgotten after retention: as good as new
}

BOOST_AUTO_TEST_CASE(retention_purges_old_rows_but_not_queued_ones) {
  for (int i = 0; i < 5; ++i) outbound("wamid.old" + std::to_string(i), "read", 100 + i);
  outbound("wamid.queued", "accepted", 50);
  exec(
      "INSERT INTO send_jobs(message_seq, instance_id, peer, state, next_attempt_at) "
      "SELECT seq, instance_id, peer, 'queued', 0 FROM messages WHERE wamid = 'wamid.queued'");
  outbound("wamid.new", "read", 10'000);
  std::size_t deleted = 0;
  BOOST_REQUIRE(
      !db->write_sync([&](store::connection& c) { return store::inbound::purge_messages(c, 5000, 3, deleted); }));
  BOOST_TEST(deleted == 3u);  // bounded batch
  BOOST_REQUIRE(
      !db->write_sync([&](store::connection& c) { return store::inbound::purge_messages(c, 5000, 3, deleted); }));
  BOOST_TEST(deleted == 2u);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM messages") == 2);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM messages WHERE wamid IN ('wamid.queued', 'wamid.new')") == 2);

  status("wamid.gone", "sent");  // pending, created at 2000
  BOOST_REQUIRE(
      !db->write_sync([&](store::connection& c) { return store::inbound::purge_pending(c, 1000, 10, deleted); }));
  BOOST_TEST(deleted == 0u);
  BOOST_REQUIRE(
      !db->write_sync([&](store::connection& c) { return store::inbound::purge_pending(c, 3000, 10, deleted); }));
  BOOST_TEST(deleted == 1u);
}

BOOST_AUTO_TEST_CASE(deleting_the_instance_removes_its_pending_statuses) {
  status("wamid.x", "sent");
  message("wamid.y");
  exec("DELETE FROM instances WHERE id = 'ins_a'");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM pending_statuses") == 0);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM messages") == 0);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM events") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
