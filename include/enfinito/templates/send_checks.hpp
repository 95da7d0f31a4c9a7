#pragma once
/**
 * @file templates::send_checks: the pre-send checks of outbound::accept (REST and Graph sends
 * alike), before anything is queued: a template send against the local copy
 * (templates/checks.hpp), a free-form send against the peer's 24-hour window and the window
 * policy.
 *
 * Cost on the send path: the template and the window come from per-reactor caches
 * (store::change_cache) invalidated by the change stream: `change::templates` (the copy, its
 * sync and webhook state) and `change::windows` (a customer wrote in). A hit costs a hash
 * lookup and, for a template send, parsing the `template` object; a miss costs one store read,
 * then the entry serves every later send until something changes.
 *
 * Thread safety: `check` on reactor `reactor` only (each reactor its own cache shard).
 */
#include <enfinito/core/net.hpp>
#include <enfinito/meta/message_rules.hpp>
#include <enfinito/store/change_cache.hpp>
#include <enfinito/store/templates.hpp>
#include <enfinito/templates/checks.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace enfinito::store {
class store;
}

namespace enfinito::templates {

/** A send's verdict: refused (`refusal`), or accepted with `warnings` (possibly none). */
struct send_verdict {
  std::optional<problem> refusal;
  std::vector<problem> warnings;  // a closed window under policy warn
};

class send_checks {
 public:
  send_checks(std::size_t reactors, const store::change_stream& stream, window_policy policy);

  /**
   * The verdict for `m` (a checked message, not mark-as-read) to instance `instance_id`, whose
   * own window policy is `own` (the cached instance row's; auto: the setting's).
   */
  net::awaitable<send_verdict> check(store::store& db, std::size_t reactor, const std::string& instance_id,
                                     const meta::checked_message& m, std::int64_t now_ms,
                                     window_policy own = window_policy::automatic);

  /** The setting's policy (`templates.window_policy`), which an instance's `auto` follows. */
  window_policy policy() const noexcept { return policy_; }

  /** A template of the copy and whether the copy was ever synced (cached per reactor). */
  struct template_entry {
    std::optional<definition> found;
    bool synced = false;
  };
  /** A peer's window inputs (cached per reactor). */
  struct window_entry {
    std::optional<std::int64_t> last_inbound_at;
    std::optional<std::int64_t> webhooks_since;
  };

 private:
  net::awaitable<std::optional<problem>> check_template_send(store::store& db, std::size_t reactor,
                                                             const std::string& instance_id,
                                                             const meta::checked_message& m);
  net::awaitable<send_verdict> check_window(store::store& db, std::size_t reactor, const std::string& instance_id,
                                            const meta::checked_message& m, std::int64_t now_ms, window_policy own);

  window_policy policy_;
  store::change_cache<std::shared_ptr<const template_entry>> templates_;
  store::change_cache<window_entry> windows_;
};

/** The copy's row as the checks see it (components parsed; unreadable JSON: not known). */
definition to_definition(const store::templates::row& r);

}  // namespace enfinito::templates
