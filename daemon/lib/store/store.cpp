// store::store: process lock, pragmas, migrations, the group-commit writer and the readers.
// The design essay is at the top of include/enfinito/store/store.hpp.
#include <enfinito/core/log.hpp>
#include <enfinito/store/store.hpp>
#include "store/await_submit.hpp"
#include "store/wal_vfs.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <future>

namespace enfinito::store::detail {
extern const std::string_view schema_sql;
}

namespace enfinito::store {

std::string_view embedded_schema() { return detail::schema_sql; }

std::vector<std::pair<int, std::string>> migrations(std::string_view text) {
  static constexpr std::string_view marker = "-- migration: ";
  std::vector<std::pair<int, std::string>> out;
  std::size_t pos = text.find(marker);
  while (pos != std::string_view::npos) {
    std::size_t num_begin = pos + marker.size();
    std::size_t line_end = text.find('\n', num_begin);
    int version = std::atoi(std::string(text.substr(num_begin, line_end - num_begin)).c_str());
    std::size_t next = text.find(marker, line_end);
    std::size_t body_begin = line_end == std::string_view::npos ? text.size() : line_end + 1;
    auto body = text.substr(body_begin, next == std::string_view::npos ? std::string_view::npos : next - body_begin);
    out.emplace_back(version, std::string(body));
    pos = next;
  }
  return out;
}

core::error_code migrate(connection& conn, std::string_view schema_text, std::string* why) {
  auto current = conn.scalar_int("PRAGMA user_version");
  if (!current) return current.error();
  auto blocks = migrations(schema_text);
  int newest = 0;
  for (auto& [v, _] : blocks) newest = std::max(newest, v);
  if (*current > newest) {
    if (why)
      *why = "database schema version " + std::to_string(*current) + " is newer than this program's " +
             std::to_string(newest) + "; refusing to run";
    return make_error_code(error::schema_too_new);
  }
  for (auto& [version, sql] : blocks) {
    if (version <= *current) continue;
    std::string tx = "BEGIN IMMEDIATE;\n" + sql + "\nPRAGMA user_version = " + std::to_string(version) + ";\nCOMMIT;";
    if (auto ec = conn.exec(tx)) {
      if (why) *why = "migration " + std::to_string(version) + " failed: " + conn.last_message();
      conn.exec("ROLLBACK");
      return ec;
    }
    core::log::info("store.migrated", {{"version", version}});
  }
  return {};
}

namespace {

core::error_code take_process_lock(const std::string& db_path, int& fd, std::string* why) {
  std::string lock_path = db_path + ".lock";
  fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (why) *why = lock_path + ": cannot open lock file";
    return make_error_code(error::io);
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    auto n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
    while (!pid.empty() && (pid.back() == '\n')) pid.pop_back();
    if (why) *why = db_path + " is in use by another enfinitod (pid " + pid + "); refusing to start";
    ::close(fd);
    fd = -1;
    return make_error_code(error::locked_by_other_process);
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] auto w = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  return {};
}

core::error_code apply_pragmas(connection& c, const options& o, bool writer) {
  std::string sql = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = " + std::to_string(o.busy_timeout.count()) + ";";
  if (writer) {
    sql += "PRAGMA journal_mode = WAL; PRAGMA secure_delete = ON; PRAGMA synchronous = ";
    sql += o.synchronous_full ? "FULL;" : "NORMAL;";
  } else {
    sql += "PRAGMA query_only = ON;";
  }
  return c.exec(sql);
}

// Ends a transaction that an earlier failure left open on the writer connection (its
// ROLLBACK failed too). ROLLBACK needs no free space, so a retry here normally succeeds.
void abandon_stale_transaction(connection& c) {
  core::log::warn("store.stale_transaction", {{"sqlite", c.last_message()}});
  for (int attempt = 0; attempt < 2 && c.in_transaction(); ++attempt) c.exec("ROLLBACK");
  if (c.in_transaction()) core::log::error("store.rollback_failed", {{"sqlite", c.last_message()}});
}

// Failed commits are logged at most once a second: with the disk full every group fails, and
// one line per group (about 500 a second under load, chaos_disk_full) would flood the journal,
// which may well live on the same full disk. A line carries how many failures were not logged;
// the first success after failures says how many groups failed (also at most once a second:
// while full, small commits that fit in WAL space already on disk succeed now and then). The
// state is thread_local: each store has exactly one writer thread, so this is per store.
struct commit_failure_log {
  std::chrono::steady_clock::time_point failed_logged{}, recovered_logged{};
  std::uint64_t unlogged = 0, failed = 0;
};
thread_local commit_failure_log failure_log;
constexpr std::chrono::seconds commit_failure_log_every{1};

void note_commit_failed(std::size_t batch, core::error_code ec, const std::string& sqlite_message) {
  auto& f = failure_log;
  ++f.failed;
  const auto now = std::chrono::steady_clock::now();
  if (f.failed_logged != std::chrono::steady_clock::time_point{} && now - f.failed_logged < commit_failure_log_every) {
    ++f.unlogged;
    return;
  }
  core::log::error("store.commit_failed", {{"batch", batch},
                                           {"error", ec.message()},
                                           {"sqlite", sqlite_message},
                                           {"failed_groups_not_logged", f.unlogged}});
  f.failed_logged = now;
  f.unlogged = 0;
}

void note_commit_succeeded() {
  auto& f = failure_log;
  if (f.failed == 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (f.recovered_logged != std::chrono::steady_clock::time_point{} &&
      now - f.recovered_logged < commit_failure_log_every)
    return;  // counted into the next note
  core::log::warn("store.commit_recovered", {{"failed_groups", f.failed}});
  f.recovered_logged = now;
  f.failed = 0;
}

void bucket(std::atomic<std::uint64_t>* buckets, const std::uint64_t* bounds, std::size_t n, std::uint64_t v) {
  std::size_t i = 0;
  while (i < n && v > bounds[i]) ++i;
  buckets[i].fetch_add(1, std::memory_order_relaxed);
}

// SQLite's default auto-checkpoint threshold, kept (store::checkpoint_if_due).
constexpr int checkpoint_pages = 1000;

// The writer connection's WAL hook: called by SQLite after each commit with the WAL's size.
int note_wal_size(void* pages, sqlite3*, const char*, int wal_pages) {
  *static_cast<int*>(pages) = wal_pages;
  return SQLITE_OK;
}

}  // namespace

core::result<std::unique_ptr<store>> store::open(const options& opts, std::string* why) {
  std::unique_ptr<store> s(new store(opts));
  if (auto ec = take_process_lock(opts.path, s->lock_fd_, why)) return ec;

  // With synchronous = FULL the writer's WAL writes are gathered until the commit's sync
  // (store/wal_vfs.cpp); with NORMAL that would not be safe, and the default VFS is used.
  auto w = connection::open(opts.path, false, why, opts.synchronous_full ? detail::wal_gathering_vfs : nullptr);
  if (!w) return w.error();
  s->writer_conn_ = std::move(*w);
  auto& wc = *s->writer_conn_;
  if (auto ec = apply_pragmas(wc, opts, true)) {
    if (why) *why = opts.path + ": " + wc.last_message();
    return ec;
  }
  // Replaces SQLite's auto-checkpoint (itself a WAL hook): the writer checkpoints between
  // groups instead, see checkpoint_if_due.
  sqlite3_wal_hook(wc.native(), note_wal_size, &s->wal_pages_);
  auto mode = wc.scalar_text("PRAGMA journal_mode");
  if (!mode || *mode != "wal") {
    if (why) *why = opts.path + ": cannot enable WAL mode";
    return make_error_code(error::failed);
  }
  // quick_check rather than integrity_check: it finds damaged pages and records at a fraction
  // of the cost on a large database (it skips index-content cross-checks).
  auto check = wc.scalar_text("PRAGMA quick_check");
  if (!check || *check != "ok") {
    if (why) *why = opts.path + ": integrity check failed; restore from backup";
    return make_error_code(error::corrupt);
  }
  if (auto ec = migrate(wc, embedded_schema(), why)) return ec;
  if (auto v = wc.scalar_int("PRAGMA user_version")) s->schema_version_ = *v;

  for (unsigned i = 0; i < opts.read_connections; ++i) {
    auto r = connection::open(opts.path, true, why);
    if (!r) return r.error();
    if (auto ec = apply_pragmas(**r, opts, false)) return ec;
    s->reader_conns_.push_back(std::move(*r));
  }
  s->writer_ = std::thread([p = s.get()] { p->writer_loop(); });
  for (auto& c : s->reader_conns_) s->readers_.emplace_back([p = s.get(), conn = c.get()] { p->reader_loop(*conn); });
  return s;
}

store::~store() {
  stop();
  reader_conns_.clear();
  if (writer_conn_) {
    // A clean close checkpoints the WAL; a crash leaves it for the next open to recover.
    writer_conn_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    writer_conn_.reset();
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void store::stop() {
  {
    std::scoped_lock lk(write_mu_, read_mu_);
    if (stopping_) {
      // already stopping: fall through to join
    }
    stopping_ = true;
  }
  write_cv_.notify_all();
  read_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  for (auto& t : readers_)
    if (t.joinable()) t.join();
  readers_.clear();
}

void store::complete(request& r, core::error_code ec) {
  net::post(r.ex, [done = std::move(r.done), ec] { done(ec); });
}

// One post per executor, the completions in submission order: each post wakes a reactor, and
// a group commit of 80 writes used to wake the same two reactors 80 times (15% of the
// writer's time under send_bench went to those wake-ups).
void store::complete_batch(std::vector<request>& batch, const std::vector<core::error_code>& results) {
  using done_list = std::vector<std::pair<done_fn, core::error_code>>;
  std::vector<std::pair<executor, done_list>> groups;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == batch[i].ex; });
    if (it == groups.end()) it = groups.insert(groups.end(), {batch[i].ex, {}});
    it->second.emplace_back(std::move(batch[i].done), results[i]);
  }
  for (auto& [ex, dones] : groups)
    net::post(ex, [d = std::move(dones)]() mutable {
      for (auto& [done, ec] : d) done(ec);
    });
}

void store::submit_write(work_fn fn, executor ex, done_fn done) {
  {
    std::lock_guard lk(write_mu_);
    if (!stopping_) {
      write_queue_.push_back({std::move(fn), std::move(ex), std::move(done)});
      write_cv_.notify_one();
      return;
    }
  }
  request r{std::move(fn), std::move(ex), std::move(done)};
  complete(r, make_error_code(error::stopped));
}

void store::submit_read(work_fn fn, executor ex, done_fn done) {
  {
    std::lock_guard lk(read_mu_);
    if (!stopping_) {
      read_queue_.push_back({std::move(fn), std::move(ex), std::move(done)});
      read_cv_.notify_one();
      return;
    }
  }
  request r{std::move(fn), std::move(ex), std::move(done)};
  complete(r, make_error_code(error::stopped));
}

std::size_t store::queue_depth() const {
  std::lock_guard lk(write_mu_);
  return write_queue_.size();
}

// SQLite's auto-checkpoint runs inside the COMMIT that takes the WAL past its threshold, so
// that group's writers also waited for the checkpoint: copying pages back into the database and
// its two fsyncs (with synchronous = NORMAL, the only fsyncs there are). Here the same PASSIVE
// checkpoint, at the same threshold, runs after the group's writers were answered; the next
// group still waits for it. Its time is measured apart from the commits, so a latency stall
// shows whether the disk's flush or the commit itself was slow.
void store::checkpoint_if_due() {
  if (wal_pages_ < checkpoint_pages) return;
  wal_pages_ = 0;  // the next commit's hook says how large the WAL is then
  const auto started = std::chrono::steady_clock::now();
  int log_frames = 0, done_frames = 0;
  int rc =
      sqlite3_wal_checkpoint_v2(writer_conn_->native(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done_frames);
  const auto micros = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count());
  if (rc != SQLITE_OK && rc != SQLITE_BUSY)  // BUSY: another checkpoint (enfinitoctl) holds the lock
    core::log::warn("store.checkpoint_failed", {{"sqlite", writer_conn_->last_message()}});
  stats_.checkpoints.fetch_add(1, std::memory_order_relaxed);
  stats_.checkpoint_micros_total.fetch_add(micros, std::memory_order_relaxed);
  bucket(stats_.checkpoint_buckets, writer_stats::bounds_us, std::size(writer_stats::bounds_us), micros);
}

void store::writer_loop() {
  pthread_setname_np(pthread_self(), "store-writer");
  std::vector<request> batch;
  for (;;) {
    {
      std::unique_lock lk(write_mu_);
      write_cv_.wait(lk, [&] { return stopping_ || !write_queue_.empty(); });
      if (write_queue_.empty()) return;  // stopping, and everything queued was committed
      std::size_t n = std::min(write_queue_.size(), opts_.commit_batch_max);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(write_queue_.front()));
        write_queue_.pop_front();
      }
    }
    // With a subscriber, writes record what they change into the group's set (commit_batch).
    writer_conn_->set_change_sink(changes_.has_subscribers() ? &committed_ : nullptr);
    commit_batch(batch);
    writer_conn_->set_change_sink(nullptr);
    batch.clear();
    checkpoint_if_due();
  }
}

void store::commit_batch(std::vector<request>& batch) {
  auto& c = *writer_conn_;
  auto started = std::chrono::steady_clock::now();
  std::vector<core::error_code> results(batch.size());
  // Transaction control statements are prepared once (cached): sqlite3_exec would parse them
  // again for every write.
  auto run = [&c](std::string_view sql) {
    core::error_code ec;
    auto* st = c.prepare(sql, ec);
    return ec ? ec : st->run();
  };
  // A transaction left open by an earlier failure would make BEGIN fail for every later
  // group: the writer would be poisoned for good. Never start inside one.
  if (c.in_transaction()) abandon_stale_transaction(c);
  core::error_code tx_ec = run("BEGIN IMMEDIATE");
  if (!tx_ec) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      // A savepoint per request: one failing request rolls back alone, the group still commits.
      if ((tx_ec = run("SAVEPOINT w"))) break;
      const std::size_t events_before = committed_.events.size();
      const std::size_t instances_before = committed_.instances.size();
      const change_mask changed_before = committed_.changed;
      core::error_code ec;
      try {
        ec = batch[i].fn(c);
      } catch (...) {
        ec = make_error_code(error::misuse);  // nothing may throw through a store function
      }
      if (ec) {
        results[i] = ec;
        // Its events and changes are gone with it.
        committed_.events.resize(events_before);
        committed_.instances.resize(instances_before);
        committed_.changed = changed_before;
        if (!c.in_transaction()) {
          // SQLite rolled the whole group back itself (disk full, I/O error): the writes
          // before this one are gone too, so none of the group may be acknowledged.
          tx_ec = ec;
          break;
        }
        run("ROLLBACK TO w");
      }
      if ((tx_ec = run("RELEASE w"))) break;
    }
  }
  if (!tx_ec) tx_ec = run("COMMIT");
  if (tx_ec) {
    std::string sqlite_message = c.last_message();
    if (c.in_transaction()) run("ROLLBACK");
    stats_.failed_commits.fetch_add(1, std::memory_order_relaxed);
    writable_.store(false);
    note_commit_failed(batch.size(), tx_ec, sqlite_message);
    for (auto& r : results)
      if (!r) r = tx_ec;
  } else {
    note_commit_succeeded();
    writable_.store(true);
    // The one publish point of the change stream: after COMMIT, before any write is
    // acknowledged, with what the writes that were not rolled back changed.
    // A failed group publishes nothing: the set is cleared below either way.
    if (!committed_.empty()) changes_.publish(committed_);
  }
  committed_.clear();
  auto micros = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count());
  stats_.batches.fetch_add(1, std::memory_order_relaxed);
  stats_.writes.fetch_add(batch.size(), std::memory_order_relaxed);
  stats_.commit_micros_total.fetch_add(micros, std::memory_order_relaxed);
  stats_.last_batch_size.store(batch.size(), std::memory_order_relaxed);
  if (batch.size() > stats_.max_batch_size.load()) stats_.max_batch_size.store(batch.size());
  bucket(stats_.commit_buckets, writer_stats::bounds_us, std::size(writer_stats::bounds_us), micros);
  bucket(stats_.batch_buckets, writer_stats::batch_bounds, std::size(writer_stats::batch_bounds), batch.size());
  complete_batch(batch, results);
}

void store::reader_loop(connection& conn) {
  pthread_setname_np(pthread_self(), "store-reader");
  for (;;) {
    request r;
    {
      std::unique_lock lk(read_mu_);
      read_cv_.wait(lk, [&] { return stopping_ || !read_queue_.empty(); });
      if (read_queue_.empty()) return;
      r = std::move(read_queue_.front());
      read_queue_.pop_front();
    }
    core::error_code ec;
    // A read runs in its own transaction so that it sees one consistent snapshot.
    if (!(ec = conn.exec("BEGIN"))) {
      try {
        ec = r.fn(conn);
      } catch (...) {
        ec = make_error_code(error::misuse);
      }
      conn.exec("COMMIT");
    }
    complete(r, ec);
  }
}

net::awaitable<core::error_code> store::write(work_fn fn) {
  return detail::await_submit([this, fn = std::move(fn)](executor ex, done_fn done) mutable {
    submit_write(std::move(fn), std::move(ex), std::move(done));
  });
}

net::awaitable<core::error_code> store::read(work_fn fn) {
  return detail::await_submit([this, fn = std::move(fn)](executor ex, done_fn done) mutable {
    submit_read(std::move(fn), std::move(ex), std::move(done));
  });
}

namespace {
// Runs a submission and blocks the calling (non-reactor) thread until it completes. The
// completion goes to the system executor (process-wide, never destroyed) and hands the result
// over through a promise: a private io_context here could be destroyed by this thread while
// the store thread is still inside the post that woke it (ThreadSanitizer found that race).
template <class Submit>
core::error_code wait_sync(Submit submit) {
  auto result = std::make_shared<std::promise<core::error_code>>();
  auto done = result->get_future();
  submit(net::system_executor(), [result](core::error_code ec) { result->set_value(ec); });
  return done.get();
}
}  // namespace

core::error_code store::write_sync(work_fn fn) {
  return wait_sync([&](executor ex, done_fn done) { submit_write(std::move(fn), ex, std::move(done)); });
}

core::error_code store::read_sync(work_fn fn) {
  return wait_sync([&](executor ex, done_fn done) { submit_read(std::move(fn), ex, std::move(done)); });
}

core::error_code backup(const std::string& source, const std::string& dest, std::string* why) {
  if (::access(dest.c_str(), F_OK) == 0) {
    if (why) *why = dest + ": already exists; refusing to overwrite";
    return make_error_code(error::failed);
  }
  auto src = connection::open(source, true, why);
  if (!src) return src.error();
  auto dst = connection::open(dest, false, why);
  if (!dst) return dst.error();
  sqlite3_backup* b = sqlite3_backup_init((*dst)->native(), "main", (*src)->native(), "main");
  if (!b) {
    if (why) *why = dest + ": " + (*dst)->last_message();
    return make_error_code(error::failed);
  }
  int rc;
  // Copy in steps so that the live daemon's writer is never blocked for long.
  while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(5);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    if (why) *why = std::string("backup failed: ") + sqlite3_errstr(rc);
    return make_error_code(from_sqlite(rc));
  }
  ::chmod(dest.c_str(), 0600);
  return {};
}

}  // namespace enfinito::store
