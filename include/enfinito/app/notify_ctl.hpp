#pragma once
/**
 * @file `enfinitoctl notify-users --subject S --body-file F [--per-second N]`: the privacy
 * policy's promise to tell users of material changes "by sending an email". Every active user
 * gets the notice through the mail outbox (sealed like every mail, delivered by the daemon's
 * sender, retried by it).
 *
 * - One mail per user, even if run twice: the notice is named by a hash of its subject and
 *   body (`ntc_…`), and each user's mail is committed together with a `notices_sent` row
 *   (migration 19); a run mails only the active users without one.
 * - Resumable: users are taken in batches of `--per-second` (default 10), one transaction
 *   each; an interrupted run leaves whole batches, and the next run continues with the rest.
 * - Rate-limited: at most `--per-second` mails are queued per second, so a large user base
 *   reaches the SMTP provider as a trickle, not a flood, and the daemon's writer is never held
 *   for long.
 * - Audited: one `notice_queued` entry per run (the notice id and the count; never an address).
 *
 * It works next to a running daemon (its own SQLite connection, as the account commands).
 */
#include <enfinito/config/settings.hpp>

#include <string>
#include <vector>

namespace enfinito::app {

/** Usage lines for this command. */
extern const char* const notify_usage;

/** The notice id for a subject and body: "ntc_" + 32 hex digits of SHA-256. */
std::string notice_id(const std::string& subject, const std::string& body);

/**
 * Runs `args` if it is `notify-users`: the exit code (0 ok, 1 failed, 2 usage), or -1 when
 * `args[0]` is another command.
 */
int notify_command(const config::settings& settings, const std::vector<std::string>& args);

}  // namespace enfinito::app
