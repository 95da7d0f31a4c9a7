// outbound::accept without sockets: a send is committed with its job, a key replays the first
// answer or refuses another request, and nothing is stored for a refused body or an instance
// that may not send.
#include "support/temp_store.hpp"

#include <enfinito/meta/message_rules.hpp>
#include <enfinito/outbound/accept.hpp>
#include <enfinito/store/messages.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <ostream>

namespace enfinito::outbound {
// For Boost.Test's messages.
std::ostream& operator<<(std::ostream& o, accept_result::kind k) { return o << static_cast<int>(k); }
}  // namespace enfinito::outbound

using namespace enfinito;
using kind = outbound::accept_result::kind;

namespace {

struct accept_fixture : test::temp_store {
  config::queue_settings settings;
  store::instances::instance inst;
  int checks = 0;  // how often the body check ran

  accept_fixture() {
    add_users();
    add_instance("ins_a", "usr_a", "la");
    inst.id = "ins_a";
    inst.user_id = "usr_a";
  }

  outbound::accept_result send(const std::string& body, const std::string& key = {}) {
    outbound::send_request rq{inst,
                              "usr_a",
                              std::optional<std::string>("key_1"),
                              key,
                              "POST",
                              "/v1/instances/ins_a/messages",
                              body,
                              [this, body]() -> std::optional<meta::checked_message> {
                                ++checks;
                                boost::system::error_code ec;
                                auto v = boost::json::parse(body, ec);
                                if (ec) return std::nullopt;
                                auto checked = meta::check_message(std::move(v));
                                if (!checked.ok) return std::nullopt;
                                return std::move(checked.message);
                              }};
    net::io_context ctx(1);
    auto guard = net::make_work_guard(ctx);
    std::optional<outbound::accept_result> out;
    net::co_spawn(ctx, outbound::accept({*db, nullptr, settings}, std::move(rq)),
                  [&](std::exception_ptr e, outbound::accept_result r) {
                    if (e) std::rethrow_exception(e);
                    out = std::move(r);
                    guard.reset();
                  });
    ctx.run();
    // The store threads return from their post before `ctx` goes (ThreadSanitizer).
    BOOST_REQUIRE(!db->write_sync([](store::connection&) { return core::error_code{}; }));
    BOOST_REQUIRE(!db->read_sync([](store::connection&) { return core::error_code{}; }));
    BOOST_REQUIRE(out);
    return std::move(*out);
  }

  std::size_t stored() {
    std::vector<store::messages::message> rows;
    store::messages::list_filter f;
    f.user_id = "usr_a";
    f.instance_id = "ins_a";
    BOOST_REQUIRE(!db->read_sync([&](store::connection& c) { return store::messages::list(c, f, rows); }));
    return rows.size();
  }
};

const std::string hello = R"({"messaging_product":"whatsapp","to":"+15551230001","type":"text","text":{"body":"hi"}})";
const std::string other = R"({"messaging_product":"whatsapp","to":"+15551230001","type":"text","text":{"body":"ho"}})";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(outbound_accept, accept_fixture)

BOOST_AUTO_TEST_CASE(a_send_is_committed_with_its_job_and_answered_with_its_record) {
  auto r = send(hello);
  BOOST_REQUIRE(r.what == kind::accepted);
  BOOST_TEST(r.status == 202);
  BOOST_TEST(r.message.seq > 0);
  BOOST_TEST(r.message.peer == "15551230001");
  BOOST_TEST(*r.message.api_key_id == "key_1");
  auto record = boost::json::parse(r.answer).as_object();
  BOOST_TEST(record.at("id").as_string() == r.message_id);
  BOOST_TEST(record.at("status").as_string() == "accepted");
  BOOST_TEST(stored() == 1u);
  std::vector<store::messages::job_ref> jobs;
  BOOST_REQUIRE(
      !db->read_sync([&](store::connection& c) { return store::messages::queued_jobs(c, "ins_a", 0, 10, jobs); }));
  BOOST_TEST(jobs.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_key_replays_the_first_answer_or_refuses_another_request) {
  auto first = send(hello, "order-1");
  BOOST_REQUIRE(first.what == kind::accepted);
  auto again = send(hello, "order-1");
  BOOST_REQUIRE(again.what == kind::replayed);
  BOOST_TEST(again.status == 202);
  BOOST_TEST(again.answer == first.answer);
  BOOST_TEST(again.message_id == first.message_id);
  BOOST_TEST(send(other, "order-1").what == kind::key_reused);
  BOOST_TEST(checks == 1);  // a replay or a refusal never checks (nor stores) the body
  BOOST_TEST(stored() == 1u);
  BOOST_TEST(send(other, "order-2").what == kind::accepted);
  BOOST_TEST(stored() == 2u);
}

BOOST_AUTO_TEST_CASE(nothing_is_stored_for_a_refused_body_or_an_instance_that_may_not_send) {
  BOOST_TEST(send(R"({"to":7})").what == kind::body_refused);
  inst.status = "needs_reauth";
  BOOST_TEST(send(hello).what == kind::needs_reauth);
  inst.status = "disabled";
  BOOST_TEST(send(hello, "k").what == kind::disabled);
  BOOST_TEST(stored() == 0u);
  // A refused send leaves its key free for the retry that follows the fix.
  inst.status = "active";
  BOOST_TEST(send(hello, "k").what == kind::accepted);
}

BOOST_AUTO_TEST_SUITE_END()
