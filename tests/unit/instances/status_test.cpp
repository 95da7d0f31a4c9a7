// instances::set_status: a status change and its instance.status event commit together, and a
// change that is no change appends nothing.
#include "support/temp_store.hpp"

#include <enfinito/instances/status.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace enfinito;

namespace {

struct status_fixture : test::temp_store {
  status_fixture() {
    add_users();
    add_instance("ins_a", "usr_a", "la");
  }
  core::error_code set(const std::string& id, const std::string& status, bool& changed) {
    return db->write_sync([&](store::connection& c) {
      return instances::set_status(c, id, status, "why " + status, 5'000'000, changed);
    });
  }
  std::vector<store::events::event> events() {
    std::vector<store::events::event> out;
    BOOST_REQUIRE(!db->read_sync([&](store::connection& c) {
      return store::events::list(c, {"usr_a", 0, {}, {}, 100}, out);
    }));
    return out;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(instances_status, status_fixture)

BOOST_AUTO_TEST_CASE(a_change_commits_with_its_event_and_no_change_appends_nothing) {
  bool changed = false;
  BOOST_REQUIRE(!set("ins_a", "needs_reauth", changed));
  BOOST_TEST(changed);
  store::instances::instance row;
  BOOST_REQUIRE(!db->read_sync([&](store::connection& c) { return store::instances::get_any(c, "ins_a", row); }));
  BOOST_TEST(row.status == "needs_reauth");
  BOOST_TEST(row.status_reason == "why needs_reauth");
  BOOST_TEST(row.updated_at == 5000);  // seconds, as the instances table keeps them
  auto evs = events();
  BOOST_REQUIRE_EQUAL(evs.size(), 1u);
  BOOST_TEST(evs[0].type == "instance.status");
  BOOST_TEST(evs[0].instance_id == "ins_a");
  BOOST_TEST(evs[0].created_at == 5'000'000);
  auto data = boost::json::parse(evs[0].data).as_object();
  BOOST_TEST(data.at("status").as_string() == "needs_reauth");
  BOOST_TEST(data.at("reason").as_string() == "why needs_reauth");

  BOOST_REQUIRE(!set("ins_a", "needs_reauth", changed));  // the queue and a route both saw 190
  BOOST_TEST(!changed);
  BOOST_TEST(events().size() == 1u);
  BOOST_REQUIRE(!set("ins_a", "active", changed));
  BOOST_TEST(changed);
  BOOST_TEST(events().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_gone_instance_is_not_found) {
  bool changed = true;
  BOOST_TEST((set("ins_gone", "needs_reauth", changed) == store::error::not_found));
  BOOST_TEST(!changed);
  BOOST_TEST(events().empty());
}

BOOST_AUTO_TEST_SUITE_END()
