// feed::bus: serializes committed events once and posts them to the reactors that have
// subscribers; the per-reactor registries; the stream ticket book. Design in feed/bus.hpp.
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/feed/bus.hpp>

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace enfinito::feed {

// Touched only on its reactor, except `count` (read by publish on the writer thread) and
// `delivered` (read by /metrics on any reactor). Each reactor counts its own deliveries, so
// the hot path writes only to its own cache line.
struct bus::reactor_state {
  net::io_context* ctx = nullptr;
  std::atomic<std::size_t> count{0};
  alignas(64) std::atomic<std::uint64_t> delivered{0};
  std::unordered_map<std::string, std::vector<subscriber*>> by_user;
};

namespace {

void append_json_string(std::string& out, std::string_view s) { out += json::serialize(json::string_view(s)); }

// Hands one batch to the subscribers of one reactor.
void fan_out(std::unordered_map<std::string, std::vector<subscriber*>>& by_user, const std::vector<item>& items) {
  const std::string* last_user = nullptr;
  const std::vector<subscriber*>* subs = nullptr;
  for (const auto& it : items) {
    // Batches usually hold runs of one user's events: look the user up once per run.
    if (!last_user || *last_user != it.user_id) {
      last_user = &it.user_id;
      auto found = by_user.find(it.user_id);
      subs = found == by_user.end() ? nullptr : &found->second;
    }
    if (!subs) continue;
    for (auto* s : *subs) s->deliver(it);
  }
}

}  // namespace

std::string to_json(const store::events::event& e) {
  std::string out;
  out.reserve(96 + e.type.size() + e.instance_id.size() + e.data.size());
  out += "{\"id\":";
  out += std::to_string(e.id);
  out += ",\"type\":";
  append_json_string(out, e.type);
  out += ",\"instance_id\":";
  if (e.instance_id.empty())
    out += "null";
  else
    append_json_string(out, e.instance_id);
  out += ",\"created_at\":";
  out += std::to_string(e.created_at);
  out += ",\"data\":";
  // `data` is a JSON object serialized by Enfinito itself when the event was appended.
  out += e.data.empty() ? std::string_view("{}") : std::string_view(e.data);
  out += '}';
  return out;
}

item make_item(const store::events::event& e) {
  return item{e.id, e.user_id, e.instance_id, e.type, std::make_shared<const std::string>(to_json(e))};
}

bus::bus(core::io_context_pool& pool) : pool_(pool) {
  for (std::size_t i = 0; i < pool.size(); ++i) {
    auto r = std::make_shared<reactor_state>();
    r->ctx = &pool.at(i);
    reactors_.push_back(std::move(r));
  }
}

bus::~bus() = default;

std::size_t bus::subscribers() const noexcept {
  std::size_t n = 0;
  for (const auto& r : reactors_) n += r->count.load();
  return n;
}

void bus::publish(const std::vector<store::events::event>& committed) {
  // Nobody listens: skip the serialization too (the common case on a daemon without feeds).
  if (committed.empty() || subscribers() == 0) return;
  auto items = std::make_shared<std::vector<item>>();
  items->reserve(committed.size());
  for (const auto& e : committed) items->push_back(make_item(e));
  publish(batch(std::move(items)));
}

void bus::publish(batch items) {
  published.fetch_add(items->size(), std::memory_order_relaxed);
  for (const auto& r : reactors_) {
    // Sequentially consistent with subscribe's increment: if this sees no subscriber, that
    // subscriber's later database read sees this (already committed) event. Skipping is safe.
    if (r->count.load() == 0) continue;
    net::post(*r->ctx, [r, items] { fan_out(r->by_user, *items); });
  }
}

void bus::subscribe(std::size_t reactor, subscriber& s) {
  auto& r = *reactors_.at(reactor);
  r.by_user[s.user_id()].push_back(&s);
  r.count.fetch_add(1);  // seq_cst: see publish
}

void bus::unsubscribe(std::size_t reactor, subscriber& s) {
  auto& r = *reactors_.at(reactor);
  auto found = r.by_user.find(s.user_id());
  if (found == r.by_user.end()) return;
  auto& v = found->second;
  auto pos = std::find(v.begin(), v.end(), &s);
  if (pos == v.end()) return;
  v.erase(pos);
  if (v.empty()) r.by_user.erase(found);
  r.count.fetch_sub(1);
}

void bus::count_delivered(std::size_t reactor, std::uint64_t n) noexcept {
  // Relaxed, and in practice written by this reactor only: an uncontended cache line.
  reactors_[reactor]->delivered.fetch_add(n, std::memory_order_relaxed);
}

std::uint64_t bus::delivered() const noexcept {
  std::uint64_t n = 0;
  for (const auto& r : reactors_) n += r->delivered.load(std::memory_order_relaxed);
  return n;
}

void bus::render_metrics(std::string& out) const {
  auto family = [&out](std::string_view name, std::string_view type, std::string_view help, std::uint64_t v) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
    out += name;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  family("enfinito_feed_subscribers", "gauge", "Live-feed sockets subscribed now.", subscribers());
  family("enfinito_feed_connections", "gauge", "Live-feed connection slots taken (upgrading or subscribed).",
         connections());
  family("enfinito_feed_events_published_total", "counter", "Committed events handed to the feed's reactors.",
         published.load(std::memory_order_relaxed));
  family("enfinito_feed_events_delivered_total", "counter", "Events written to live-feed sockets.", delivered());
  family("enfinito_feed_closed_too_slow_total", "counter",
         "Live-feed sockets closed with 4008 because their consumer fell behind.",
         closed_too_slow.load(std::memory_order_relaxed));
  family("enfinito_feed_resumes_total", "counter",
         "Live-feed sockets that resumed from the database (after= or a first-message resume_after).",
         resumes.load(std::memory_order_relaxed));
  family("enfinito_feed_events_replayed_total", "counter", "Events read from the database by resuming sockets.",
         replayed.load(std::memory_order_relaxed));
  family("enfinito_feed_gathered_writes_total", "counter",
         "Live-feed socket writes that carried several queued events at once.",
         gathered_writes.load(std::memory_order_relaxed));
}

bool bus::try_acquire_connection(std::size_t max) noexcept {
  if (connections_.fetch_add(1) >= max) {
    connections_.fetch_sub(1);
    return false;
  }
  return true;
}

void bus::release_connection() noexcept { connections_.fetch_sub(1); }

void bus::shutdown() {
  for (const auto& r : reactors_) {
    net::post(*r->ctx, [r] {
      for (auto& [user, subs] : r->by_user)
        for (auto* s : subs) s->going_away();
    });
  }
}

// --- tickets ---------------------------------------------------------------------------

void ticket_book::purge_expired(clock::time_point now) {
  for (auto it = by_hash_.begin(); it != by_hash_.end();) {
    if (it->second.expires <= now)
      it = by_hash_.erase(it);
    else
      ++it;
  }
}

std::optional<std::string> ticket_book::issue(grant g) {
  auto token = crypto::random_token(32);
  auto now = clock::now();
  std::lock_guard lk(mu_);
  if (by_hash_.size() >= max_) purge_expired(now);
  if (by_hash_.size() >= max_) return std::nullopt;
  by_hash_[crypto::sha256_hex(token)] = entry{std::move(g), now + ttl_};
  return token;
}

std::optional<ticket_book::grant> ticket_book::redeem(std::string_view ticket) {
  if (ticket.empty() || ticket.size() > 128) return std::nullopt;
  auto key = crypto::sha256_hex(ticket);  // a lookup by hash: no timing on the ticket itself
  std::lock_guard lk(mu_);
  auto it = by_hash_.find(key);
  if (it == by_hash_.end()) return std::nullopt;
  auto e = std::move(it->second);
  by_hash_.erase(it);  // single use, even when expired
  if (e.expires <= clock::now()) return std::nullopt;
  return std::move(e.g);
}

}  // namespace enfinito::feed
