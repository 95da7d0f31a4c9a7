#pragma once
/**
 * @file mail: transactional email through a durable outbox, and the SMTP sender loop.
 *
 * A handler that wants to send mail calls `mail::enqueue` inside its store write, so the mail
 * is committed with the change that caused it (or not at all). The sender loop, started by the
 * app on reactor 0, polls for due rows, hands each submission to the blocking pool (libcurl
 * SMTP: STARTTLS required unless configured off for a loopback server, AUTH with the secret
 * file `smtp.password`), and deletes the row once the server accepted it. A connection
 * failure or a 4xx answer reschedules the row with exponential backoff (`smtp.retry_base_ms`
 * doubling up to `smtp.retry_max_ms`); a 5xx is retried the same way, as we cannot tell a
 * misconfiguration from a bad address and losing a password-reset mail silently is worse.
 * HTTP requests never wait on SMTP.
 *
 * Privacy (P7): bodies carry only the notification (a link, "your account is approved");
 * nothing else about the user. In dev mode mails are written as files to `mail.dev_dir`.
 *
 * Sealed bodies (issue 23): a reset mail holds a usable token, so the outbox stores a body only
 * as a vault blob bound to its row (`mail_outbox`, id, `body`); the sender opens it in memory
 * just before submission, and the row (with secure_delete) goes once the server accepted it
 * or gave up. Neither the database file nor its WAL ever holds a body in the clear.
 * `enfinitoctl rotate-key` re-seals pending bodies (app/rekey.hpp).
 * Header injection: recipient and subject with CR or LF are refused at enqueue time.
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/crypto/vault.hpp>
#include <enfinito/store/accounts.hpp>

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

namespace enfinito::store {
class store;
}
namespace enfinito::crypto {
class vault_source;
}

namespace enfinito::mail {

/** A message ready for the outbox (`user_id` ties it to an account: deleted with it). */
struct message {
  std::string user_id;
  std::string to;
  std::string subject;
  std::string body;
};

/** The "your account is approved" notification. */
message approved(std::string_view user_id, std::string_view to, const config::settings& cfg);
/** The password-reset link; `token` is the plaintext token (only ever in this mail). */
message password_reset(std::string_view user_id, std::string_view to, std::string_view token,
                       const config::settings& cfg);

/** "Your second factor was removed" (an administrator's or the operator's reset; issue 20):
    what happened, that every session was signed out, and what to do if the user did not ask. */
message second_factor_reset(std::string_view user_id, std::string_view to, const config::settings& cfg);

/** Adds `m` to the outbox inside the caller's store transaction, its body sealed by `v` for its
    row. Refuses CR/LF in headers. */
core::error_code enqueue(store::connection& c, const message& m, const crypto::vault& v);

/** The RFC 5322 text of a mail (headers + body), as submitted. Exposed for tests. */
std::string render(const config::settings& cfg, const store::accounts::mail& m);

/** Outcome of one SMTP submission. */
struct send_result {
  bool ok = false;
  std::string error;       // curl's message, for the outbox row and the log (no secret)
  bool permanent = false;  // the server refused for good (SMTP 5xx): retrying cannot help
};
/** Submits one mail over SMTP (blocking; run on the blocking pool). */
send_result smtp_send(const config::settings& cfg, const store::accounts::mail& m);

/**
 * The sender loop. `start` spawns it on `ex`; it runs until the executor's context stops.
 * `vault` opens the sealed bodies. Lifetime: `db`, `pool` and `cfg` outlive the context.
 */
void start_sender(const config::settings& cfg, store::store& db, net::thread_pool& pool,
                  std::shared_ptr<crypto::vault_source> vault, executor ex);

}  // namespace enfinito::mail
