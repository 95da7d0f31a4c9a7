// inbound::media_fetcher: the inbound media fetcher (Meta → a file under media.inbound_dir) and
// the trash of deleted rows. See the header for the flow; store/media.cpp holds the SQL, and
// api/inbound_media_routes.cpp streams a kept file back.
#include <enfinito/inbound/media_fetcher.hpp>
#include <enfinito/auth/password.hpp>
#include <enfinito/core/clock.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/core/spawn.hpp>
#include <enfinito/crypto/encoding.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/meta/client.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/media.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace enfinito::inbound {
namespace {

using services = fetcher_context;

constexpr std::size_t piece = 64 * 1024;  // bytes per read from Meta or disk, per transfer
constexpr std::size_t due_batch = 4;      // rows taken per look, fetched at the same time
constexpr std::size_t trash_batch = 100;
constexpr std::chrono::seconds retry_after_failure{1};  // a failed look (store, disk) is tried again after this
// Delays after the 1st..5th failed attempt; the 6th failure is final.
constexpr std::chrono::seconds backoff[] = {std::chrono::seconds(10), std::chrono::seconds(30), std::chrono::minutes(2),
                                            std::chrono::minutes(10), std::chrono::hours(1)};

// ---- files (blocking: run on the blocking pool) ------------------------------------------------

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const auto w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

void fsync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Opens `<dir>/<instance>/<file>.part` for writing (the instance's directory made 0700).
int open_part(const std::filesystem::path& instance_dir, const std::string& file_id) {
  ::mkdir(instance_dir.parent_path().c_str(), 0700);
  ::mkdir(instance_dir.c_str(), 0700);
  const auto part = instance_dir / (file_id + ".part");
  return ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

// fsync, close, rename to the final name, fsync the directory: the file is whole or absent.
bool publish(int fd, const std::filesystem::path& instance_dir, const std::string& file_id) {
  const bool synced = ::fsync(fd) == 0;
  const bool closed = ::close(fd) == 0;
  const auto part = instance_dir / (file_id + ".part");
  if (!synced || !closed || std::rename(part.c_str(), (instance_dir / file_id).c_str()) != 0) {
    ::unlink(part.c_str());
    return false;
  }
  fsync_dir(instance_dir);
  return true;
}

// Removes a file and its leftovers; the instance's directory too once empty.
void remove_file(const std::filesystem::path& instance_dir, const std::string& file_id) {
  ::unlink((instance_dir / file_id).c_str());
  ::unlink((instance_dir / (file_id + ".part")).c_str());
  ::rmdir(instance_dir.c_str());  // fails while other files remain: fine
}

// ---- one fetch ------------------------------------------------------------------------------

struct fetch_outcome {
  bool stored = false;
  std::int64_t size = 0;
  bool permanent = false;  // no point in trying again
  std::string reason;      // our words, never Meta's text
};

fetch_outcome failed(std::string reason, bool permanent = false) {
  fetch_outcome o;
  o.reason = std::move(reason);
  o.permanent = permanent;
  return o;
}

// The bytes of Meta's answer into an open file, piece by piece, hashed on the way (on the
// blocking pool, with the write). Returns the size, or -1.
net::awaitable<std::int64_t> copy_body(services& s, upstream::body_reader& reader, int fd,
                                       crypto::sha256_stream& hash) {
  std::string buf;
  buf.reserve(piece);
  std::int64_t total = 0;
  bool more = true;
  bool ok = true;
  const char* p = nullptr;
  std::size_t n = 0;
  auto write_piece = [&fd, &p, &n, &hash] {
    hash.update(std::string_view(p, n));
    return write_all(fd, p, n);
  };
  core::result<bool> got = true;  // outside the loop (GCC 12)
  while (more && ok) {
    buf.clear();
    got = co_await reader.read(buf, piece);
    if (!got)
      ok = false;
    else
      more = *got;
    if (ok && !buf.empty()) {
      p = buf.data();
      n = buf.size();
      ok = co_await auth::run_blocking(s.blocking, write_piece);
      total += static_cast<std::int64_t>(n);
    }
  }
  co_return ok ? total : -1;
}

// The digest Meta declares for a media file: standard base64 of the 32 bytes, as in its
// webhooks and media lookups (64 hex digits are taken too). nullopt: nothing to check against.
std::optional<crypto::digest256> declared_sha256(std::string_view v) {
  auto raw = v.size() == 64 ? crypto::hex_decode(v) : crypto::base64_decode(v);
  if (!raw || raw->size() != 32) return std::nullopt;
  crypto::digest256 d;
  std::copy(raw->begin(), raw->end(), d.begin());
  return d;
}

// Meta's answer to the media lookup: the URL, or why not.
struct lookup_result {
  std::optional<meta::media_info> info;
  fetch_outcome problem;
};

net::awaitable<lookup_result> lookup(services& s, const store::media::media_file& job,
                                     const crypto::graph_credentials& creds) {
  lookup_result out;
  auto rq = meta::get_media(s.meta->version(), job.media_id, creds.phone_number_id);
  auto got = co_await s.meta->send(std::move(rq), creds.access_token);
  if (!got) {
    out.problem = failed("Meta could not be reached");
    co_return out;
  }
  if (!got->ok()) {
    const auto e = meta::parse_error(got->status, got->body);
    core::log::info("inbound.media_fetch_refused", {{"instance", job.instance_id},
                                                    {"file", job.id},
                                                    {"meta_code", e.code},
                                                    {"meta_subcode", e.subcode},
                                                    {"fbtrace_id", e.fbtrace_id}});
    const bool unknown = e.envelope && e.code == 100;
    out.problem = failed(unknown ? "Meta does not know this media id" : "Meta refused the media lookup",
                         unknown || meta::classify(e) == meta::disposition::permanent);
    co_return out;
  }
  auto info = meta::parse_media_info(got->body);
  if (!info)
    out.problem = failed("Meta answered the media lookup in an unexpected shape");
  else
    out.info = std::move(*info);
  co_return out;
}

// Meta's lookup, then the download into `<dir>/<instance>/<id>.part`, renamed when whole.
net::awaitable<fetch_outcome> fetch(services& s, const store::media::media_file& job) {
  if (!s.meta) co_return failed("no Graph API client is configured");
  store::instances::instance row;
  store::instances::instance* rowp = &row;
  const std::string* iid = &job.instance_id;
  auto load = [rowp, iid](store::connection& c) { return store::instances::get_any(c, *iid, *rowp); };
  auto lec = co_await s.db.read(load);
  if (lec == store::error::not_found) co_return failed("the instance is gone", true);
  if (lec) co_return failed("the database failed");
  if (row.status != "active") co_return failed("the instance is not active (" + row.status + ")");
  auto creds = co_await crypto::open_graph_credentials(*s.vault, s.blocking, row);
  if (!creds) co_return failed("the instance's credentials could not be opened");
  auto found = co_await lookup(s, job, *creds);
  if (!found.info) co_return found.problem;
  const auto cap = s.cfg.media.download_max_bytes;
  if (found.info->file_size > cap) co_return failed("larger than media.download_max_bytes", true);
  // The token goes only to Meta's own hosts.
  if (!meta::media_url_allowed(found.info->url, s.meta->base_url())) {
    core::log::warn("meta.media_url_refused", {{"instance", job.instance_id}});
    co_return failed("Meta's media URL is not on a Meta host");
  }
  const meta::call_options download{.max_response_bytes = cap, .timeout = s.cfg.media.timeout};
  auto opened = co_await s.meta->open_fetch(found.info->url, creds->access_token, download);
  if (!opened)
    co_return failed(opened.error() == meta::error::response_too_large ? "larger than media.download_max_bytes"
                                                                       : "the download from Meta failed");
  auto reader = std::move(*opened);
  if (reader->status() < 200 || reader->status() >= 300)
    co_return failed("Meta answered the download with HTTP " + std::to_string(reader->status()));
  const std::filesystem::path dir = inbound_media_dir(s.cfg) / job.instance_id;
  const std::string* fid = &job.id;
  const std::filesystem::path* dirp = &dir;
  auto open_fn = [dirp, fid] { return open_part(*dirp, *fid); };
  // The lookup's digest, else the webhook's. A file that does not match it is not kept: a
  // download cut short or altered on the way is retried like any failed one.
  auto expected = declared_sha256(found.info->sha256);
  if (!expected) expected = declared_sha256(job.sha256);
  if (!expected) core::log::info("inbound.media_sha256_unchecked", {{"instance", job.instance_id}, {"file", job.id}});
  int fd = co_await auth::run_blocking(s.blocking, open_fn);
  if (fd < 0) co_return failed("the media directory is not writable");
  crypto::sha256_stream hash;
  const auto size = co_await copy_body(s, *reader, fd, hash);
  reader.reset();  // the connection to Meta goes now
  const bool matches = size >= 0 && (!expected || hash.finish() == *expected);
  bool ok = matches;
  if (ok) {
    auto publish_fn = [&fd, dirp, fid] { return publish(fd, *dirp, *fid); };
    ok = co_await auth::run_blocking(s.blocking, publish_fn);
  } else {
    auto drop_fn = [&fd, dirp, fid] {
      ::close(fd);
      remove_file(*dirp, *fid);
      return true;
    };
    co_await auth::run_blocking(s.blocking, drop_fn);
  }
  if (size < 0) co_return failed("the download from Meta broke off");
  if (!matches) co_return failed("the download does not match the sha256 Meta declared");
  if (!ok) co_return failed("the file could not be written");
  fetch_outcome out;
  out.stored = true;
  out.size = size;
  co_return out;
}

// One job: fetch, then record the outcome (or retry later). False when nothing could be
// recorded (the row stays due: the loop must not come back to it at once).
net::awaitable<bool> fetch_and_record(services& s, const store::media::media_file& job) {
  if (!media_path_safe(job.id) || !media_path_safe(job.instance_id)) {
    core::log::error("inbound.media_fetch_bad_id", {{"file", job.id}});
    co_return false;
  }
  auto got = co_await fetch(s, job);
  const std::int64_t now = core::wall_ms();
  const std::string* id = &job.id;
  if (got.stored) {
    bool still_there = true;
    auto fn = [id, &got, now, &still_there](store::connection& c) {
      return store::media::mark_stored(c, *id, got.size, now, still_there);
    };
    auto ec = co_await s.db.write(fn);
    if (ec || !still_there) {
      // The row went while we fetched (its instance deleted): so does the file.
      const std::filesystem::path dir = inbound_media_dir(s.cfg) / job.instance_id;
      const std::filesystem::path* dirp = &dir;
      auto drop_fn = [dirp, id] {
        remove_file(*dirp, *id);
        return true;
      };
      co_await auth::run_blocking(s.blocking, drop_fn);
    }
    core::log::info(
        "inbound.media_fetched",
        {{"instance", job.instance_id}, {"file", job.id}, {"bytes", got.size}, {"recorded", !ec && still_there}});
    co_return !ec;
  }
  const auto attempt = static_cast<std::size_t>(job.attempts);  // failures so far
  std::optional<std::int64_t> next;
  if (!got.permanent && attempt < std::size(backoff))
    next = now + std::chrono::duration_cast<std::chrono::milliseconds>(backoff[attempt]).count();
  const std::string* reason = &got.reason;
  auto fn = [id, reason, next](store::connection& c) {
    return store::media::mark_attempt_failed(c, *id, *reason, next);
  };
  auto ec = co_await s.db.write(fn);
  core::log::warn("inbound.media_fetch_failed", {{"instance", job.instance_id},
                                                 {"file", job.id},
                                                 {"reason", got.reason},
                                                 {"attempt", job.attempts + 1},
                                                 {"final", !next},
                                                 {"recorded", !ec}});
  co_return !ec;
}

// fetch_and_record on a job of its own: the spawned fetches of a batch must not point into the
// fetch loop's vector.
net::awaitable<bool> fetch_owned(services& s, store::media::media_file job) {
  co_return co_await fetch_and_record(s, job);
}

// The fetches of one batch run at the same time: each mostly waits on Meta (the lookup, then the
// download), and one slow file no longer holds up the others. True when every outcome was
// recorded.
net::awaitable<bool> fetch_batch(services& s, const std::vector<store::media::media_file>& jobs) {
  struct join {
    join(const executor& ex, std::size_t n) : left(n), done(ex, net::steady_timer::time_point::max()) {}
    std::size_t left;
    bool recorded = true;
    net::steady_timer done;  // made to expire when the last fetch ends
  };
  const executor ex = co_await net::this_coro::executor;
  auto j = std::make_shared<join>(ex, jobs.size());
  for (const auto& job : jobs)
    // Its own handler: the fetch's result counts. A crash is logged and the batch goes on.
    net::co_spawn(ex, fetch_owned(s, job), [j](std::exception_ptr e, bool recorded) {
      core::on_exception::log("inbound.media_fetch_crashed")(e);
      j->recorded = j->recorded && recorded && !e;
      if (--j->left == 0) j->done.expires_at(net::steady_timer::time_point::min());  // wakes the wait below
    });
  // Locals outside the loop, co_awaits as plain assignments (GCC 12: docs/engineering-notes.md).
  std::tuple<boost::system::error_code> waited;
  while (j->left > 0) waited = co_await j->done.async_wait(net::as_tuple(net::use_awaitable));
  co_return j->recorded;
}

// Files of deleted rows: remove each, then forget it.
net::awaitable<bool> empty_trash(services& s, const std::vector<store::media::trashed>& items) {
  const std::filesystem::path root = inbound_media_dir(s.cfg);
  const std::filesystem::path* rootp = &root;
  const auto* list = &items;
  auto remove_fn = [rootp, list] {
    for (const auto& t : *list)
      if (media_path_safe(t.file_id) && media_path_safe(t.instance_id)) remove_file(*rootp / t.instance_id, t.file_id);
    return true;
  };
  co_await auth::run_blocking(s.blocking, remove_fn);
  auto forget = [list](store::connection& c) { return store::media::forget_trash(c, *list); };
  auto ec = co_await s.db.write(forget);
  if (ec)
    core::log::warn("inbound.media_trash_failed", {{"error", ec.message()}});
  else
    core::log::info("inbound.media_files_removed", {{"count", items.size()}});
  co_return !ec;
}

// At start: files no row names (a crash between rename and commit, a deletion during a
// fetch) and `.part` leftovers (no fetch runs yet) go.
net::awaitable<void> sweep_leftovers(services& s) {
  const std::filesystem::path root = inbound_media_dir(s.cfg);
  std::vector<std::pair<std::filesystem::path, std::string>> files;  // (path, file id)
  const std::filesystem::path* rootp = &root;
  auto* filesp = &files;
  auto list_fn = [rootp, filesp] {
    std::error_code ec;
    for (std::filesystem::recursive_directory_iterator it(*rootp, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const auto name = it->path().filename().string();
      if (name.ends_with(".part"))
        ::unlink(it->path().c_str());
      else
        filesp->emplace_back(it->path(), name);
    }
    return true;
  };
  co_await auth::run_blocking(s.blocking, list_fn);
  std::vector<std::filesystem::path> orphans;
  bool found = false;
  const std::string* name = nullptr;
  auto exists_fn = [&name, &found](store::connection& c) { return store::media::exists(c, *name, found); };
  core::error_code ec;  // outside the loop (GCC 12)
  for (const auto& f : files) {
    name = &f.second;
    found = true;
    ec = co_await s.db.read(exists_fn);
    if (!ec && !found) orphans.push_back(f.first);
  }
  auto* orphansp = &orphans;
  auto unlink_fn = [orphansp] {
    for (const auto& o : *orphansp) {
      ::unlink(o.c_str());
      ::rmdir(o.parent_path().c_str());  // the instance's directory, once empty
    }
    return true;
  };
  co_await auth::run_blocking(s.blocking, unlink_fn);
  if (!orphans.empty()) core::log::info("inbound.media_leftovers_removed", {{"count", orphans.size()}});
}

// The loop's wake-up: the change stream posts here after a commit that queued a fetch or left a
// file in the trash; the timer otherwise waits for the next retry.
struct wake_state {
  explicit wake_state(const executor& ex) : timer(ex) {}
  net::steady_timer timer;
  std::atomic<bool> poke{false};
};

net::awaitable<void> fetch_loop(services& s, std::shared_ptr<wake_state> w) {
  auto& timer = w->timer;
  co_await sweep_leftovers(s);
  std::vector<store::media::media_file> jobs;
  std::vector<store::media::trashed> trash;
  std::int64_t now = 0;
  std::optional<std::int64_t> next_due;
  auto due_fn = [&jobs, &now](store::connection& c) { return store::media::due(c, now, due_batch, jobs); };
  auto trash_fn = [&trash](store::connection& c) { return store::media::trash(c, trash_batch, trash); };
  auto next_fn = [&next_due](store::connection& c) { return store::media::next_due(c, next_due); };
  // Locals outside the loop, co_awaits as plain assignments (GCC 12: docs/engineering-notes.md).
  std::tuple<core::error_code> waited;
  core::error_code tec, dec, nec;
  bool emptied = true, recorded = true;
  bool backlog = true;  // look at once on start: work may have waited for us
  bool failed = false;  // the last look failed somewhere: try again after a pause, not at once
  for (;;) {
    if (!backlog && !w->poke.load()) {
      // Sleep until the next retry is due (or, with none pending, until the stream wakes us).
      nec = {};
      if (!failed) nec = co_await s.db.read(next_fn);
      if (nec == store::error::stopped) break;
      now = core::wall_ms();
      if (failed || nec)
        timer.expires_after(retry_after_failure);
      else if (next_due)
        timer.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(0, *next_due - now)));
      else
        timer.expires_at(net::steady_timer::time_point::max());
      if (!w->poke.load()) {
        waited = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        if (std::get<0>(waited) && !w->poke.load()) break;  // cancelled without news: shutting down
      }
    }
    w->poke.store(false);
    trash.clear();
    tec = co_await s.db.read(trash_fn);
    if (tec == store::error::stopped) break;
    emptied = true;
    if (!tec && !trash.empty()) emptied = co_await empty_trash(s, trash);
    jobs.clear();
    now = core::wall_ms();
    dec = co_await s.db.read(due_fn);
    if (dec == store::error::stopped) break;
    if (dec) core::log::warn("inbound.media_fetch_poll_failed", {{"error", dec.message()}});
    recorded = true;
    if (!dec && !jobs.empty()) recorded = co_await fetch_batch(s, jobs);
    failed = dec || tec || !emptied || !recorded;
    backlog = !failed && (jobs.size() == due_batch || trash.size() == trash_batch);
  }
}

net::awaitable<void> run_fetcher(std::shared_ptr<fetcher_context> ctx, std::shared_ptr<wake_state> w) {
  co_await fetch_loop(*ctx, std::move(w));
}

}  // namespace

bool media_path_safe(std::string_view id) { return !id.empty() && id.size() <= 100 && core::url_safe_chars(id); }

std::filesystem::path inbound_media_dir(const config::settings& cfg) {
  if (!cfg.media.inbound_dir.empty()) return cfg.media.inbound_dir;
  return config::beside_database(cfg, "media");
}

void start_media_fetcher(fetcher_context c, executor ex) {
  auto ctx = std::make_shared<fetcher_context>(std::move(c));
  auto w = std::make_shared<wake_state>(ex);
  ctx->db.changes().subscribe([weak = std::weak_ptr<wake_state>(w), ex](const store::change_set& cs) {
    if (!cs.has(store::change::media_jobs)) return;
    auto alive = weak.lock();
    if (!alive) return;
    alive->poke.store(true);
    net::post(ex, [weak] {
      if (auto s = weak.lock()) s->timer.cancel();
    });
  });
  // The loop owns the context and the wake state; the subscriber holds the latter weakly.
  core::spawn(ex, run_fetcher(std::move(ctx), std::move(w)),
              core::on_exception::terminate("inbound.media_fetcher_crashed"));
}

}  // namespace enfinito::inbound
