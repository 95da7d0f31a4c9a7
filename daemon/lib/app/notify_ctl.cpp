// enfinitoctl notify-users: a policy notice mailed once to every active user, through the
// outbox, in rate-limited resumable batches (see app/notify_ctl.hpp).
#include <enfinito/app/notify_ctl.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/keyring.hpp>
#include <enfinito/crypto/vault.hpp>
#include <enfinito/mail/outbox.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/notices.hpp>
#include <enfinito/store/store.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <thread>

namespace enfinito::app {

const char* const notify_usage =
    "  notify-users --subject S --body-file F [--per-second N]\n"
    "                        mail a notice to every active user, once each (resumable)\n";

namespace {

constexpr std::size_t subject_max_chars = 200;
constexpr std::size_t body_max_bytes = 64 * 1024;
constexpr long per_second_default = 10, per_second_max = 1000;

struct options {
  std::string subject, body_file;
  long per_second = per_second_default;
};

// Writes in transactions of their own: through the store when the daemon is not running (which
// also migrates the schema), else on a connection next to the daemon (WAL; busy_timeout waits
// for its commits).
class writer {
 public:
  core::error_code open(const config::settings& s, std::string* why) {
    auto db = store::store::open({s.store.path, true, 1, 16, s.store.busy_timeout}, why);
    if (db) {
      db_ = std::move(*db);
      return {};
    }
    if (db.error() != store::error::locked_by_other_process) return db.error();
    why->clear();
    auto conn = store::connection::open(s.store.path, false, why);
    if (!conn) return conn.error();
    conn_ = std::move(*conn);
    return conn_->exec("PRAGMA busy_timeout = " + std::to_string(s.store.busy_timeout.count()) +
                       "; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON");
  }
  core::error_code write(const std::function<core::error_code(store::connection&)>& fn) {
    if (db_) return db_->write_sync(fn);
    if (auto ec = conn_->exec("BEGIN IMMEDIATE")) return ec;
    auto ec = fn(*conn_);
    if (ec) {
      conn_->exec("ROLLBACK");
      return ec;
    }
    return conn_->exec("COMMIT");
  }
  ~writer() {
    if (db_) db_->stop();
  }

 private:
  std::unique_ptr<store::store> db_;
  std::unique_ptr<store::connection> conn_;
};

bool subject_ok(const std::string& s) {
  if (s.empty()) return false;
  std::size_t chars = 0;
  for (unsigned char ch : s) {
    if (ch < 0x20 || ch == 0x7f) return false;  // CR/LF would be header injection
    if ((ch & 0xc0) != 0x80) ++chars;
  }
  return chars <= subject_max_chars;
}

// 0 ok, else the exit code (with the message printed).
int parse(const std::vector<std::string>& args, options& o) {
  if (args.size() % 2 == 0) return 2;
  for (std::size_t i = 1; i + 1 < args.size(); i += 2) {
    if (args[i] == "--subject")
      o.subject = args[i + 1];
    else if (args[i] == "--body-file")
      o.body_file = args[i + 1];
    else if (args[i] == "--per-second") {
      char* end = nullptr;
      o.per_second = std::strtol(args[i + 1].c_str(), &end, 10);
      if (*end || o.per_second < 1 || o.per_second > per_second_max) {
        std::fprintf(stderr, "enfinitoctl: notify-users: --per-second must be 1 to %ld\n", per_second_max);
        return 2;
      }
    } else
      return 2;
  }
  if (!subject_ok(o.subject)) {
    std::fprintf(stderr, "enfinitoctl: notify-users: --subject must be 1 to %zu characters, no control characters\n",
                 subject_max_chars);
    return 2;
  }
  if (o.body_file.empty()) return 2;
  return 0;
}

// The body file, or nullopt (with the message printed).
std::optional<std::string> read_body(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "enfinitoctl: notify-users: cannot read %s\n", path.c_str());
    return std::nullopt;
  }
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (body.empty() || body.size() > body_max_bytes || body.find('\0') != std::string::npos) {
    std::fprintf(stderr, "enfinitoctl: notify-users: the body must be 1 byte to %zu KiB of text\n",
                 body_max_bytes / 1024);
    return std::nullopt;
  }
  return body;
}

}  // namespace

std::string notice_id(const std::string& subject, const std::string& body) {
  // The subject has no line break, so "subject\nbody" names exactly one pair.
  return "ntc_" + crypto::sha256_hex(subject + "\n" + body).substr(0, 32);
}

int notify_command(const config::settings& s, const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "notify-users") return -1;
  options o;
  if (int rc = parse(args, o)) return rc;
  auto body = read_body(o.body_file);
  if (!body) return 1;
  // Mails are sealed in the outbox like every mail: the vault's key is needed.
  const auto key_path = config::vault_key_path(s);
  auto ring = key_path.empty() ? core::result<crypto::keyring>(make_error_code(std::errc::no_such_file_or_directory))
                               : crypto::load_keyring(key_path);
  if (!ring) {
    std::fprintf(stderr, "enfinitoctl: notify-users: vault key file %s: %s\n", key_path.c_str(),
                 ring.error().message().c_str());
    return 1;
  }
  const crypto::vault vault(std::move(*ring));
  const auto id = notice_id(o.subject, *body);
  std::string why;
  writer w;
  if (auto ec = w.open(s, &why)) {
    std::fprintf(stderr, "enfinitoctl: notify-users: %s\n", why.empty() ? ec.message().c_str() : why.c_str());
    return 1;
  }
  const auto batch = static_cast<std::size_t>(o.per_second);
  std::size_t queued = 0, in_batch = 0;
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    in_batch = 0;
    auto ec = w.write([&](store::connection& c) -> core::error_code {
      auto users = store::notices::unsent(c, id, batch);
      if (!users) return users.error();
      const auto now = store::accounts::now_s();
      for (const auto& u : *users) {
        if (auto e = mail::enqueue(c, {u.user_id, u.email, o.subject, *body}, vault)) return e;
        if (auto e = store::notices::record(c, id, u.user_id, now)) return e;
      }
      in_batch = users->size();
      return {};
    });
    if (ec) {
      std::fprintf(stderr, "enfinitoctl: notify-users: %s (%zu mails queued; run again to resume)\n",
                   ec.message().c_str(), queued);
      return 1;
    }
    queued += in_batch;
    if (in_batch < batch) break;
    std::this_thread::sleep_until(started + std::chrono::seconds(1));
  }
  std::int64_t total = 0;
  auto ec = w.write([&](store::connection& c) -> core::error_code {
    auto n = store::notices::recorded(c, id);
    if (!n) return n.error();
    total = *n;
    if (queued == 0) return {};
    return store::accounts::audit(c, "", "", "notice_queued", "notice=" + id + " queued=" + std::to_string(queued),
                                  "local");
  });
  if (ec) {
    std::fprintf(stderr, "enfinitoctl: notify-users: %s\n", ec.message().c_str());
    return 1;
  }
  std::printf("notice %s: %zu mails queued now, %lld users have it in all\n", id.c_str(), queued,
              static_cast<long long>(total));
  return 0;
}

}  // namespace enfinito::app
