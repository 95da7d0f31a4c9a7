// store::templates: the local template copy: a sync replaces it (keeping the quality webhooks
// told), webhooks change one template or add one not synced yet, lists page by (name,
// language), deletes by name or id, lookups by Meta's id stay within the user, and the state
// the pre-send checks read (sync time, webhooks since, the customer's last message).
#include "support/temp_store.hpp"

#include <enfinito/store/conversations.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/store/templates.hpp>

#include <boost/test/unit_test.hpp>

using namespace enfinito;

namespace {

struct copy_store : test::temp_store {
  copy_store() {
    add_users();
    add_instance("ins_a", "usr_a", "lk1");
    add_instance("ins_b", "usr_b", "lk2");
  }
  static store::templates::row make(std::string name, std::string lang, std::string id,
                                    std::string status = "APPROVED") {
    store::templates::row r;
    r.instance_id = "ins_a";
    r.name = std::move(name);
    r.language = std::move(lang);
    r.template_id = std::move(id);
    r.status = std::move(status);
    r.category = "UTILITY";
    r.components = R"([{"type":"BODY","text":"Hi {{1}}"}])";
    return r;
  }
  void sync(const std::vector<store::templates::row>& rows, std::int64_t now, const std::string& instance = "ins_a") {
    BOOST_REQUIRE(
        !db->write_sync([&](store::connection& c) { return store::templates::replace_all(c, instance, rows, now); }));
  }
  std::vector<store::templates::row> list(store::templates::filter f = {}) {
    std::vector<store::templates::row> out;
    BOOST_REQUIRE(!db->read_sync([&](store::connection& c) { return store::templates::list(c, "ins_a", f, out); }));
    return out;
  }
  bool apply(const store::templates::update& u) {
    bool applied = false;
    BOOST_REQUIRE(
        !db->write_sync([&](store::connection& c) { return store::templates::apply(c, "ins_a", u, 5, applied); }));
    return applied;
  }
  store::templates::copy_state state(const std::string& instance = "ins_a") {
    store::templates::copy_state s;
    BOOST_REQUIRE(!db->read_sync([&](store::connection& c) { return store::templates::state(c, instance, s); }));
    return s;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(store_templates)

BOOST_FIXTURE_TEST_CASE(a_sync_replaces_the_copy_but_keeps_the_quality_webhooks_told, copy_store) {
  BOOST_TEST(!state().synced_at.has_value());
  sync({make("a", "en_US", "1"), make("b", "en_US", "2")}, 100);
  BOOST_TEST(*state().synced_at == 100);
  BOOST_TEST(list().size() == 2u);
  store::templates::update q;
  q.template_id = "1";
  q.quality = "YELLOW";
  BOOST_TEST(apply(q));
  sync({make("a", "en_US", "1")}, 200);  // b is gone at Meta
  auto rows = list();
  BOOST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows[0].name == "a");
  BOOST_TEST(rows[0].quality == "YELLOW");
  BOOST_TEST(*rows[0].components == R"([{"type":"BODY","text":"Hi {{1}}"}])");
}

BOOST_FIXTURE_TEST_CASE(webhooks_change_a_template_or_add_one_not_synced_yet, copy_store) {
  sync({make("a", "en_US", "1", "PENDING")}, 100);
  store::templates::update approved;
  approved.template_id = "1";
  approved.status = "APPROVED";
  BOOST_TEST(apply(approved));
  BOOST_TEST(list()[0].status == "APPROVED");
  BOOST_TEST(list()[0].category == "UTILITY");  // untouched: the update did not carry it
  store::templates::update fresh;
  fresh.template_id = "9";
  fresh.name = "z";
  fresh.language = "en_US";
  fresh.status = "APPROVED";
  BOOST_TEST(apply(fresh));
  store::templates::row z;
  BOOST_REQUIRE(
      !db->read_sync([&](store::connection& c) { return store::templates::get(c, "ins_a", "z", "en_US", z); }));
  BOOST_TEST(z.template_id == "9");
  BOOST_TEST(!z.components.has_value());  // its definition comes with the next sync
  store::templates::update quality_of_unknown;
  quality_of_unknown.template_id = "77";
  quality_of_unknown.quality = "RED";
  BOOST_TEST(!apply(quality_of_unknown));
}

BOOST_FIXTURE_TEST_CASE(lists_filter_and_page_by_name_and_language, copy_store) {
  sync({make("alpha", "en_US", "1"), make("alpha", "fr", "2"), make("beta", "en_US", "3", "PENDING"),
        make("gamma", "en_US", "4")},
       100);
  store::templates::filter f;
  f.limit = 2;
  auto first = list(f);
  BOOST_REQUIRE(first.size() == 2u);
  BOOST_TEST(first[1].language == "fr");
  f.after = first[1].name + '\x1f' + first[1].language;
  auto second = list(f);
  BOOST_REQUIRE(second.size() == 2u);
  BOOST_TEST(second[0].name == "beta");
  BOOST_TEST(second[1].name == "gamma");
  store::templates::filter back;  // the page before beta: the two rows ahead of it, in order
  back.limit = 2;
  back.before = std::string("beta") + '\x1f' + "en_US";
  auto previous = list(back);
  BOOST_REQUIRE(previous.size() == 2u);
  BOOST_TEST(previous[0].language == "en_US");
  BOOST_TEST(previous[1].language == "fr");
  store::templates::filter approved;
  approved.status = "APPROVED";
  approved.name = "ph";  // a substring, as Meta's name filter
  BOOST_TEST(list(approved).size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(deletes_by_name_or_by_id, copy_store) {
  sync({make("alpha", "en_US", "1"), make("alpha", "fr", "2"), make("beta", "en_US", "3")}, 100);
  std::size_t removed = 0;
  BOOST_REQUIRE(!db->write_sync(
      [&](store::connection& c) { return store::templates::remove(c, "ins_a", "alpha", "2", removed); }));
  BOOST_TEST(removed == 1u);
  BOOST_REQUIRE(!db->write_sync(
      [&](store::connection& c) { return store::templates::remove(c, "ins_a", "alpha", "", removed); }));
  BOOST_TEST(removed == 1u);
  BOOST_TEST(list().size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(lookups_by_meta_id_stay_within_the_user, copy_store) {
  sync({make("alpha", "en_US", "1")}, 100);
  store::templates::row r;
  BOOST_REQUIRE(
      !db->read_sync([&](store::connection& c) { return store::templates::find_by_meta_id(c, "usr_a", "1", r); }));
  BOOST_TEST(r.instance_id == "ins_a");
  auto ec = db->read_sync([&](store::connection& c) { return store::templates::find_by_meta_id(c, "usr_b", "1", r); });
  BOOST_TEST((ec == store::error::not_found));
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) {
    return store::templates::set_components(c, "ins_a", "1", R"([{"type":"BODY","text":"New"}])", 7);
  }));
  BOOST_REQUIRE(
      !db->read_sync([&](store::connection& c) { return store::templates::find_by_meta_id(c, "usr_a", "1", r); }));
  BOOST_TEST(*r.components == R"([{"type":"BODY","text":"New"}])");
}

BOOST_FIXTURE_TEST_CASE(webhooks_since_is_the_first_webhook_and_the_window_the_last_message, copy_store) {
  BOOST_REQUIRE(!db->write_sync([](store::connection& c) { return store::templates::note_webhooks(c, "ins_a", 10); }));
  BOOST_REQUIRE(!db->write_sync([](store::connection& c) { return store::templates::note_webhooks(c, "ins_a", 20); }));
  BOOST_TEST(*state().webhooks_since == 10);
  BOOST_TEST(!state().synced_at.has_value());
  sync({}, 30);
  BOOST_TEST(*state().webhooks_since == 10);  // a sync keeps it
  std::optional<std::int64_t> last;
  BOOST_REQUIRE(!db->read_sync(
      [&](store::connection& c) { return store::templates::last_inbound(c, "ins_a", "16505551234", last); }));
  BOOST_TEST(!last.has_value());
  BOOST_REQUIRE(!db->write_sync(
      [](store::connection& c) { return store::conversations::note_inbound(c, "ins_a", "16505551234", 1000, "Pat"); }));
  BOOST_REQUIRE(!db->read_sync(
      [&](store::connection& c) { return store::templates::last_inbound(c, "ins_a", "16505551234", last); }));
  BOOST_TEST(*last == 1000);
}

BOOST_AUTO_TEST_SUITE_END()
