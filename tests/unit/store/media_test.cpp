// store::media: a fetch job only for instances with media_fetch on and media types, once per
// media id; the attempt/stored/failed transitions; tenant scoping; the trash trigger on every
// way a row goes (instance deleted, retention).
#include "support/temp_store.hpp"

#include <enfinito/store/inbound.hpp>
#include <enfinito/store/media.hpp>
#include <enfinito/store/store.hpp>

#include <boost/test/unit_test.hpp>

using namespace enfinito;

namespace {

struct media_fixture : test::temp_store {
  media_fixture() {
    add_users();
    add_instance("ins_on", "usr_a", "lk1", /*media_fetch=*/true);
    add_instance("ins_off", "usr_a", "lk2");
  }
  core::error_code enqueue(const std::string& instance, const std::string& msg, const std::string& type,
                           const std::string& body) {
    return db->write_sync(
        [&](store::connection& c) { return store::media::enqueue_inbound(c, instance, msg, type, body, 1000); });
  }
};

const std::string image = R"({"type":"image","image":{"id":"1234567","mime_type":"image/jpeg","sha256":"abc="}})";

}  // namespace

BOOST_AUTO_TEST_SUITE(store_media)

BOOST_FIXTURE_TEST_CASE(only_media_of_instances_that_asked_become_jobs_once, media_fixture) {
  BOOST_TEST(!enqueue("ins_off", "msg_1", "image", image));
  BOOST_TEST(!enqueue("ins_on", "msg_2", "text", R"({"type":"text","text":{"body":"hi"}})"));
  BOOST_TEST(!enqueue("ins_on", "msg_3", "image", R"({"type":"image","image":{"mime_type":"image/jpeg"}})"));
  BOOST_TEST(!enqueue("ins_on", "msg_4", "image", "not json"));
  BOOST_TEST(scalar("SELECT COUNT(*) FROM media_files") == 0);
  BOOST_TEST(!enqueue("ins_on", "msg_5", "image", image));
  BOOST_TEST(!enqueue("ins_on", "msg_6", "image", image));  // the same media id again
  BOOST_TEST(scalar("SELECT COUNT(*) FROM media_files") == 1);
  store::media::media_file f;
  BOOST_REQUIRE(
      !db->read_sync([&](store::connection& c) { return store::media::get(c, "usr_a", "ins_on", "1234567", f); }));
  BOOST_TEST(f.id == "med_msg_5");
  BOOST_TEST(f.state == "pending");
  BOOST_TEST(f.mime_type == "image/jpeg");
  BOOST_TEST(f.sha256 == "abc=");
  // Another user's view of it: not found.
  auto ec = db->read_sync([&](store::connection& c) { return store::media::get(c, "usr_b", "ins_on", "1234567", f); });
  BOOST_TEST((ec == store::error::not_found));
}

BOOST_FIXTURE_TEST_CASE(attempts_retry_then_fail_or_store, media_fixture) {
  BOOST_REQUIRE(!enqueue("ins_on", "msg_1", "image", image));
  std::vector<store::media::media_file> due;
  BOOST_REQUIRE(!db->read_sync([&](store::connection& c) { return store::media::due(c, 999, 10, due); }));
  BOOST_TEST(due.empty());  // not yet
  BOOST_REQUIRE(!db->read_sync([&](store::connection& c) { return store::media::due(c, 1000, 10, due); }));
  BOOST_REQUIRE_EQUAL(due.size(), 1u);
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) {
    return store::media::mark_attempt_failed(c, "med_msg_1", "Meta could not be reached", std::int64_t{5000});
  }));
  due.clear();
  BOOST_REQUIRE(!db->read_sync([&](store::connection& c) { return store::media::due(c, 4999, 10, due); }));
  BOOST_TEST(due.empty());
  BOOST_TEST(scalar("SELECT attempts FROM media_files") == 1);
  bool found = false;
  BOOST_REQUIRE(!db->write_sync(
      [&](store::connection& c) { return store::media::mark_stored(c, "med_msg_1", 42, 6000, found); }));
  BOOST_TEST(found);
  BOOST_TEST(scalar("SELECT size FROM media_files WHERE state = 'stored'") == 42);
  // A failure recorded after the fact changes nothing; a final one on a pending row fails it.
  BOOST_REQUIRE(!db->write_sync(
      [&](store::connection& c) { return store::media::mark_attempt_failed(c, "med_msg_1", "x", std::nullopt); }));
  BOOST_TEST(scalar("SELECT COUNT(*) FROM media_files WHERE state = 'stored'") == 1);
  BOOST_REQUIRE(!enqueue("ins_on", "msg_2", "video", R"({"video":{"id":"777"}})"));
  BOOST_REQUIRE(!db->write_sync(
      [&](store::connection& c) { return store::media::mark_attempt_failed(c, "med_msg_2", "gone", std::nullopt); }));
  BOOST_TEST(scalar("SELECT COUNT(*) FROM media_files WHERE state = 'failed'") == 1);
  // Storing a row that went meanwhile reports it.
  BOOST_REQUIRE(
      !db->write_sync([&](store::connection& c) { return store::media::mark_stored(c, "med_gone", 1, 1, found); }));
  BOOST_TEST(!found);
}

BOOST_FIXTURE_TEST_CASE(every_deleted_row_leaves_its_file_in_the_trash, media_fixture) {
  BOOST_REQUIRE(!enqueue("ins_on", "msg_1", "image", image));
  BOOST_REQUIRE(!enqueue("ins_on", "msg_2", "document", R"({"document":{"id":"55"}})"));
  // Retention: rows created before the cut.
  std::size_t deleted = 0;
  exec("UPDATE media_files SET created_at = 10 WHERE id = 'med_msg_2'");
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) { return store::media::purge(c, 500, 100, deleted); }));
  BOOST_TEST(deleted == 1u);
  // The instance deleted: the cascade.
  exec("DELETE FROM instances WHERE id = 'ins_on'");
  BOOST_TEST(scalar("SELECT COUNT(*) FROM media_files") == 0);
  std::vector<store::media::trashed> trash;
  BOOST_REQUIRE(!db->read_sync([&](store::connection& c) { return store::media::trash(c, 10, trash); }));
  BOOST_REQUIRE_EQUAL(trash.size(), 2u);
  for (const auto& t : trash) BOOST_TEST(t.instance_id == "ins_on");
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) { return store::media::forget_trash(c, trash); }));
  BOOST_TEST(scalar("SELECT COUNT(*) FROM media_trash") == 0);
}

BOOST_FIXTURE_TEST_CASE(an_inbound_media_message_commits_its_job, media_fixture) {
  store::inbound::message m;
  m.id = "msg_in";
  m.wamid = "wamid.1";
  m.peer = "16505551234";
  m.type = "sticker";
  m.body = R"({"type":"sticker","sticker":{"id":"31337","mime_type":"image/webp"}})";
  store::inbound::outcome out;
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) {
    return store::inbound::store_message(c, {"ins_on", "usr_a"}, m, 1000, out);
  }));
  BOOST_TEST(scalar("SELECT COUNT(*) FROM media_files WHERE media_id = '31337' AND message_id = 'msg_in'") == 1);
  // A redelivery stores nothing twice.
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) {
    return store::inbound::store_message(c, {"ins_on", "usr_a"}, m, 2000, out);
  }));
  BOOST_TEST(scalar("SELECT COUNT(*) FROM media_files") == 1);
}

BOOST_AUTO_TEST_SUITE_END()
