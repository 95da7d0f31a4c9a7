// store::pg::pool: connection threads, the bounded wait queue, reconnect with backoff, health
// checks. The design and its invariants are at the top of include/enfinito/store/pg/pool.hpp.
#include <enfinito/store/pg/pool.hpp>

#include <enfinito/core/log.hpp>
#include "store/await_submit.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <future>

namespace enfinito::store::pg {

using std::chrono::steady_clock;

work_fn transaction(work_fn fn) {
  return [fn = std::move(fn)](connection& c) -> core::error_code {
    if (auto ec = c.exec("BEGIN")) return ec;
    auto ec = fn(c);
    if (!ec) ec = c.exec("COMMIT");
    if (ec && c.ok() && c.in_transaction()) c.exec("ROLLBACK");
    return ec;
  };
}

core::result<std::unique_ptr<pool>> pool::open(pool_options opts, std::string* why) {
  if (opts.size == 0) opts.size = 1;
  auto first = connection::open(opts.connect, why);
  if (!first) return first.error();
  std::unique_ptr<pool> p(new pool(std::move(opts)));
  p->stats_.connected = 1;
  p->threads_.reserve(p->opts_.size);
  p->threads_.emplace_back([raw = p.get(), c = std::move(*first)]() mutable { raw->worker(std::move(c)); });
  for (unsigned i = 1; i < p->opts_.size; ++i) p->threads_.emplace_back([raw = p.get()] { raw->worker(nullptr); });
  return p;
}

pool::~pool() { stop(); }

void pool::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  backoff_cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  fail_queued(make_error_code(error::stopped));
}

void pool::complete(request& r, core::error_code ec) {
  net::post(r.ex, [done = std::move(r.done), ec]() { done(ec); });
}

void pool::fail_queued(core::error_code ec) {
  std::deque<request> failed;
  {
    std::lock_guard lk(mu_);
    failed.swap(queue_);
    stats_.waiting -= failed.size();
  }
  stats_.rejected += failed.size();
  for (auto& r : failed) complete(r, ec);
}

void pool::submit(work_fn fn, executor ex, done_fn done) {
  request r{std::move(fn), std::move(ex), std::move(done), steady_clock::now()};
  core::error_code refused;
  {
    std::lock_guard lk(mu_);
    if (stopping_)
      refused = make_error_code(error::stopped);
    else if (stats_.connected == 0)
      refused = make_error_code(error::unavailable);
    else if (queue_.size() >= opts_.max_waiting)
      refused = make_error_code(error::overloaded);
    else {
      queue_.push_back(std::move(r));
      ++stats_.waiting;
    }
  }
  if (refused) {
    ++stats_.rejected;
    complete(r, refused);
    return;
  }
  cv_.notify_one();
}

std::unique_ptr<connection> pool::reconnect(std::chrono::milliseconds& backoff) {
  std::string why;
  auto c = connection::open(opts_.connect, &why);
  if (c) {
    backoff = opts_.backoff_min;
    ++stats_.connected;
    ++stats_.reconnects;
    return std::move(*c);
  }
  ++stats_.errors;
  core::log::warn("store.pg_connect_failed", {{"reason", why}, {"retry_ms", backoff.count()}});
  // Nothing can serve what waits: answer it now (503) rather than when the server is back.
  if (stats_.connected == 0) fail_queued(make_error_code(error::unavailable));
  std::unique_lock lk(mu_);
  backoff_cv_.wait_for(lk, backoff, [&] { return stopping_; });
  backoff = std::min(backoff * 2, opts_.backoff_max);
  return nullptr;
}

void pool::serve(connection& conn, request& r) {
  if (steady_clock::now() - r.queued > opts_.acquire_timeout) {
    ++stats_.rejected;
    complete(r, make_error_code(error::timeout));
    return;
  }
  ++stats_.in_use;
  core::error_code ec;
  try {
    ec = r.fn(conn);
  } catch (const std::exception& e) {
    core::log::error("store.pg_work_threw", {{"what", e.what()}});
    ec = make_error_code(error::failed);
  }
  // Work must end its transaction; one left open (a bug) is rolled back, never committed.
  if (conn.ok() && conn.in_transaction()) conn.exec("ROLLBACK");
  if (ec) ++stats_.errors;
  --stats_.in_use;
  ++stats_.completed;
  complete(r, ec);
}

void pool::worker(std::unique_ptr<connection> conn) {
  auto backoff = opts_.backoff_min;
  for (;;) {
    if (conn && !conn->ok()) {
      conn.reset();
      --stats_.connected;
      ++stats_.errors;
      core::log::warn("store.pg_connection_lost", {});
      if (stats_.connected == 0) fail_queued(make_error_code(error::unavailable));
    }
    if (!conn) {
      {
        std::lock_guard lk(mu_);
        if (stopping_) return;
      }
      conn = reconnect(backoff);
      continue;
    }
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, opts_.health_interval, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (stopping_) break;
      lk.unlock();
      // Idle: find out now, not on a client's request, that the server went away.
      if (conn->exec("SELECT 1") && conn->ok()) {
        conn.reset();  // answered, but wrongly: a connection we no longer trust
        --stats_.connected;
      }
      continue;
    }
    request r = std::move(queue_.front());
    queue_.pop_front();
    --stats_.waiting;
    lk.unlock();
    serve(*conn, r);
  }
  conn.reset();
  --stats_.connected;
}

net::awaitable<core::error_code> pool::run(work_fn fn) {
  return store::detail::await_submit([this, fn = std::move(fn)](executor ex, done_fn done) mutable {
    submit(std::move(fn), std::move(ex), std::move(done));
  });
}

core::error_code pool::run_sync(work_fn fn) {
  auto result = std::make_shared<std::promise<core::error_code>>();
  auto done = result->get_future();
  submit(std::move(fn), net::system_executor(), [result](core::error_code ec) { result->set_value(ec); });
  return done.get();
}

}  // namespace enfinito::store::pg
