// outbound::pacing (sans-I/O): the token bucket's bound, backoff growth and jitter, the pair
// wait, and the verdict on every kind of failure (REFERENCE.md §2.3).
#include <enfinito/meta/client.hpp>
#include <enfinito/outbound/pacing.hpp>

#include "support/graph_error.hpp"

#include <boost/test/unit_test.hpp>

using namespace enfinito;
using test::graph_error_of;
using namespace enfinito::outbound;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(outbound_pacing)

BOOST_AUTO_TEST_CASE(token_bucket_never_exceeds_burst_plus_rate_times_time) {
  const auto t0 = steady::time_point{} + 1h;
  token_bucket b(100, 10, t0);
  int taken = 0;
  // Try every 100 µs for 2 s: at most 10 + 100·2 tokens.
  for (auto t = t0; t < t0 + 2s; t += 100us)
    while (b.try_take(t)) ++taken;
  BOOST_TEST(taken <= 210);
  BOOST_TEST(taken >= 205);
  // An empty bucket says when the next token comes.
  auto now = t0 + 2s;
  while (b.try_take(now)) {}
  auto next = b.next_available(now);
  BOOST_TEST((next > now && next <= now + 10ms + 1us));
  BOOST_TEST(b.try_take(next));
}

BOOST_AUTO_TEST_CASE(hold_until_stops_the_bucket) {
  const auto t0 = steady::time_point{} + 1h;
  token_bucket b(1000, 50, t0);
  b.hold_until(t0 + 500ms);
  BOOST_TEST(!b.try_take(t0 + 499ms));
  BOOST_TEST((b.next_available(t0) == t0 + 500ms));
  BOOST_TEST(b.try_take(t0 + 502ms));
}

BOOST_AUTO_TEST_CASE(backoff_doubles_with_jitter_and_is_capped) {
  retry_policy p{5, 100ms, 1000ms, 6000ms};
  BOOST_TEST(backoff(p, 1, 0.0).count() == 50);
  BOOST_TEST(backoff(p, 1, 1.0).count() == 100);
  BOOST_TEST(backoff(p, 2, 1.0).count() == 200);
  BOOST_TEST(backoff(p, 3, 0.5).count() == 300);
  BOOST_TEST(backoff(p, 10, 1.0).count() == 1000);
  BOOST_TEST(backoff(p, 1000, 0.0).count() == 500);
  BOOST_TEST(pair_wait(p, 0).count() == 1000);  // capped at max
  retry_policy q{5, 100ms, 600'000ms, 6000ms};
  BOOST_TEST(pair_wait(q, 0).count() == 6000);
  BOOST_TEST(pair_wait(q, 1).count() == 24'000);
  BOOST_TEST(pair_wait(q, 2).count() == 96'000);
}

BOOST_AUTO_TEST_CASE(verdicts_by_code) {
  retry_policy p{3, 100ms, 1000ms, 6000ms};
  struct row {
    std::int64_t code;
    verdict::kind want;
    bool counts;
  };
  const row rows[] = {
      {131000, verdict::kind::retry, true},  {1, verdict::kind::retry, true},
      {2, verdict::kind::retry, true},       {133004, verdict::kind::retry, true},
      {130429, verdict::kind::retry, false}, {4, verdict::kind::retry, false},
      {80007, verdict::kind::retry, false},  {131056, verdict::kind::retry, false},
      {190, verdict::kind::reauth, false},   {0, verdict::kind::reauth, false},
      {131026, verdict::kind::failed, true}, {131047, verdict::kind::failed, true},
      {131008, verdict::kind::failed, true}, {131009, verdict::kind::failed, true},
      {132000, verdict::kind::failed, true}, {132001, verdict::kind::failed, true},
      {100, verdict::kind::failed, true},    {368, verdict::kind::failed, true},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("code " << r.code) {
      auto e = graph_error_of(r.code);
      auto v = judge(&e, {}, 1, 0, p, 0.5);
      BOOST_TEST(static_cast<int>(v.what) == static_cast<int>(r.want));
      BOOST_TEST(v.counts == r.counts);
      BOOST_TEST(v.code.value_or(-1) == r.code);
    }
  }
  auto pair = graph_error_of(131056);
  auto v = judge(&pair, {}, 1, 2, p, 0.5);
  BOOST_TEST(v.pair_throttle);
  BOOST_TEST(!v.hold_instance);
  BOOST_TEST(v.delay.count() == 1000);  // 6000·16 capped at max
  auto tp = graph_error_of(130429);
  v = judge(&tp, {}, 1, 0, p, 0.5);
  BOOST_TEST(v.hold_instance);
  BOOST_TEST(!v.pair_throttle);
}

BOOST_AUTO_TEST_CASE(out_of_attempts_is_dead_but_throttles_never_die) {
  retry_policy p{3, 100ms, 1000ms, 6000ms};
  auto e = graph_error_of(131000, 500);
  BOOST_TEST(static_cast<int>(judge(&e, {}, 2, 0, p, 0.5).what) == static_cast<int>(verdict::kind::retry));
  BOOST_TEST(static_cast<int>(judge(&e, {}, 3, 0, p, 0.5).what) == static_cast<int>(verdict::kind::dead));
  auto t = graph_error_of(130429);
  BOOST_TEST(static_cast<int>(judge(&t, {}, 30, 0, p, 0.5).what) == static_cast<int>(verdict::kind::retry));
}

BOOST_AUTO_TEST_CASE(transport_errors_retry_and_flag_when_the_request_may_have_arrived) {
  retry_policy p{3, 100ms, 1000ms, 6000ms};
  auto v = judge(nullptr, meta::error::connect_failed, 1, 0, p, 0.5);
  BOOST_TEST(static_cast<int>(v.what) == static_cast<int>(verdict::kind::retry));
  BOOST_TEST(!v.possible_duplicate);
  BOOST_TEST(!v.code.has_value());
  BOOST_TEST(v.hold_instance);  // an outage slows the instance, not just this message
  v = judge(nullptr, meta::error::timeout, 1, 0, p, 0.5);
  BOOST_TEST(v.possible_duplicate);
  v = judge(nullptr, meta::error::io_failed, 3, 0, p, 0.5);
  BOOST_TEST(static_cast<int>(v.what) == static_cast<int>(verdict::kind::dead));
  // Not Meta's envelope: a proxy's 502 is retryable, its 400 is not.
  meta::graph_error proxy;
  proxy.http_status = 502;
  BOOST_TEST(static_cast<int>(judge(&proxy, {}, 1, 0, p, 0.5).what) == static_cast<int>(verdict::kind::retry));
  BOOST_TEST(judge(&proxy, {}, 1, 0, p, 0.5).hold_instance);
  proxy.http_status = 400;
  BOOST_TEST(static_cast<int>(judge(&proxy, {}, 1, 0, p, 0.5).what) == static_cast<int>(verdict::kind::failed));
}

BOOST_AUTO_TEST_CASE(server_errors_hold_the_instance_like_an_outage) {
  // Found by the upstream outage harness (chaos_outage): a 503 from Meta held only the one
  // message, so a whole backlog was tried at the full send rate through the outage.
  retry_policy p{3, 100ms, 1000ms, 6000ms};
  for (auto [code, http] : {std::pair<std::int64_t, unsigned>{2, 503}, {131000, 500}, {1, 500}}) {
    BOOST_TEST_CONTEXT("code " << code) {
      auto e = graph_error_of(code, http);
      auto v = judge(&e, {}, 1, 0, p, 0.5);
      BOOST_TEST(static_cast<int>(v.what) == static_cast<int>(verdict::kind::retry));
      BOOST_TEST(v.hold_instance);
      BOOST_TEST(v.counts);
      BOOST_TEST(v.delay.count() > 0);
    }
  }
  // A retryable error Meta answers with a 4xx is about the request, not an outage.
  auto e = graph_error_of(133004, 400);
  BOOST_TEST(!judge(&e, {}, 1, 0, p, 0.5).hold_instance);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(outbound_judge_answer)

namespace {
core::result<meta::response> answered(unsigned status, std::string body) {
  meta::response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}
const retry_policy policy{3, 100ms, 1000ms, 6000ms};
}  // namespace

BOOST_AUTO_TEST_CASE(a_wamid_is_accepted) {
  auto a = judge_answer(answered(200, R"({"messaging_product":"whatsapp","contacts":[{"input":"+1 555 0100",)"
                                      R"("wa_id":"15550100"}],"messages":[{"id":"wamid.TEST1"}]})"),
                        1, 0, policy, 0.5);
  BOOST_TEST(a.accepted);
  BOOST_TEST(a.wamid == "wamid.TEST1");
  BOOST_TEST(a.wa_id == "15550100");
  BOOST_TEST(a.error_title.empty());
}

BOOST_AUTO_TEST_CASE(an_unreadable_2xx_is_retried_as_a_possible_duplicate) {
  auto a = judge_answer(answered(200, R"({"ok":true})"), 1, 0, policy, 0.5);
  BOOST_TEST(!a.accepted);
  BOOST_TEST(static_cast<int>(a.v.what) == static_cast<int>(verdict::kind::retry));
  BOOST_TEST(a.v.possible_duplicate);
  BOOST_TEST(a.error_title == "Unreadable answer from the Graph API");
}

BOOST_AUTO_TEST_CASE(a_graph_error_keeps_its_code_status_and_trace) {
  auto a =
      judge_answer(answered(400, R"({"error":{"message":"(#131026) Message undeliverable","type":"OAuthException",)"
                                 R"("code":131026,"fbtrace_id":"TRACE1"}})"),
                   1, 0, policy, 0.5);
  BOOST_TEST(!a.accepted);
  BOOST_TEST(static_cast<int>(a.v.what) == static_cast<int>(verdict::kind::failed));
  BOOST_TEST(a.v.code.value_or(0) == 131026);
  BOOST_TEST(a.http_status == 400u);
  BOOST_TEST(a.fbtrace_id == "TRACE1");
  BOOST_TEST(a.error_title == std::string(meta::error_title(131026)));
  BOOST_TEST(a.error_title.find("(#131026)") == std::string::npos);  // our words, not Meta's message
  // Not Meta's envelope: our own text names the status.
  auto proxy = judge_answer(answered(502, "<html>bad gateway</html>"), 1, 0, policy, 0.5);
  BOOST_TEST(static_cast<int>(proxy.v.what) == static_cast<int>(verdict::kind::retry));
  BOOST_TEST(proxy.error_title == "Graph API answered HTTP 502");
}

BOOST_AUTO_TEST_CASE(a_transport_error_is_named_by_our_own_text) {
  core::result<meta::response> cut = core::error_code(meta::error::timeout);
  auto a = judge_answer(cut, 1, 0, policy, 0.5);
  BOOST_TEST(!a.accepted);
  BOOST_TEST(a.v.possible_duplicate);
  BOOST_TEST(a.http_status == 0u);
  BOOST_TEST(a.error_title == core::error_code(meta::error::timeout).message());
}

BOOST_AUTO_TEST_SUITE_END()
