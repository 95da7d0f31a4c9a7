#pragma once
/**
 * @file store::pg::notice: what one committed group tells the other nodes, as the payload of
 * one NOTIFY on `channel` (sent by store::pg::writer inside the group's transaction, so
 * PostgreSQL delivers it at COMMIT and never for a group that rolled back; read by
 * store::pg::listener).
 *
 * A notice carries ids and kinds only: the sending node, the change kinds (store/changes.hpp),
 * the group's event id range and the changed instances' ids. Never message content, event data
 * or secrets: the listener reads the events from the table by id. PostgreSQL caps a payload at
 * 8000 bytes; a notice whose instance list would not fit says `reload` instead of listing
 * (its kinds and event range always fit), and receivers drop whatever they cache of every kind.
 * Pure functions, no I/O.
 */
#include <enfinito/store/changes.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::pg {

/** The LISTEN/NOTIFY channel of committed changes. */
inline constexpr std::string_view changes_channel = "enfinito_changes";
/** Payload bytes at most (PostgreSQL refuses more than 8000; a margin for the JSON's framing). */
inline constexpr std::size_t notice_max_bytes = 7900;

struct notice {
  std::string node;              // the node whose writer committed the group
  change_mask changed = 0;       // kinds marked by the group's writes
  std::int64_t first_event = 0;  // the group's event ids, first..last (0, 0: none)
  std::int64_t last_event = 0;
  std::vector<std::string> instances;  // changed instance ids (empty with `reload`)
  bool reload = false;                 // the list did not fit: drop every cached kind
};

/** The notice of a committed change set (the events' ids, not their content). */
notice describe(std::string_view node, const change_set& cs);
/** The payload: JSON, at most notice_max_bytes (a long instance list becomes `reload`). */
std::string encode(const notice& n);
/** Parses a payload; nullopt for anything that is not a notice of ours. */
std::optional<notice> decode(std::string_view payload);

/**
 * The event ids this node's writer appended and is committing or committed, that its listener
 * has not yet passed: the listener skips them, the writer publishes them itself. The writer adds
 * a group's ids before its COMMIT, so no read of the listener's can find them committed and
 * unknown. Shared by the node's writer and listener (give both, or neither). Thread-safe.
 */
class local_events {
 public:
  void add(const std::vector<store::events::event>& appended);
  bool contains(std::int64_t id);
  /** Forgets ids up to `id` (the listener has passed them). */
  void forget_through(std::int64_t id);

 private:
  std::mutex mu_;
  std::set<std::int64_t> ids_;
};

}  // namespace enfinito::store::pg
