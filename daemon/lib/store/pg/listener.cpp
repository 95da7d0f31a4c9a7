// store::pg::listener: LISTEN on its own connection, notices turned into change-stream
// publications (events read by id range, none twice), reconnect with backoff and resync.
// The design is at the top of include/enfinito/store/pg/listener.hpp.
#include <enfinito/store/pg/listener.hpp>

#include <enfinito/core/log.hpp>
#include <enfinito/store/pg/events.hpp>
#include <enfinito/store/pg/notice.hpp>

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>

#include <algorithm>

namespace enfinito::store::pg {

namespace {
constexpr change_mask every_kind = (1u << change_kinds) - 1;
}

core::result<std::unique_ptr<listener>> listener::open(listener_options opts, change_stream& changes,
                                                       std::string* why) {
  auto c = connection::open(opts.connect, why);
  if (!c) return c.error();
  std::unique_ptr<listener> l(new listener(std::move(opts), changes));
  if (auto ec = l->subscribe_session(**c)) {
    if (why) *why = "postgres: cannot LISTEN: " + (*c)->last_message();
    return ec;
  }
  auto newest = events::newest_id(**c);
  if (!newest) {
    if (why) *why = "postgres: cannot read the newest event: " + (*c)->last_message();
    return newest.error();
  }
  l->last_ = *newest;
  l->conn_ = std::move(*c);
  l->thread_ = std::thread([raw = l.get()] { raw->loop(); });
  return l;
}

listener::~listener() { stop(); }

void listener::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  conn_.reset();
}

core::error_code listener::subscribe_session(connection& c) {
  if (auto ec = c.exec("LISTEN " + std::string(changes_channel))) return ec;
  pid_.store(PQbackendPID(c.native()));
  stats_.connected.store(1);
  return {};
}

void listener::drop() {
  conn_.reset();
  pid_.store(0);
  stats_.connected.store(0);
}

core::error_code listener::publish_range(change_set cs, std::int64_t upto) {
  std::int64_t cursor = last_;  // last_ moves only once what it covers is published
  while (cursor < upto) {
    std::vector<store::events::event> batch;
    if (auto ec = events::range(*conn_, cursor, upto, opts_.read_batch, batch)) return ec;
    // A short batch ends the range: the ids after its last are gaps (rolled-back groups).
    cursor = batch.size() < opts_.read_batch ? upto : batch.back().id;
    for (auto& e : batch)
      if (!opts_.local || !opts_.local->contains(e.id)) cs.events.push_back(std::move(e));
  }
  stats_.events.fetch_add(cs.events.size(), std::memory_order_relaxed);
  if (!cs.empty()) changes_.publish(cs);
  last_ = std::max(last_, cursor);
  if (opts_.local) opts_.local->forget_through(last_);
  return {};
}

void listener::handle(std::string_view payload) {
  auto n = decode(payload);
  if (!n) {
    stats_.errors.fetch_add(1, std::memory_order_relaxed);
    core::log::warn("pg.listener_bad_notice", {{"bytes", payload.size()}});
    return;
  }
  if (n->node == opts_.node_id) {
    // Published by this node's writer already; commit order puts everything before it in place.
    last_ = std::max(last_, n->last_event);
    if (opts_.local) opts_.local->forget_through(last_);
    return;
  }
  stats_.notices.fetch_add(1, std::memory_order_relaxed);
  change_set cs;
  cs.changed = n->reload ? every_kind : n->changed;
  cs.instances = std::move(n->instances);
  if (auto ec = publish_range(std::move(cs), n->last_event)) {
    // The connection broke mid-read: the reconnect's resync reads the range again.
    stats_.errors.fetch_add(1, std::memory_order_relaxed);
  }
}

bool listener::wait_readable() {
  pollfd p{PQsocket(conn_->native()), POLLIN, 0};
  if (p.fd < 0) return false;
  int r = ::poll(&p, 1, static_cast<int>(opts_.poll_interval.count()));
  return r > 0;
}

void listener::loop() {
  pthread_setname_np(pthread_self(), "pg-listener");
  auto backoff = opts_.backoff_min;
  for (;;) {
    {
      std::lock_guard lk(mu_);
      if (stopping_) return;
    }
    if (!conn_) {
      std::string why;
      auto c = connection::open(opts_.connect, &why);
      core::error_code ec = c ? subscribe_session(**c) : c.error();
      std::int64_t newest = 0;
      if (!ec) {
        auto r = events::newest_id(**c);
        if (r)
          newest = *r;
        else
          ec = r.error();
      }
      if (ec) {
        core::log::warn("pg.listener_connect_failed", {{"reason", why}, {"retry_ms", backoff.count()}});
        std::unique_lock lk(mu_);
        cv_.wait_for(lk, backoff, [&] { return stopping_; });
        backoff = std::min(backoff * 2, opts_.backoff_max);
        continue;
      }
      conn_ = std::move(*c);
      backoff = opts_.backoff_min;
      stats_.resyncs.fetch_add(1, std::memory_order_relaxed);
      core::log::info("pg.listener_resync", {{"after", last_}, {"newest", newest}});
      // The notices sent while away are lost: say everything changed, and publish the events
      // committed meanwhile that this node has not. LISTEN came first, so later notices
      // cover whatever commits after `newest`.
      change_set cs;
      cs.changed = every_kind;
      if (publish_range(std::move(cs), newest)) drop();
      continue;
    }
    if (wait_readable()) {
      if (PQconsumeInput(conn_->native()) != 1 || !conn_->ok()) {
        core::log::warn("pg.listener_connection_lost", {});
        drop();
        continue;
      }
      while (PGnotify* note = PQnotifies(conn_->native())) {
        std::string payload = note->extra ? note->extra : "";
        PQfreemem(note);
        handle(payload);
      }
    } else if (!conn_->ok()) {
      drop();
    }
  }
}

}  // namespace enfinito::store::pg
