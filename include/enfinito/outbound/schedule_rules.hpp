#pragma once
/**
 * @file The rule for Enfinito's scheduling fields (issue 21), the same for a single send
 * (`send_at` / `expires_at` in the body of POST /v1/instances/{id}/messages) and a broadcast:
 * unix milliseconds, `send_at` at most a year ahead (a later date is a typo, not a plan),
 * `expires_at` after now and after `send_at`. Pure: the caller gives the time.
 */
#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>

namespace enfinito::outbound {

/** How far ahead `send_at` may be: a year (366 days). */
inline constexpr std::int64_t max_schedule_ahead_ms = 366LL * 24 * 3600 * 1000;

/** A refused schedule: the field to name and what it must be. */
struct schedule_refusal {
  const char* field;
  const char* detail;
};

/** Checks `send_at` and `expires_at` (0: not given) at `now`; the refusal, or nothing. */
std::optional<schedule_refusal> check_schedule(std::int64_t now, std::int64_t send_at, std::int64_t expires_at);

struct schedule;  // outbound/accept.hpp

/**
 * Takes the scheduling fields out of a single send's body (Meta never sees them) into `when`:
 * `send_at` (0 when not in the future: now) and `expires_at`, each a positive integer, checked
 * at `now`. The refusal, or nothing (the body keeps the fields when refused).
 */
std::optional<schedule_refusal> take_schedule(boost::json::object& body, std::int64_t now, schedule& when);

}  // namespace enfinito::outbound
