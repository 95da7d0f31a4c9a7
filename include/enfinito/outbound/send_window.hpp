#pragma once
/**
 * @file outbound::send_window: what one instance's dispatcher decides, as a state machine with
 * no I/O, no Asio and no store. outbound/queue.cpp feeds it events and `now`, and carries out
 * what it answers:
 *
 *   event (from queue.cpp)                      the window answers / changes
 *   ──────────────────────                      ─────────────────────────────
 *   offer(seq, peer)   a job was committed      holds it, or asks for a load (wants_load)
 *   begin_load / loaded / end_load              the store's queued jobs, in seq order, ≤ cap
 *   set_rate / set_paused   the instance row    the token bucket's rate; pause or resume
 *   pick(now)                                   jobs to lease and send now, or how long to wait
 *   started / not_leased   the lease write      in flight, or forgotten (resolved meanwhile)
 *   judged(seq, verdict)   Meta's answer        pause (190), hold the instance or the peer
 *   retry_at / resolved / commit_failed / gone  the job waits, leaves, or is tried again later
 *
 * What it owns: what is due, per-recipient order (per peer only its earliest job held, never
 * two in flight), the per-instance rate (pacing's token_bucket), 131056 pacing per peer, the
 * in-flight cap and the window cap (memory per instance stays bounded by `cap` job refs, plus,
 * while it holds a broadcast's jobs, `interactive_reserve` single sends held ahead of them).
 *
 * Broadcasts (issue 21): a job is `bulk` when it belongs to a broadcast. Single sends go
 * first: each pick hands tokens to every due single send before any bulk job, bulk jobs hold
 * at most `bulk_slots` (3/4) of the in-flight slots, and a single send offered while the window
 * holds a broadcast's jobs is held at once. So a broadcast uses the rate single sends
 * leave, and a single send waits at most for the next token. Per-recipient order holds among
 * single sends and within a broadcast; a single send may overtake a queued broadcast message
 * to the same recipient, never one in flight (a peer has at most one job in flight).
 * Retry delays come in with the verdict (pacing.hpp `judge`, `backoff`).
 *
 * Time: `instant::wall` is unix ms (due times are stored as such), `instant::steady` is
 * monotonic ms for the rate: core::wall_ms / core::steady_ms in production, a
 * test::manual_clock in tests.
 *
 * Leases: a job is sent only once the store leased it to this run (`lease_expiry` says until
 * when); a job whose outcome could not be committed keeps its lease in the store and is
 * picked again after `commit_retry_ms` (the store hands a run its own lease again). Jobs
 * leased by an earlier run come back through the store (queue::recover), flagged.
 *
 * *Thread safety:* none; one dispatcher, one thread.
 */
#include <enfinito/outbound/pacing.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace enfinito::outbound {

/** "Now" on the two scales the window uses, in milliseconds. */
struct instant {
  std::int64_t wall = 0;    // unix ms: due times, 131056 pacing, lease expiry
  std::int64_t steady = 0;  // monotonic ms: the token bucket
};

struct window_options {
  std::size_t cap = 4096;          // queue.window: job refs held in memory
  unsigned max_in_flight = 32;     // queue.max_in_flight: sends in flight per instance
  double rate = 80;                // messages per second (send_rate)
  double burst = 16;               // bucket capacity
  std::int64_t lease_ms = 60'000;  // queue.lease
};

/** Single sends held above `cap` when the window is full of a broadcast's jobs. */
constexpr std::size_t interactive_reserve(const window_options& o) noexcept { return o.cap / 4 + 1; }
/** In-flight slots broadcast jobs may hold: 3/4 of them (at least 1), the rest for single sends. */
constexpr unsigned bulk_slots(const window_options& o) noexcept {
  return o.max_in_flight > 1 ? o.max_in_flight - std::max(1u, o.max_in_flight / 4) : 1;
}

class send_window {
 public:
  /** A job whose outcome failed to commit (store error) is tried again this much later. */
  static constexpr std::int64_t commit_retry_ms = 1000;

  send_window(const window_options& o, std::int64_t steady_now);

  // ---- work announced and loaded ------------------------------------------------------------

  /**
   * A job committed by the accept (`seq` > 0), held directly when everything queued is already
   * held and there is room; otherwise (or with `seq` 0, "look in the store") the next load
   * finds it.
   */
  void offer(std::int64_t seq, std::string peer, std::int64_t wall_now, bool bulk = false);

  /**
   * Whether to read the store now: asked to, the instance row changed (`row_changed`), or
   * the store may hold more and the window has room for a batch (a quarter of the cap).
   */
  bool wants_load(bool row_changed) const noexcept;

  /** One load from the store: jobs with seq > `after`, at most `room`. */
  struct load {
    bool from_start = false;
    std::uint64_t generation = 0;  // offers seen when the load began
    std::size_t room = 0;
    std::int64_t after = 0;
  };
  load begin_load() noexcept;
  /** One job the load returned (seq order). */
  void loaded(std::int64_t seq, std::string peer, std::int64_t due, bool bulk = false);
  /** The load returned `count` jobs: fewer than `room` with no offer since means all are held. */
  void end_load(const load& l, std::size_t count) noexcept;
  /** The read failed: ask again as the load asked. */
  void load_failed(const load& l) noexcept;

  // ---- the instance row ---------------------------------------------------------------------

  /** The number's rate changed (throughput level). True when it differed. */
  bool set_rate(double rate, std::int64_t steady_now) noexcept;
  /** The instance is not `active` (needs_reauth, disabled). True when this resumed it. */
  bool set_paused(bool paused) noexcept;
  bool paused() const noexcept { return paused_; }
  /** Nothing to do until an event: paused, or nothing held. */
  bool idle() const noexcept { return paused_ || jobs_.empty(); }

  // ---- picking and leasing ------------------------------------------------------------------

  /**
   * Appends to `out` the jobs to lease and send now, single sends first, each kind in seq
   * order (bulk jobs within `bulk_slots`): per peer only its earliest
   * held job, if due, the peer not paced, a token in the bucket, and room under the in-flight
   * cap. Returns how long until one may be (ms, at least 0), or nothing when only an event can
   * change that.
   */
  std::optional<std::int64_t> pick(instant now, std::vector<std::int64_t>& out);
  /** The lease expiry to write for jobs leased at `wall_now`. */
  std::int64_t lease_expiry(std::int64_t wall_now) const noexcept { return wall_now + opts_.lease_ms; }
  /** The store leased picked job `seq`: it is in flight. */
  void started(std::int64_t seq);
  /** The store did not lease picked job `seq` (resolved or deleted meanwhile): forget it. */
  void not_leased(std::int64_t seq) noexcept;

  // ---- an attempt finished ------------------------------------------------------------------

  /** The recipient of held job `seq` (empty when not held). */
  const std::string& peer_of(std::int64_t seq) const noexcept;
  /** How many 131056 in a row the recipient of `seq` got (pacing's `pair_wait`). */
  unsigned pair_repeats(std::int64_t seq) const noexcept;
  /**
   * A failed attempt's verdict, before its outcome commits: 190 pauses the instance (true
   * when this attempt paused it), a throttle or outage holds the bucket, 131056 the peer.
   */
  bool judged(std::int64_t seq, const verdict& v, instant now);
  /** The outcome committed: retry `seq` at `due` (unix ms). */
  void retry_at(std::int64_t seq, std::int64_t due) noexcept;
  /** The outcome committed: sent (the peer's 131056 pacing ends), failed or dead. */
  void resolved(std::int64_t seq, bool sent);
  /** The job is gone or no longer leased by this run (instance deleted): forget it. */
  void gone(std::int64_t seq) noexcept;
  /**
   * The outcome could not be committed: the job keeps its lease and is tried again after
   * `commit_retry_ms`; a pause this attempt caused (`first_reauth`) is undone.
   */
  void commit_failed(std::int64_t seq, bool first_reauth, std::int64_t wall_now) noexcept;

  // ---- inspection ---------------------------------------------------------------------------
  std::size_t size() const noexcept { return jobs_.size(); }
  unsigned in_flight() const noexcept { return in_flight_; }
  unsigned bulk_in_flight() const noexcept { return bulk_in_flight_; }
  double rate() const noexcept { return bucket_.rate(); }

 private:
  struct job {
    std::string peer;
    std::int64_t due = 0;  // unix ms
    bool in_flight = false;
    bool bulk = false;  // a broadcast's job
  };
  // 131056 pacing of one recipient.
  struct peer_pace {
    std::int64_t until = 0;  // unix ms
    unsigned repeats = 0;
  };
  void finish(std::map<std::int64_t, job>::iterator it) noexcept;
  void hold(std::int64_t seq, std::string peer, std::int64_t due, bool bulk);
  void drop(std::map<std::int64_t, job>::iterator it) noexcept;

  window_options opts_;
  std::map<std::int64_t, job> jobs_;  // seq → job, ascending
  std::unordered_map<std::string, peer_pace> paces_;
  token_bucket bucket_;
  std::int64_t cursor_ = 0;  // highest seq held or loaded
  unsigned in_flight_ = 0;
  unsigned bulk_in_flight_ = 0;
  std::size_t bulk_held_ = 0;  // broadcast jobs among jobs_
  std::uint64_t offers_ = 0;   // offers not folded into the window
  bool rescan_ = true;         // next load starts from the instance's first job
  bool exhausted_ = false;     // every queued job of the instance is held
  bool paused_ = false;
};

}  // namespace enfinito::outbound
