// store::messages: accept writes message + job + event together, tenancy of reads, the log's
// cursor and filters, leases (ours, released after a crash), outcomes, requeue, idempotency.
#include "support/temp_store.hpp"

#include <enfinito/store/error.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/messages.hpp>
#include <enfinito/store/store.hpp>

#include <boost/test/unit_test.hpp>

using namespace enfinito;

namespace {

struct messages_fixture : test::temp_store {
  messages_fixture() {
    add_users();
    add_instance("ins_a", "usr_a", "la");
    add_instance("ins_b", "usr_b", "lb", false, "B");
  }
  store::messages::message accept(const std::string& id, const std::string& peer, std::string instance = "ins_a",
                                  std::string user = "usr_a", std::int64_t at = 0) {
    store::messages::message m;
    m.id = id;
    m.instance_id = std::move(instance);
    m.peer = peer;
    m.type = "text";
    m.body = R"({"to":")" + peer + R"(","type":"text","text":{"body":"hi"}})";
    m.created_at = at;
    BOOST_REQUIRE(!db->write_sync([&](store::connection& c) { return store::messages::insert_outbound(c, m, user); }));
    return m;
  }
  std::vector<store::messages::leased> lease(std::vector<std::int64_t> seqs, const std::string& owner,
                                             std::string inst = "ins_a") {
    std::vector<store::messages::leased> out;
    BOOST_REQUIRE(!db->write_sync(
        [&](store::connection& c) { return store::messages::lease(c, inst, seqs, owner, 1000, 61'000, out); }));
    return out;
  }
  core::error_code resolve(std::int64_t seq, const std::string& owner, const store::messages::outcome& o) {
    return db->write_sync(
        [&](store::connection& c) { return store::messages::resolve(c, seq, owner, o, "usr_a", "ins_a", 2000); });
  }
  store::messages::message get(const std::string& id, const std::string& user = "usr_a") {
    store::messages::message m;
    BOOST_REQUIRE(!db->read_sync([&](store::connection& c) { return store::messages::get(c, user, id, m); }));
    return m;
  }
  std::vector<store::events::event> events(const std::string& user = "usr_a") {
    std::vector<store::events::event> out;
    BOOST_REQUIRE(!db->read_sync([&](store::connection& c) {
      return store::events::list(c, {user, 0, {}, {}, 100}, out);
    }));
    return out;
  }
  std::vector<store::messages::job_ref> queued(std::int64_t after = 0) {
    std::vector<store::messages::job_ref> out;
    BOOST_REQUIRE(!db->read_sync(
        [&](store::connection& c) { return store::messages::queued_jobs(c, "ins_a", after, 100, out); }));
    return out;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(store_messages, messages_fixture)

BOOST_AUTO_TEST_CASE(accept_writes_message_job_and_event_and_reads_are_per_user) {
  auto m = accept("msg_1", "15551230001");
  BOOST_TEST(m.seq > 0);
  auto got = get("msg_1");
  BOOST_TEST(got.status == "accepted");
  BOOST_TEST(got.direction == "outbound");
  BOOST_TEST(got.attempts == 0);
  BOOST_TEST(!got.wamid.has_value());
  store::messages::message other;
  BOOST_TEST((db->read_sync([&](store::connection& c) { return store::messages::get(c, "usr_b", "msg_1", other); }) ==
              store::error::not_found));
  auto jobs = queued();
  BOOST_REQUIRE_EQUAL(jobs.size(), 1u);
  BOOST_TEST(jobs[0].seq == m.seq);
  BOOST_TEST(jobs[0].peer == "15551230001");
  auto ev = events();
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST(ev[0].type == "message.accepted");
  BOOST_TEST(ev[0].data.find("msg_1") != std::string::npos);
  BOOST_TEST(events("usr_b").empty());
}

// Issue 23: a body is sent to Meta as stored, so one that is not JSON (Infinity, from a
// non-finite double) is refused here, and nothing of it (message, job, event) is written.
BOOST_AUTO_TEST_CASE(accept_refuses_a_body_that_is_not_json) {
  store::messages::message m;
  m.id = "msg_inf";
  m.instance_id = "ins_a";
  m.peer = "4915112345678";
  m.type = "text";
  m.body = R"({"to":"4915112345678","type":"text","text":{"body":"x"},"n":Infinity})";
  BOOST_TEST((db->write_sync([&](store::connection& c) { return store::messages::insert_outbound(c, m, "usr_a"); }) ==
              store::error::misuse));
  BOOST_TEST(queued().empty());
  BOOST_TEST(events().empty());
}

BOOST_AUTO_TEST_CASE(log_pages_newest_first_with_filters) {
  for (int i = 0; i < 5; ++i) accept("msg_" + std::to_string(i), i % 2 ? "111" : "222", "ins_a", "usr_a", 1000 + i);
  accept("msg_b", "333", "ins_b", "usr_b", 1000);
  auto page = [&](store::messages::list_filter f) {
    std::vector<store::messages::message> out;
    BOOST_REQUIRE(!db->read_sync([&](store::connection& c) { return store::messages::list(c, f, out); }));
    return out;
  };
  store::messages::list_filter f;
  f.user_id = "usr_a";
  f.instance_id = "ins_a";
  f.limit = 2;
  auto p1 = page(f);
  BOOST_REQUIRE_EQUAL(p1.size(), 2u);
  BOOST_TEST(p1[0].id == "msg_4");
  BOOST_TEST(p1[1].id == "msg_3");
  f.before_seq = p1[1].seq;
  auto p2 = page(f);
  BOOST_REQUIRE_EQUAL(p2.size(), 2u);
  BOOST_TEST(p2[0].id == "msg_2");
  f.before_seq = 0;
  f.limit = 100;
  f.peer = "111";
  BOOST_TEST(page(f).size() == 2u);
  f.peer.clear();
  f.since_ms = 1002;
  f.until_ms = 1004;
  BOOST_TEST(page(f).size() == 2u);
  f.since_ms = f.until_ms = 0;
  f.direction = "inbound";
  BOOST_TEST(page(f).empty());
  f.direction.clear();
  f.status = "sent";
  BOOST_TEST(page(f).empty());
  // Someone else's instance: nothing, even by id.
  f.status.clear();
  f.instance_id = "ins_b";
  BOOST_TEST(page(f).empty());
}

BOOST_AUTO_TEST_CASE(lease_then_sent_removes_the_job_and_appends_the_event) {
  auto m = accept("msg_1", "111");
  auto l = lease({m.seq}, "run_1");
  BOOST_REQUIRE_EQUAL(l.size(), 1u);
  BOOST_TEST(l[0].id == "msg_1");
  BOOST_TEST(l[0].body.find("\"hi\"") != std::string::npos);
  BOOST_TEST(l[0].attempts == 1);
  BOOST_TEST(get("msg_1").status == "sending");
  BOOST_TEST(lease({m.seq}, "run_2").empty());  // leased: nobody else gets it
  BOOST_TEST(queued().empty());
  store::messages::outcome o;
  o.what = store::messages::outcome::kind::sent;
  o.wamid = "wamid.X";
  BOOST_TEST((resolve(m.seq, "run_2", o) == store::error::not_found));  // not the owner
  BOOST_REQUIRE(!resolve(m.seq, "run_1", o));
  auto got = get("msg_1");
  BOOST_TEST(got.status == "sent");
  BOOST_TEST(got.wamid.value_or("") == "wamid.X");
  BOOST_TEST(events().back().type == "message.sent");
  BOOST_TEST((resolve(m.seq, "run_1", o) == store::error::not_found));  // the job is gone
}

BOOST_AUTO_TEST_CASE(retry_keeps_the_job_queued_and_undo_does_not_count_the_attempt) {
  auto m = accept("msg_1", "111");
  lease({m.seq}, "run_1");
  store::messages::outcome o;
  o.what = store::messages::outcome::kind::retry;
  o.error_code = 131000;
  o.error_title = "Something went wrong";
  o.next_attempt_at = 5000;
  BOOST_REQUIRE(!resolve(m.seq, "run_1", o));
  auto got = get("msg_1");
  BOOST_TEST(got.status == "accepted");
  BOOST_TEST(got.attempts == 1);
  BOOST_TEST(got.error_code.value_or(0) == 131000);
  BOOST_REQUIRE_EQUAL(queued().size(), 1u);
  BOOST_TEST(queued()[0].next_attempt_at == 5000);
  lease({m.seq}, "run_1");
  o.undo_attempt = true;
  BOOST_REQUIRE(!resolve(m.seq, "run_1", o));
  BOOST_TEST(get("msg_1").attempts == 1);
  BOOST_TEST(events().size() == 1u);  // a retry is not an event
}

BOOST_AUTO_TEST_CASE(failed_and_dead_then_requeue) {
  auto a = accept("msg_f", "111");
  auto b = accept("msg_d", "222");
  lease({a.seq, b.seq}, "run_1");
  store::messages::outcome failed;
  failed.what = store::messages::outcome::kind::failed;
  failed.error_code = 131026;
  failed.error_title = "Message undeliverable";
  BOOST_REQUIRE(!resolve(a.seq, "run_1", failed));
  store::messages::outcome dead = failed;
  dead.what = store::messages::outcome::kind::dead;
  dead.error_code = 131000;
  BOOST_REQUIRE(!resolve(b.seq, "run_1", dead));
  BOOST_TEST(get("msg_f").status == "failed");
  BOOST_TEST(get("msg_d").status == "dead");
  BOOST_TEST(events().back().type == "message.dead");
  store::messages::message out;
  auto requeue = [&](const std::string& user, const std::string& id, std::vector<std::int64_t> codes) {
    return db->write_sync(
        [&](store::connection& c) { return store::messages::requeue(c, user, id, codes, 3000, out); });
  };
  BOOST_TEST((requeue("usr_a", "msg_f", {}) == store::error::constraint));  // permanent failure
  BOOST_TEST((requeue("usr_b", "msg_d", {}) == store::error::not_found));   // not theirs
  BOOST_REQUIRE(!requeue("usr_a", "msg_d", {}));
  BOOST_TEST(get("msg_d").status == "accepted");
  BOOST_TEST(get("msg_d").attempts == 0);
  BOOST_REQUIRE_EQUAL(queued().size(), 1u);
  BOOST_TEST(queued()[0].seq == b.seq);
  BOOST_TEST((requeue("usr_a", "msg_d", {}) == store::error::constraint));  // queued already
}

BOOST_AUTO_TEST_CASE(a_crashed_runs_leases_are_released_and_flagged) {
  auto a = accept("msg_1", "111");
  auto b = accept("msg_2", "222");
  lease({a.seq}, "run_old");
  std::size_t released = 0;
  BOOST_REQUIRE(!db->write_sync(
      [&](store::connection& c) { return store::messages::release_leases(c, "run_new", 4000, released); }));
  BOOST_TEST(released == 1u);
  BOOST_TEST(get("msg_1").possible_duplicate);
  BOOST_TEST(get("msg_1").status == "accepted");
  BOOST_TEST(!get("msg_2").possible_duplicate);
  BOOST_TEST(queued().size() == 2u);
  // The old owner's late answer no longer counts.
  store::messages::outcome o;
  o.wamid = "wamid.late";
  BOOST_TEST((resolve(a.seq, "run_old", o) == store::error::not_found));
  auto l = lease({a.seq, b.seq}, "run_new");
  BOOST_REQUIRE_EQUAL(l.size(), 2u);
  BOOST_TEST(l[0].possible_duplicate);
  BOOST_TEST(!l[1].possible_duplicate);
  std::vector<std::string> due;
  BOOST_REQUIRE(!db->read_sync([&](store::connection& c) {
    return store::messages::instances_with_due_jobs(c, 1'000'000'000'000'000, 10, due);
  }));
  BOOST_TEST(due.empty());  // both are being sent
}

BOOST_AUTO_TEST_CASE(idempotency_answers_are_kept_then_purged) {
  store::messages::idempotent_answer a{"h1", 202, R"({"id":"msg_1"})", 1000};
  auto put = [&](const std::string& scope, std::int64_t not_before) {
    return db->write_sync(
        [&](store::connection& c) { return store::messages::idempotency_put(c, scope, "k1", "usr_a", a, not_before); });
  };
  BOOST_REQUIRE(!put("key_1", 0));
  BOOST_TEST((put("key_1", 0) == store::error::constraint));  // the first answer stays
  BOOST_REQUIRE(!put("key_2", 0));                            // another scope: its own key
  store::messages::idempotent_answer got;
  BOOST_REQUIRE(
      !db->read_sync([&](store::connection& c) { return store::messages::idempotency_get(c, "key_1", "k1", 0, got); }));
  BOOST_TEST(got.request_hash == "h1");
  BOOST_TEST(got.status == 202);
  BOOST_TEST(got.response == R"({"id":"msg_1"})");
  BOOST_TEST((db->read_sync([&](store::connection& c) {
    return store::messages::idempotency_get(c, "key_1", "k1", 2000, got);
  }) == store::error::not_found));  // too old
  a.created_at = 3000;
  BOOST_REQUIRE(!put("key_1", 2000));  // an expired answer does not hold the key
  std::size_t deleted = 0;
  BOOST_REQUIRE(
      !db->write_sync([&](store::connection& c) { return store::messages::idempotency_purge(c, 2000, 100, deleted); }));
  BOOST_TEST(deleted == 1u);  // key_2's old answer
}

BOOST_AUTO_TEST_SUITE_END()
