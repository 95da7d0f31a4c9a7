// outbound::send_window: one instance's window of queued jobs, its pick, and what an attempt's
// verdict and commit change in it. No I/O; outbound/queue.cpp drives it.
#include <enfinito/outbound/send_window.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <memory_resource>
#include <string_view>
#include <unordered_set>

namespace enfinito::outbound {
namespace {

steady::time_point steady_at(std::int64_t ms) noexcept { return steady::time_point(milliseconds(ms)); }

}  // namespace

send_window::send_window(const window_options& o, std::int64_t steady_now)
    : opts_(o), bucket_(o.rate, o.burst, steady_at(steady_now)) {}

void send_window::offer(std::int64_t seq, std::string peer, std::int64_t wall_now, bool bulk) {
  if (seq > 0 && exhausted_ && !rescan_ && jobs_.size() < opts_.cap) {
    hold(seq, std::move(peer), wall_now, bulk);
    cursor_ = std::max(cursor_, seq);
    return;
  }
  // A single send does not wait for a broadcast's queued jobs ahead of it to pass through the
  // window: while the window holds broadcast jobs, it is held at once, in a reserve above the
  // cap, without moving the cursor (the load that reaches its seq finds it held and skips it).
  if (seq > 0 && !bulk && bulk_held_ > 0 && jobs_.size() < opts_.cap + interactive_reserve(opts_)) {
    hold(seq, std::move(peer), wall_now, false);
    return;
  }
  if (seq <= 0) rescan_ = true;
  exhausted_ = false;
  ++offers_;
}

bool send_window::wants_load(bool row_changed) const noexcept {
  return rescan_ || row_changed || (!exhausted_ && (jobs_.empty() || jobs_.size() + opts_.cap / 4 <= opts_.cap));
}

send_window::load send_window::begin_load() noexcept {
  load l;
  l.from_start = rescan_;
  rescan_ = false;
  l.generation = offers_;
  l.room = opts_.cap > jobs_.size() ? opts_.cap - jobs_.size() : 0;
  l.after = l.from_start ? 0 : cursor_;
  return l;
}

void send_window::loaded(std::int64_t seq, std::string peer, std::int64_t due, bool bulk) {
  cursor_ = std::max(cursor_, seq);
  hold(seq, std::move(peer), due, bulk);
}

void send_window::end_load(const load& l, std::size_t count) noexcept {
  exhausted_ = count < l.room && l.generation == offers_;
}

void send_window::load_failed(const load& l) noexcept { rescan_ = l.from_start; }

bool send_window::set_rate(double rate, std::int64_t steady_now) noexcept {
  if (rate == bucket_.rate()) return false;
  bucket_.set_rate(rate, steady_at(steady_now));
  return true;
}

bool send_window::set_paused(bool paused) noexcept {
  const bool resumed = paused_ && !paused;
  paused_ = paused;
  return resumed;
}

std::optional<std::int64_t> send_window::pick(instant now, std::vector<std::int64_t>& out) {
  // The peers already considered in this pass. Their nodes come from a buffer on the stack:
  // from the heap they were a malloc per waiting job per pass, ~7 per message sent.
  std::array<std::byte, 16 * 1024> buffer;
  std::pmr::monotonic_buffer_resource arena(buffer.data(), buffer.size());
  std::pmr::unordered_set<std::string_view> seen(&arena);
  constexpr auto never = std::numeric_limits<std::int64_t>::max();
  std::int64_t next_due = never;
  std::optional<steady::time_point> token_at;
  const auto steady_now = steady_at(now.steady);
  const auto base = out.size();
  // Broadcast jobs that may go, taken after every single send due now (interactive first),
  // and never more than bulk_slots() in flight, so a single send always finds a free slot.
  std::pmr::vector<std::int64_t> bulk(&arena);
  const unsigned bulk_room = bulk_in_flight_ < bulk_slots(opts_) ? bulk_slots(opts_) - bulk_in_flight_ : 0;
  bool out_of_tokens = false;
  for (auto& [seq, j] : jobs_) {
    if (in_flight_ + (out.size() - base) + bulk.size() >= opts_.max_in_flight) break;
    if (!seen.insert(j.peer).second || j.in_flight) continue;
    if (j.due > now.wall) {
      next_due = std::min(next_due, j.due);
      continue;
    }
    if (auto p = paces_.find(j.peer); p != paces_.end() && p->second.until > now.wall) {
      next_due = std::min(next_due, p->second.until);
      continue;
    }
    if (j.bulk) {
      if (bulk.size() < bulk_room) bulk.push_back(seq);
      continue;
    }
    if (!bucket_.try_take(steady_now)) {
      token_at = bucket_.next_available(steady_now);
      out_of_tokens = true;
      break;
    }
    out.push_back(seq);
  }
  for (auto seq : bulk) {
    if (out_of_tokens) break;
    if (!bucket_.try_take(steady_now)) {
      token_at = bucket_.next_available(steady_now);
      break;
    }
    out.push_back(seq);
  }
  std::optional<std::int64_t> wait;
  if (next_due != never) wait = next_due - now.wall;
  if (token_at) {
    const auto t = std::chrono::ceil<milliseconds>(*token_at - steady_now).count();
    wait = wait ? std::min(*wait, t) : t;
  }
  if (wait) wait = std::max<std::int64_t>(*wait, 0);
  return wait;
}

void send_window::started(std::int64_t seq) {
  auto& j = jobs_[seq];
  j.in_flight = true;
  ++in_flight_;
  if (j.bulk) ++bulk_in_flight_;
}

void send_window::not_leased(std::int64_t seq) noexcept {
  if (auto it = jobs_.find(seq); it != jobs_.end()) drop(it);
}

void send_window::hold(std::int64_t seq, std::string peer, std::int64_t due, bool bulk) {
  if (jobs_.emplace(seq, job{std::move(peer), due, false, bulk}).second && bulk) ++bulk_held_;
}

void send_window::drop(std::map<std::int64_t, job>::iterator it) noexcept {
  if (it->second.bulk) --bulk_held_;
  jobs_.erase(it);
}

const std::string& send_window::peer_of(std::int64_t seq) const noexcept {
  static const std::string none;
  auto it = jobs_.find(seq);
  return it == jobs_.end() ? none : it->second.peer;
}

unsigned send_window::pair_repeats(std::int64_t seq) const noexcept {
  auto p = paces_.find(peer_of(seq));
  return p == paces_.end() ? 0 : p->second.repeats;
}

bool send_window::judged(std::int64_t seq, const verdict& v, instant now) {
  bool first_reauth = false;
  if (v.what == verdict::kind::reauth) {
    first_reauth = !paused_;
    paused_ = true;
  }
  if (v.hold_instance) bucket_.hold_until(steady_at(now.steady + v.delay.count()));
  if (v.pair_throttle) {
    auto& p = paces_[peer_of(seq)];
    p.until = now.wall + v.delay.count();
    ++p.repeats;
  }
  return first_reauth;
}

void send_window::finish(std::map<std::int64_t, job>::iterator it) noexcept {
  --in_flight_;
  if (it == jobs_.end()) return;
  it->second.in_flight = false;
  if (it->second.bulk) --bulk_in_flight_;
}

void send_window::retry_at(std::int64_t seq, std::int64_t due) noexcept {
  auto it = jobs_.find(seq);
  finish(it);
  if (it != jobs_.end()) it->second.due = due;
}

void send_window::resolved(std::int64_t seq, bool sent) {
  auto it = jobs_.find(seq);
  finish(it);
  if (it == jobs_.end()) return;
  if (sent) paces_.erase(it->second.peer);
  drop(it);
}

void send_window::gone(std::int64_t seq) noexcept {
  auto it = jobs_.find(seq);
  finish(it);
  if (it != jobs_.end()) drop(it);
}

void send_window::commit_failed(std::int64_t seq, bool first_reauth, std::int64_t wall_now) noexcept {
  if (first_reauth) paused_ = false;
  auto it = jobs_.find(seq);
  finish(it);
  if (it != jobs_.end()) it->second.due = wall_now + commit_retry_ms;
}

}  // namespace enfinito::outbound
