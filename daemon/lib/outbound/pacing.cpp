// outbound::pacing: token bucket, retry delays and the verdict on one send attempt.
#include <enfinito/outbound/pacing.hpp>

#include <enfinito/meta/client.hpp>

#include <algorithm>
#include <cmath>

namespace enfinito::outbound {

token_bucket::token_bucket(double rate, double burst, steady::time_point now) noexcept
    : rate_(std::max(rate, 0.001)), burst_(std::max(burst, 1.0)), tokens_(burst_), last_(now) {}

void token_bucket::refill(steady::time_point now) noexcept {
  if (now <= last_) return;
  const double secs = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + secs * rate_);
  last_ = now;
}

bool token_bucket::try_take(steady::time_point now) noexcept {
  if (now < hold_) return false;
  refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

steady::time_point token_bucket::next_available(steady::time_point now) const noexcept {
  if (now < hold_) return hold_;
  const double secs = std::chrono::duration<double>(std::max(now, last_) - last_).count();
  const double have = std::min(burst_, tokens_ + secs * rate_);
  if (have >= 1.0) return now;
  const auto wait = std::chrono::duration<double>((1.0 - have) / rate_);
  return now + std::chrono::ceil<std::chrono::microseconds>(wait);
}

void token_bucket::hold_until(steady::time_point until) noexcept {
  hold_ = std::max(hold_, until);
  tokens_ = 0;
  last_ = hold_;
}

void token_bucket::set_rate(double rate, steady::time_point now) noexcept {
  refill(now);  // what accrued so far, at the old rate
  rate_ = std::max(rate, 0.001);
}

milliseconds backoff(const retry_policy& p, std::int64_t attempts, double unit) noexcept {
  const auto n = std::clamp<std::int64_t>(attempts, 1, 40) - 1;
  const double full = std::min(static_cast<double>(p.max.count()),
                               static_cast<double>(p.base.count()) * std::pow(2.0, static_cast<double>(n)));
  const double jittered = full / 2 + full / 2 * std::clamp(unit, 0.0, 1.0);
  return milliseconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(jittered)));
}

milliseconds pair_wait(const retry_policy& p, unsigned repeats) noexcept {
  const double w = static_cast<double>(p.pair_wait.count()) * std::pow(4.0, std::min(repeats, 20u));
  return milliseconds(static_cast<std::int64_t>(std::min(w, static_cast<double>(p.max.count()))));
}

namespace {

// Did the request possibly reach Meta? Only when the failure came after it was written.
bool may_have_arrived(core::error_code transport) noexcept {
  using meta::error;
  return transport == error::timeout || transport == error::io_failed || transport == error::response_too_large ||
         transport == error::bad_response;
}

bool throughput_throttle(std::int64_t code) noexcept {
  return code == 4 || code == 17 || code == 341 || code == 80007 || code == 130429;
}

}  // namespace

verdict judge(const meta::graph_error* e, core::error_code transport, std::int64_t attempts, unsigned pair_repeats,
              const retry_policy& p, double unit) noexcept {
  verdict v;
  auto retry_or_dead = [&] {
    if (v.counts && attempts >= static_cast<std::int64_t>(p.max_attempts)) {
      v.what = verdict::kind::dead;
      return v;
    }
    v.what = verdict::kind::retry;
    if (v.delay.count() == 0) v.delay = backoff(p, attempts, unit);
    return v;
  };
  if (!e) {
    // Meta unreachable or cut off: likely not this message's fault. The whole instance backs
    // off too (a simple circuit breaker), so an outage costs a trickle of attempts, not one
    // per queued message.
    v.possible_duplicate = may_have_arrived(transport);
    v.hold_instance = true;
    v.delay = backoff(p, attempts, unit);
    return retry_or_dead();
  }
  if (e->envelope) v.code = e->code;
  switch (meta::classify(*e)) {
    case meta::disposition::needs_reauth:
      v.what = verdict::kind::reauth;
      v.counts = false;
      return v;
    case meta::disposition::permanent:
      v.what = verdict::kind::failed;
      return v;
    case meta::disposition::retryable:
      break;
  }
  // Throttles are Meta asking us to slow down, not the message failing: they do not use up
  // attempts. 131056 holds only that recipient; throughput limits hold the whole instance.
  if (e->envelope && e->code == 131056) {
    v.counts = false;
    v.pair_throttle = true;
    v.delay = pair_wait(p, pair_repeats);
  } else if (e->envelope && throughput_throttle(e->code)) {
    v.counts = false;
    v.hold_instance = true;
    v.delay = backoff(p, 1, unit);
  } else if (!e->envelope || e->http_status >= 500) {
    // Meta (or the proxy in front of it) failing on its side is an outage like a transport
    // error: the whole instance backs off, or every queued message would be tried (and use up
    // its attempts) at the full send rate for as long as the outage lasts.
    v.hold_instance = true;
  }
  return retry_or_dead();
}

answer judge_answer(const core::result<meta::response>& res, std::int64_t attempts, unsigned pair_repeats,
                    const retry_policy& p, double unit) {
  answer a;
  if (res && res->ok()) {
    if (auto parsed = meta::parse_send_response(res->body)) {
      a.accepted = true;
      a.wamid = std::move(parsed->wamid);
      a.wa_id = std::move(parsed->wa_id);
      return a;
    }
    // A 2xx we cannot read: Meta may have taken it. Retry, flagged.
    a.v = judge(nullptr, meta::error::bad_response, attempts, pair_repeats, p, unit);
  } else if (res) {
    a.http_status = res->status;
    const auto ge = meta::parse_error(res->status, res->body);
    a.fbtrace_id = ge.fbtrace_id;
    a.v = judge(&ge, {}, attempts, pair_repeats, p, unit);
  } else {
    a.v = judge(nullptr, res.error(), attempts, pair_repeats, p, unit);
  }
  if (a.v.code)
    a.error_title = meta::error_title(*a.v.code);
  else if (!res)
    a.error_title = res.error().message();  // our own text (meta::error)
  else if (res->ok())
    a.error_title = "Unreadable answer from the Graph API";
  else
    a.error_title = "Graph API answered HTTP " + std::to_string(res->status);
  return a;
}

}  // namespace enfinito::outbound
