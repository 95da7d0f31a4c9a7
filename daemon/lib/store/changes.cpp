// store::change_stream: the marks write functions leave on the writer connection, and the
// publication of each committed group's changes (see include/enfinito/store/changes.hpp).
#include <enfinito/core/log.hpp>
#include <enfinito/store/changes.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/instances.hpp>

#include <exception>
#include <mutex>

namespace enfinito::store {

void mark(connection& c, change k) noexcept {
  if (auto* sink = c.change_sink()) sink->changed |= static_cast<change_mask>(k);
}

void mark_instance(connection& c, std::string_view id) {
  if (auto* sink = c.change_sink()) {
    sink->changed |= static_cast<change_mask>(change::instances);
    sink->instances.emplace_back(id);
  }
}

namespace {
constexpr change_mask process_wide = static_cast<change_mask>(change::instances);
}

void change_stream::subscribe(subscriber fn) {
  std::lock_guard lk(mu_);
  subscribers_.push_back(std::move(fn));
  has_subscribers_.store(true, std::memory_order_release);
}

void change_stream::publish(const change_set& cs) noexcept {
  for (std::size_t k = 0; k < change_kinds; ++k)
    if (cs.changed & ~process_wide & (1u << k)) generations_[k].fetch_add(1, std::memory_order_acq_rel);
  // The instances topic's generation is store::instances::generation(), process-wide, so code
  // without the stream at hand (the send queue's row re-read, route handlers filling the
  // instance cache) reads the same number as the caches do.
  if (cs.has(change::instances)) instances::changed();
  std::lock_guard lk(mu_);
  for (auto& fn : subscribers_) {
    try {
      fn(cs);
    } catch (const std::exception& e) {  // out of memory: that subscriber misses it, the store goes on
      core::log::error("store.publish_failed", {{"events", cs.events.size()}, {"what", e.what()}});
    }
  }
}

std::uint64_t change_stream::generation(change_mask topics) const noexcept {
  std::uint64_t sum = 0;
  for (std::size_t k = 0; k < change_kinds; ++k)
    if (topics & ~process_wide & (1u << k)) sum += generations_[k].load(std::memory_order_acquire);
  if (topics & process_wide) sum += instances::generation();
  return sum;
}

}  // namespace enfinito::store
