// store::pg::writer: the group-commit writer on PostgreSQL (its own connection and thread),
// the split of a group whose member failed, NOTIFY pipelined with COMMIT, and the change
// stream's publication after COMMIT. The design is at the top of include/enfinito/store/pg/writer.hpp.
#include <enfinito/store/pg/writer.hpp>

#include <enfinito/core/log.hpp>
#include <enfinito/store/pg/notice.hpp>
#include "store/await_submit.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/system_executor.hpp>

#include <pthread.h>

#include <algorithm>
#include <future>

namespace enfinito::store::pg {

void mark(connection& c, change k) noexcept {
  if (auto* sink = c.change_sink()) sink->changed |= static_cast<change_mask>(k);
}

void mark_instance(connection& c, std::string_view id) {
  mark(c, change::instances);
  if (auto* sink = c.change_sink()) sink->instances.emplace_back(id);
}

core::result<std::unique_ptr<writer>> writer::open(writer_options opts, change_stream& changes, std::string* why) {
  if (opts.commit_batch_max == 0) opts.commit_batch_max = 1;
  auto c = connection::open(opts.connect, why);
  if (!c) return c.error();
  std::unique_ptr<writer> w(new writer(std::move(opts), changes));
  w->conn_ = std::move(*c);
  w->thread_ = std::thread([raw = w.get()] { raw->loop(); });
  return w;
}

writer::~writer() { stop(); }

void writer::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  fail_queued(make_error_code(error::stopped));
}

void writer::complete(request& r, core::error_code ec) {
  net::post(r.ex, [done = std::move(r.done), ec]() { done(ec); });
}

void writer::fail_queued(core::error_code ec) {
  std::deque<request> failed;
  {
    std::lock_guard lk(mu_);
    failed.swap(queue_);
  }
  for (auto& r : failed) complete(r, ec);
}

void writer::submit(work_fn fn, executor ex, done_fn done) {
  request r{std::move(fn), std::move(ex), std::move(done)};
  core::error_code refused;
  {
    std::lock_guard lk(mu_);
    if (stopping_)
      refused = make_error_code(error::stopped);
    else if (!writable_.load())
      refused = make_error_code(error::unavailable);  // no connection: a 503 now, not later
    else
      queue_.push_back(std::move(r));
  }
  if (refused) {
    complete(r, refused);
    return;
  }
  cv_.notify_one();
}

net::awaitable<core::error_code> writer::write(work_fn fn) {
  return store::detail::await_submit([this, fn = std::move(fn)](executor ex, done_fn done) mutable {
    submit(std::move(fn), std::move(ex), std::move(done));
  });
}

core::error_code writer::write_sync(work_fn fn) {
  auto result = std::make_shared<std::promise<core::error_code>>();
  auto done = result->get_future();
  submit(std::move(fn), net::system_executor(), [result](core::error_code ec) { result->set_value(ec); });
  return done.get();
}

void writer::loop() {
  pthread_setname_np(pthread_self(), "pg-writer");
  auto backoff = opts_.backoff_min;
  std::vector<request> group;
  std::vector<core::error_code> results;
  for (;;) {
    if (conn_ && !conn_->ok()) {
      conn_.reset();
      writable_.store(false);
      core::log::warn("pg.writer_connection_lost", {});
      fail_queued(make_error_code(error::unavailable));
    }
    if (!conn_) {
      {
        std::lock_guard lk(mu_);
        if (stopping_) return;
      }
      std::string why;
      if (auto c = connection::open(opts_.connect, &why)) {
        conn_ = std::move(*c);
        backoff = opts_.backoff_min;
        writable_.store(true);
        continue;
      }
      core::log::warn("pg.writer_connect_failed", {{"reason", why}, {"retry_ms", backoff.count()}});
      std::unique_lock lk(mu_);
      cv_.wait_for(lk, backoff, [&] { return stopping_; });
      backoff = std::min(backoff * 2, opts_.backoff_max);
      continue;
    }
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping, and everything queued is done
      const std::size_t n = std::min(queue_.size(), opts_.commit_batch_max);
      for (std::size_t i = 0; i < n; ++i) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_group(group, results);
    stats_.groups.fetch_add(1, std::memory_order_relaxed);
    stats_.writes.fetch_add(group.size(), std::memory_order_relaxed);
    if (group.size() > stats_.max_group.load()) stats_.max_group.store(group.size());
    for (std::size_t i = 0; i < group.size(); ++i) complete(group[i], results[i]);
    group.clear();
  }
  conn_.reset();
}

core::error_code writer::commit_and_notify(const change_set& cs) {
  if (cs.empty()) return conn_->exec("COMMIT");
  // Before COMMIT: this node's listener must know these ids as ours before it can read them.
  if (opts_.local && !cs.events.empty()) opts_.local->add(cs.events);
  // Sent inside the transaction: PostgreSQL delivers it at COMMIT, and never if it fails.
  std::vector<connection::step> steps;
  steps.push_back({"SELECT pg_notify($1, $2)", params().add(changes_channel).add(encode(describe(opts_.node_id, cs)))});
  steps.push_back({"COMMIT", {}});
  auto r = conn_->pipeline(steps);
  if (!r) return r.error();
  stats_.notices.fetch_add(1, std::memory_order_relaxed);
  return {};
}

core::error_code writer::run_one_transaction(std::vector<request>& group, std::size_t from, std::size_t to,
                                             std::size_t& failed_at, change_set& cs) {
  failed_at = to;
  cs.clear();
  conn_->set_change_sink(&cs);
  auto ec = conn_->exec("BEGIN");
  for (std::size_t i = from; i < to && !ec; ++i) {
    try {
      ec = group[i].fn(*conn_);
    } catch (const std::exception& e) {
      core::log::error("pg.writer_work_threw", {{"what", e.what()}});
      ec = make_error_code(error::failed);
    }
    // A statement failed but the work said success: COMMIT would answer ROLLBACK, silently.
    if (!ec && conn_->transaction_failed()) ec = make_error_code(error::failed);
    if (ec) failed_at = i;
  }
  if (!ec) ec = commit_and_notify(cs);
  conn_->set_change_sink(nullptr);
  if (ec) {
    cs.clear();
    if (conn_->ok() && conn_->in_transaction()) conn_->exec("ROLLBACK");
  }
  return ec;
}

void writer::commit_group(std::vector<request>& group, std::vector<core::error_code>& results) {
  const std::size_t n = group.size();
  results.assign(n, {});
  change_set cs;
  std::size_t failed_at = n;
  auto ec = run_one_transaction(group, 0, n, failed_at, cs);
  if (!ec) {
    // The one publish point: after COMMIT, before any completion is posted.
    if (!cs.empty()) changes_.publish(cs);
    return;
  }
  if (failed_at == n || n == 1 || !conn_->ok()) {
    // BEGIN or COMMIT failed, a lone request failed, or the connection is gone: nothing of the
    // group is acknowledged.
    if (failed_at == n || !conn_->ok()) {
      stats_.failed_commits.fetch_add(1, std::memory_order_relaxed);
      core::log::warn("pg.writer_commit_failed",
                      {{"writes", n}, {"error", ec.message()}, {"sqlstate", conn_->last_sqlstate()}});
    }
    for (auto& r : results) r = conn_->ok() ? ec : make_error_code(error::unavailable);
    if (failed_at < n) results[failed_at] = ec;
    return;
  }
  // One member failed and took the group with it: each runs again alone, in order, so each
  // gets the outcome it would have had alone.
  stats_.split_groups.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < n; ++i) {
    if (!conn_->ok()) {
      results[i] = make_error_code(error::unavailable);
      continue;
    }
    std::size_t unused = 0;
    results[i] = run_one_transaction(group, i, i + 1, unused, cs);
    if (!results[i] && !cs.empty()) changes_.publish(cs);
  }
}

}  // namespace enfinito::store::pg
