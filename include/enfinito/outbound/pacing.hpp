#pragma once
/**
 * @file outbound::pacing: the send queue's decisions as plain functions, free of I/O and
 * clocks (times are passed in), so unit tests drive them directly:
 * - `token_bucket`: the per-instance rate limit (Meta's throughput, 80 msg/s by default);
 * - `backoff` / `pair_wait`: how long a message or a recipient waits before the next try;
 * - `judge`: what one attempt's result means for the message (sent, failed, dead, retry,
 *   pause the instance), following meta::classify and REFERENCE.md §2.3;
 * - `judge_answer`: the same from Meta's raw answer (or the transport error), with what the
 *   message log records of it.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/meta/client.hpp>
#include <enfinito/meta/graph.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace enfinito::outbound {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

/**
 * A token bucket: `rate` tokens per second, at most `burst` stored. Starts full. Over any
 * interval T, at most `burst + rate * T` tokens are taken, which is the bound the rate-limit
 * test checks at the fake Graph API.
 */
class token_bucket {
 public:
  token_bucket(double rate, double burst, steady::time_point now) noexcept;
  /** Takes one token if one is available at `now`. */
  bool try_take(steady::time_point now) noexcept;
  /** When the next token is available (`now` when one is). */
  steady::time_point next_available(steady::time_point now) const noexcept;
  /** No token before `until` (Meta said 130429/4/80007: back off as a whole). Empties the bucket. */
  void hold_until(steady::time_point until) noexcept;
  /** Changes the rate (Meta raised or lowered the number's throughput); keeps the tokens. */
  void set_rate(double rate, steady::time_point now) noexcept;
  double rate() const noexcept { return rate_; }

 private:
  void refill(steady::time_point now) noexcept;
  double rate_;
  double burst_;
  double tokens_;
  steady::time_point last_;
  steady::time_point hold_{};
};

struct retry_policy {
  unsigned max_attempts = 8;
  milliseconds base{1'000};
  milliseconds max{300'000};
  milliseconds pair_wait{6'000};
};

/**
 * The wait after the `attempts`-th failed attempt (1-based): base·2^(attempts-1), capped at
 * max, then "equal jitter": uniformly in [d/2, d] given `unit` in [0, 1).
 */
milliseconds backoff(const retry_policy& p, std::int64_t attempts, double unit) noexcept;

/** 131056: the recipient waits pair_wait·4^repeats (Meta: retry after 4^X s), capped at max. */
milliseconds pair_wait(const retry_policy& p, unsigned repeats) noexcept;

/** What to do after one attempt. */
struct verdict {
  enum class kind {
    sent,    // Meta accepted it
    failed,  // permanent: the request or the account must change
    dead,    // retryable, but out of attempts
    retry,   // try again at now + delay
    reauth,  // 190/0: the instance needs a new token; pause its queue, requeue this one
  };
  kind what = kind::sent;
  milliseconds delay{0};             // retry
  bool counts = true;                // the attempt counts toward max_attempts
  bool hold_instance = false;        // throttle, transport or server error: the whole instance waits `delay`
  bool pair_throttle = false;        // 131056: only this recipient waits `delay`
  bool possible_duplicate = false;   // the request may have reached Meta (timeout, cut answer)
  std::optional<std::int64_t> code;  // Meta's code (none for transport errors)
};

/**
 * Judges an attempt that ended with a Graph error `e` (or, when `e` is null, the transport
 * error `transport`). `attempts` includes this one; `pair_repeats` is how many 131056 in a
 * row this recipient got before; `unit` is the jitter draw in [0, 1).
 */
verdict judge(const meta::graph_error* e, core::error_code transport, std::int64_t attempts, unsigned pair_repeats,
              const retry_policy& p, double unit) noexcept;

/** One attempt's answer, judged, with what the message log and the logs record of it. */
struct answer {
  bool accepted = false;  // Meta took the message: `wamid`, `wa_id`
  std::string wamid;
  std::string wa_id;         // Meta's contacts[0].wa_id
  verdict v;                 // not accepted: what to do
  unsigned http_status = 0;  // Meta's HTTP status (0: transport error)
  std::string fbtrace_id;    // for the log
  std::string error_title;   // not accepted: the code's title in our words, or our own text
};

/**
 * Judges Meta's answer `res` to one send (or its transport error): a 2xx with a wamid is
 * accepted; a 2xx without one is treated as a cut answer (retry, possible duplicate); an
 * error goes through `judge`. Arguments as for `judge`.
 */
answer judge_answer(const core::result<meta::response>& res, std::int64_t attempts, unsigned pair_repeats,
                    const retry_policy& p, double unit);

}  // namespace enfinito::outbound
