// store::conversations: the page of conversations whichever way it is found (walking the
// newest messages, or grouping when one chatty peer fills the log), unread counts and the read
// mark, the window's time never moving backwards, the row going with the last message, and
// tenancy.
#include "support/temp_store.hpp"

#include <enfinito/store/conversations.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/inbound.hpp>
#include <enfinito/store/store.hpp>

#include <boost/test/unit_test.hpp>

using namespace enfinito;

namespace {

struct convo_store : test::temp_store {
  int n = 0;

  convo_store() {
    add_users();
    add_instance("ins_a", "usr_a", "lk1");
  }
  // `count` messages of `peer`, in a row, one transaction.
  void messages(const std::string& peer, int count, const std::string& direction = "outbound") {
    BOOST_REQUIRE(!db->write_sync([&](store::connection& c) -> core::error_code {
      for (int i = 0; i < count; ++i, ++n)
        if (auto ec = c.exec("INSERT INTO messages(id, instance_id, direction, peer, type, body, status, created_at, "
                             "updated_at) VALUES('msg_" +
                             std::to_string(n) + "', 'ins_a', '" + direction + "', '" + peer + "', 'text', '{}', '" +
                             (direction == "inbound" ? "received" : "sent") + "', " + std::to_string(n) + ", " +
                             std::to_string(n) + ")"))
          return ec;
      return {};
    }));
  }
  std::vector<store::conversations::conversation> page(std::int64_t before, std::size_t limit,
                                                       const std::string& user = "usr_a") {
    std::vector<store::conversations::conversation> out;
    BOOST_REQUIRE(!db->read_sync(
        [&](store::connection& c) { return store::conversations::list(c, user, "ins_a", before, limit, out); }));
    return out;
  }
  std::vector<std::string> peers(std::int64_t before, std::size_t limit) {
    std::vector<std::string> out;
    for (const auto& v : page(before, limit)) out.push_back(v.peer);
    return out;
  }
};

using strings = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(store_conversations)

BOOST_FIXTURE_TEST_CASE(pages_are_newest_first_walked_or_grouped, convo_store) {
  messages("1", 3);
  messages("2", 2);
  messages("3", 1);
  messages("1", 1);  // 1 is the newest again
  BOOST_TEST(peers(0, 10) == (strings{"1", "3", "2"}));
  auto first = page(0, 2);
  BOOST_REQUIRE(first.size() == 2u);
  BOOST_TEST(peers(first.back().last_seq, 2) == (strings{"2"}));

  // One chatty peer writes more than the walk looks at: the page comes from grouping, and it
  // is the same page.
  messages("9", 1500);
  messages("4", 1);
  BOOST_TEST(peers(0, 10) == (strings{"4", "9", "1", "3", "2"}));
  BOOST_TEST(peers(0, 2) == (strings{"4", "9"}));
  const auto after_chatty = page(0, 2).back().last_seq;
  BOOST_TEST(peers(after_chatty, 2) == (strings{"1", "3"}));
  BOOST_TEST(peers(after_chatty, 10) == (strings{"1", "3", "2"}));
}

BOOST_FIXTURE_TEST_CASE(unread_counts_follow_the_read_mark, convo_store) {
  messages("1", 2, "inbound");
  messages("1", 1);
  messages("2", 1, "inbound");
  BOOST_TEST(page(0, 10)[1].peer == "1");
  BOOST_TEST(page(0, 10)[1].unread_inbound == 2);  // our reply is not unread
  std::string wamid = "x";
  BOOST_REQUIRE(!db->write_sync(
      [&](store::connection& c) { return store::conversations::mark_read(c, "usr_a", "ins_a", "1", wamid); }));
  BOOST_TEST(wamid.empty());  // planted rows carry no wamid: nothing to tell Meta
  auto v = page(0, 10);
  BOOST_TEST(v[0].peer == "2");
  BOOST_TEST(v[0].unread_inbound == 1);
  BOOST_TEST(v[1].unread_inbound == 0);
  messages("1", 1, "inbound");
  BOOST_TEST(page(0, 10)[0].peer == "1");
  BOOST_TEST(page(0, 10)[0].unread_inbound == 1);
  // Someone else's instance, or a peer without messages: not found, nothing written.
  auto ec = db->write_sync(
      [&](store::connection& c) { return store::conversations::mark_read(c, "usr_b", "ins_a", "1", wamid); });
  BOOST_TEST((ec == store::error::not_found));
  ec = db->write_sync(
      [&](store::connection& c) { return store::conversations::mark_read(c, "usr_a", "ins_a", "7", wamid); });
  BOOST_TEST((ec == store::error::not_found));
}

BOOST_FIXTURE_TEST_CASE(the_window_follows_the_newest_customer_message, convo_store) {
  messages("1", 1, "inbound");
  auto note = [&](std::int64_t at, const std::string& name) {
    BOOST_REQUIRE(!db->write_sync(
        [&](store::connection& c) { return store::conversations::note_inbound(c, "ins_a", "1", at, name); }));
  };
  note(5000, "Ada");
  note(3000, "");  // a late redelivery: neither the time nor the name goes backwards
  store::conversations::conversation v;
  BOOST_REQUIRE(
      !db->read_sync([&](store::connection& c) { return store::conversations::get(c, "usr_a", "ins_a", "1", v); }));
  BOOST_TEST(*v.last_inbound_at == 5000);
  BOOST_TEST(*v.profile_name == "Ada");
  note(9000, "Ada L.");
  BOOST_REQUIRE(
      !db->read_sync([&](store::connection& c) { return store::conversations::get(c, "usr_a", "ins_a", "1", v); }));
  BOOST_TEST(*v.last_inbound_at == 9000);
  BOOST_TEST(*v.profile_name == "Ada L.");
}

BOOST_FIXTURE_TEST_CASE(a_conversation_goes_with_its_last_message, convo_store) {
  // Retention (P9) deletes messages oldest first: the profile name must not outlive them.
  messages("1", 2, "inbound");
  messages("2", 1, "inbound");
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) -> core::error_code {
    if (auto ec = store::conversations::note_inbound(c, "ins_a", "1", 1, "Ada")) return ec;
    return store::conversations::note_inbound(c, "ins_a", "2", 2, "Bo");
  }));
  std::size_t deleted = 0;
  auto purge = [&](std::int64_t before) {
    BOOST_REQUIRE(
        !db->write_sync([&](store::connection& c) { return store::inbound::purge_messages(c, before, 100, deleted); }));
  };
  purge(1);  // msg 0 of peer 1: peer 1 still has one
  BOOST_TEST(deleted == 1u);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM conversations") == 2);
  purge(2);  // peer 1's last message
  BOOST_TEST(scalar("SELECT COUNT(*) FROM conversations WHERE peer = '1'") == 0);
  BOOST_TEST(scalar("SELECT COUNT(*) FROM conversations WHERE peer = '2'") == 1);
  BOOST_TEST(peers(0, 10) == (strings{"2"}));
}

BOOST_FIXTURE_TEST_CASE(another_users_instance_shows_nothing, convo_store) {
  messages("1", 1, "inbound");
  BOOST_TEST(page(0, 10, "usr_b").empty());
  store::conversations::conversation v;
  auto ec = db->read_sync([&](store::connection& c) { return store::conversations::get(c, "usr_b", "ins_a", "1", v); });
  BOOST_TEST((ec == store::error::not_found));
}

BOOST_AUTO_TEST_SUITE_END()
