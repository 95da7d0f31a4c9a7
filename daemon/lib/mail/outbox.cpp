// mail: notification texts, the outbox enqueue (bodies sealed by the vault), libcurl SMTP
// submission and the sender loop.
#include <enfinito/mail/outbox.hpp>
#include <enfinito/auth/password.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/core/spawn.hpp>
#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/upstream/outbound.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace enfinito::mail {
namespace acc = store::accounts;
namespace {

bool has_line_break(std::string_view v) { return v.find_first_of("\r\n") != std::string_view::npos; }

std::string rfc5322_date() {
  char buf[64];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string domain_of(std::string_view addr) {
  auto at = addr.rfind('@');
  return at == std::string_view::npos ? std::string("localhost") : std::string(addr.substr(at + 1));
}

// CRLF line endings and dot-stuffing are libcurl's job for the body; we only normalise LF.
std::string crlf(std::string_view text) {
  std::string out;
  for (char ch : text) {
    if (ch == '\r') continue;
    if (ch == '\n')
      out += "\r\n";
    else
      out += ch;
  }
  return out;
}

struct upload {
  std::string data;
  std::size_t pos = 0;
};

std::size_t read_cb(char* ptr, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<upload*>(user);
  std::size_t room = size * n;
  std::size_t len = std::min(room, u->data.size() - u->pos);
  std::memcpy(ptr, u->data.data() + u->pos, len);
  u->pos += len;
  return len;
}

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Writes the mail as a file (dev mode).
send_result write_file(const config::settings& cfg, const acc::mail& m) {
  std::error_code ec;
  std::filesystem::create_directories(cfg.smtp.dev_dir, ec);
  auto path = std::filesystem::path(cfg.smtp.dev_dir) / ("mail-" + std::to_string(m.id) + ".eml");
  std::ofstream out(path, std::ios::binary);
  out << render(cfg, m);
  if (!out) return {false, "cannot write " + path.string()};
  return {true, {}};
}

// Opens a sealed body into `m.body` (rows from before migration 12 carry their body in the
// clear). On an unknown key id, re-reads the key file once: rotate-key may have run.
net::awaitable<bool> open_body(crypto::vault_source& vault, net::thread_pool& pool, acc::mail& m) {
  if (m.body_sealed.empty()) co_return true;
  const std::string row = std::to_string(m.id);
  const crypto::field_ref where{acc::mail_table, row, acc::mail_body_field};
  std::shared_ptr<const crypto::vault> v = vault.current();
  auto plain = v->decrypt(m.body_sealed, where);
  if (!plain && plain.error() == crypto::error::unknown_key_id) {
    auto reloaded = co_await crypto::fresh_vault(vault, pool);
    v = std::move(reloaded);
    plain = v->decrypt(m.body_sealed, where);
  }
  if (!plain) {
    core::log::error("mail.unsealable", {{"mail_id", m.id}, {"reason", plain.error().message()}});
    co_return false;
  }
  m.body = plain->reveal();
  co_return true;
}

// Overwrites a body's plaintext before its memory is freed (a core dump holds no reset link).
void wipe(std::string& text) {
  std::fill(text.begin(), text.end(), '\0');
  text.clear();
}

net::awaitable<void> sender_loop(const config::settings& cfg, store::store& db, net::thread_pool& pool,
                                 std::shared_ptr<crypto::vault_source> vault) {
  net::steady_timer timer(co_await net::this_coro::executor);
  for (;;) {
    timer.expires_after(cfg.smtp.poll_interval);
    auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) co_return;
    std::vector<acc::mail> due;
    auto now = acc::now_s();
    auto rec = co_await db.read([&](store::connection& c) -> core::error_code {
      auto r = acc::due_mail(c, now, 16);
      if (!r) return r.error();
      due = std::move(*r);
      return {};
    });
    if (rec) continue;
    for (auto& m : due) {
      const bool opened = co_await open_body(*vault, pool, m);
      // A blob no key opens (its key retired, the row edited) cannot become deliverable.
      send_result res{false, "the sealed body cannot be opened", true};
      auto submit = [&cfg, &m] { return cfg.dev && cfg.smtp.host.empty() ? write_file(cfg, m) : smtp_send(cfg, m); };
      if (opened) {
        auto sent = co_await auth::run_blocking(pool, submit);
        res = std::move(sent);
        wipe(m.body);
      }
      const bool too_old = acc::now_s() - m.created_at > cfg.smtp.give_up_after.count() / 1000;
      if (res.ok) {
        core::log::info("mail.sent", {{"mail_id", m.id}, {"attempts", m.attempts + 1}});
        co_await db.write([id = m.id](store::connection& c) { return acc::mail_sent(c, id); });
      } else if (res.permanent || too_old) {
        // Dead letter: dropped from the outbox (its body may hold a reset link) and recorded
        // in the user's audit log, where an administrator can see why.
        core::log::warn("mail.dead", {{"mail_id", m.id},
                                      {"attempts", m.attempts + 1},
                                      {"reason", res.permanent ? "refused" : "too_old"},
                                      {"error", res.error}});
        const std::string detail = (res.permanent ? "refused: " : "gave up: ") + res.error;
        auto bury = [&m, &detail](store::connection& c) -> core::error_code {
          if (auto e = acc::mail_sent(c, m.id)) return e;
          return acc::audit(c, m.user_id, "", "mail_undeliverable", detail, "");
        };
        co_await db.write(bury);
      } else {
        // Exponential backoff: base * 2^attempts, capped.
        auto delay = cfg.smtp.retry_base;
        for (int i = 0; i < m.attempts && delay < cfg.smtp.retry_max; ++i) delay *= 2;
        delay = std::min(delay, cfg.smtp.retry_max);
        auto next = acc::now_s() + std::max<std::int64_t>(0, std::chrono::ceil<std::chrono::seconds>(delay).count());
        if (delay < std::chrono::seconds(1)) next = acc::now_s();  // sub-second (tests): due at once
        core::log::warn(
            "mail.retry",
            {{"mail_id", m.id}, {"attempts", m.attempts + 1}, {"retry_in_ms", delay.count()}, {"error", res.error}});
        co_await db.write(
            [&m, next, &res](store::connection& c) { return acc::mail_failed(c, m.id, next, res.error); });
        if (delay < std::chrono::seconds(1)) {
          timer.expires_after(delay);
          co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        }
      }
    }
  }
}

}  // namespace

message approved(std::string_view user_id, std::string_view to, const config::settings& cfg) {
  return {std::string(user_id), std::string(to), "Your Enfinito account is approved",
          "Hello,\n\nyour Enfinito account has been approved. You can sign in at:\n\n" + cfg.server.public_url + "/\n"};
}

message second_factor_reset(std::string_view user_id, std::string_view to, const config::settings& cfg) {
  return {std::string(user_id), std::string(to), "The second factor of your Enfinito account was removed",
          "Hello,\n\nthe two-step sign-in (authenticator app) of your Enfinito account was removed by an "
          "administrator, and every session of the account was signed out. Your password is unchanged.\n\n"
          "Sign in at " +
              cfg.server.public_url +
              "/ and enrol an authenticator app again (Security).\n\n"
              "If you did not ask for this, tell your administrator at once.\n"};
}

message password_reset(std::string_view user_id, std::string_view to, std::string_view token,
                       const config::settings& cfg) {
  auto minutes = std::max<std::int64_t>(1, cfg.auth.reset_token_ttl_s / 60);
  return {std::string(user_id), std::string(to), "Reset your Enfinito password",
          "Hello,\n\nsomeone asked to reset the password of your Enfinito account. To choose a new password, "
          "open this link within " +
              std::to_string(minutes) + " minutes:\n\n" + cfg.server.public_url + "/reset-password#token=" +
              std::string(token) + "\n\nIf you did not ask for this, ignore this mail; your password is unchanged.\n"};
}

core::error_code enqueue(store::connection& c, const message& m, const crypto::vault& v) {
  if (has_line_break(m.to) || has_line_break(m.subject) || m.to.empty())
    return make_error_code(std::errc::invalid_argument);
  acc::mail row;
  row.user_id = m.user_id;
  row.recipient = m.to;
  row.subject = m.subject;
  return acc::enqueue_mail(c, row, [&m, &v](std::int64_t id) {
    const std::string row_id = std::to_string(id);
    return v.encrypt(m.body, {acc::mail_table, row_id, acc::mail_body_field});
  });
}

std::string render(const config::settings& cfg, const acc::mail& m) {
  std::string from = cfg.smtp.from.empty() ? "enfinito@localhost" : cfg.smtp.from;
  std::string out;
  out += "Date: " + rfc5322_date() + "\r\n";
  out += "From: " + from + "\r\n";
  out += "To: " + m.recipient + "\r\n";
  out += "Subject: " + m.subject + "\r\n";
  out += "Message-ID: <" + crypto::random_hex(16) + "@" + domain_of(from) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "\r\n";
  out += crlf(m.body);
  return out;
}

send_result smtp_send(const config::settings& cfg, const acc::mail& m) {
  // Defence in depth: the outbox refuses these already.
  if (has_line_break(m.recipient) || has_line_break(m.subject) || has_line_break(cfg.smtp.from))
    return {false, "line break in a header value"};
  curl_init_once();
  CURL* curl = curl_easy_init();
  if (!curl) return {false, "curl_easy_init failed"};
  upload up{render(cfg, m), 0};
  std::string url = "smtp://" + cfg.smtp.host + ":" + std::to_string(cfg.smtp.port);
  upstream::note_connect(upstream::purpose::smtp, cfg.smtp.host, std::to_string(cfg.smtp.port));  // P5
  std::string from = "<" + cfg.smtp.from + ">";
  std::string rcpt = "<" + m.recipient + ">";
  curl_slist* rcpts = curl_slist_append(nullptr, rcpt.c_str());
  core::secret_string password;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp");
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(curl, CURLOPT_READDATA, &up);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg.smtp.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(cfg.smtp.timeout.count()));
  if (cfg.smtp.starttls == "required") curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  send_result res;
  if (!cfg.smtp.username.empty()) {
    std::string why;
    auto pw = config::read_secret_file(cfg, "smtp.password", &why);
    if (!pw) {
      curl_slist_free_all(rcpts);
      curl_easy_cleanup(curl);
      return {false, "smtp.password: " + why};
    }
    password = std::move(*pw);
    curl_easy_setopt(curl, CURLOPT_USERNAME, cfg.smtp.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, password.reveal().c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    res.ok = true;
  } else {
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    res.error = std::string(curl_easy_strerror(rc)) + (code ? " (smtp " + std::to_string(code) + ")" : "");
    // RFC 5321 §4.2.1: 5yz is a permanent negative reply (no such mailbox, policy refusal).
    // Authentication refusals (535) are the operator's to fix: those keep being retried.
    res.permanent = code >= 500 && code < 600 && rc != CURLE_LOGIN_DENIED;
  }
  curl_slist_free_all(rcpts);
  curl_easy_cleanup(curl);
  return res;
}

void start_sender(const config::settings& cfg, store::store& db, net::thread_pool& pool,
                  std::shared_ptr<crypto::vault_source> vault, executor ex) {
  if (cfg.smtp.host.empty() && !cfg.dev) {
    core::log::warn("mail.disabled", {{"reason", "smtp.host is not set: mail stays in the outbox"}});
    return;
  }
  core::spawn(ex, sender_loop(cfg, db, pool, std::move(vault)), core::on_exception::terminate("mail.sender_crashed"));
}

}  // namespace enfinito::mail
