// store::messages: the SQL of the message log, the send queue (send_jobs) and idempotency
// keys. Each state change writes its event through store::events::append in the same write.
#include <enfinito/store/error.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/messages.hpp>
#include "store/columns.hpp"
#include "store/prepare.hpp"
#include "store/rows.hpp"

#include <enfinito/core/clock.hpp>
#include <enfinito/core/json_strict.hpp>
#include <enfinito/core/net.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <limits>

namespace enfinito::store::messages {
namespace {

// A broadcast's job passes only while its broadcast runs (store/broadcasts.hpp); a single
// send's job (broadcast_id NULL) passes on the first test and reads no other row.
#define ENF_BROADCAST_GATE(col) \
  "(" col " IS NULL OR EXISTS (SELECT 1 FROM broadcasts b WHERE b.id = " col " AND b.state = 'running'))"

constexpr column_list cols{
    "m.seq, m.id, m.instance_id, m.direction, m.peer, m.type, m.body, m.status, m.wamid, "
    "m.error_code, m.error_title, m.attempts, m.possible_duplicate, m.api_key_id, m.created_at, "
    "m.updated_at, m.broadcast_id"};

message read_row(statement& s) {
  message m;
  m.seq = s.int64(cols["seq"]);
  m.id = s.text(cols["id"]);
  m.instance_id = s.text(cols["instance_id"]);
  m.direction = s.text(cols["direction"]);
  m.peer = s.text(cols["peer"]);
  m.type = s.text(cols["type"]);
  m.body = s.text(cols["body"]);
  m.status = s.text(cols["status"]);
  if (!s.is_null(cols["wamid"])) m.wamid = s.text(cols["wamid"]);
  if (!s.is_null(cols["error_code"])) m.error_code = s.int64(cols["error_code"]);
  if (!s.is_null(cols["error_title"])) m.error_title = s.text(cols["error_title"]);
  m.attempts = s.int64(cols["attempts"]);
  m.possible_duplicate = s.int64(cols["possible_duplicate"]) != 0;
  if (!s.is_null(cols["api_key_id"])) m.api_key_id = s.text(cols["api_key_id"]);
  m.created_at = s.int64(cols["created_at"]);
  m.updated_at = s.int64(cols["updated_at"]);
  if (!s.is_null(cols["broadcast_id"])) m.broadcast_id = s.text(cols["broadcast_id"]);
  return m;
}

// The event of a message state change: what the live feed and customer webhooks show.
core::error_code append_event(connection& c, std::string_view user_id, std::string_view instance_id,
                              std::string_view type, const message& m, std::int64_t now) {
  json::object d(8);  // every key below fits: no rehash while it fills
  d["message_id"] = m.id;
  d["instance_id"] = instance_id;
  d["status"] = m.status;
  d["to"] = m.peer;
  if (m.wamid) d["wamid"] = *m.wamid;
  if (m.error_code || m.error_title) {
    json::object e;
    if (m.error_code)
      e["code"] = *m.error_code;
    else
      e["code"] = nullptr;
    e["title"] = m.error_title.value_or("");
    d["error"] = std::move(e);
  }
  if (m.possible_duplicate) d["possible_duplicate"] = true;
  events::event ev;
  ev.user_id = std::string(user_id);
  ev.instance_id = std::string(instance_id);
  ev.type = std::string(type);
  ev.data = json::serialize(d);
  ev.created_at = now;
  return events::append(c, ev);
}

// The timeline's record of an attempt that did not end in `sent` (schema.sql migration 13),
// numbered by the row's attempts counter as the lease left it (before a retry gives it back).
core::error_code record_attempt(connection& c, std::int64_t seq, const outcome& o, std::int64_t now) {
  using k = outcome::kind;
  ENF_PREPARE(s,
              "INSERT INTO message_attempts (message_seq, attempt, outcome, error_code, error_title, "
              "next_attempt_at, created_at) SELECT seq, attempts, ?2, ?3, NULLIF(?4, ''), ?5, ?6 "
              "FROM messages WHERE seq = ?1");
  s->bind(1, seq).bind(2, o.what == k::retry ? "retry" : o.what == k::failed ? "failed" : "dead");
  s->bind(3, o.error_code).bind(4, o.error_title);
  if (o.what == k::retry)
    s->bind(5, o.next_attempt_at);
  else
    s->bind_null(5);
  s->bind(6, now);
  return s->run();
}

}  // namespace

core::error_code insert_outbound(connection& c, message& m, std::string_view user_id) {
  if (m.created_at == 0) m.created_at = core::wall_ms();
  m.updated_at = m.created_at;
  m.direction = "outbound";
  m.status = "accepted";
  // The body is sent to Meta as stored: it must be JSON (see events::append).
  if (!core::finite_json_text(m.body)) return make_error_code(error::misuse);
  {
    ENF_PREPARE(s,
                "INSERT INTO messages (id, instance_id, direction, peer, type, body, status, "
                "attempts, possible_duplicate, api_key_id, created_at, updated_at, callback_tagged) "
                "VALUES (?1, ?2, 'outbound', ?3, ?4, ?5, 'accepted', 0, 0, ?6, ?7, ?7, ?8)");
    s->bind(1, m.id).bind(2, m.instance_id).bind(3, m.peer).bind(4, m.type).bind(5, m.body);
    s->bind(6, m.api_key_id).bind(7, m.created_at).bind(8, m.callback_tagged ? 1 : 0);
    if (auto ec = s->run()) return ec;
    m.seq = c.last_insert_rowid();
  }
  {
    ENF_PREPARE(s,
                "INSERT INTO send_jobs (message_seq, instance_id, peer, state, next_attempt_at, expires_at) "
                "VALUES (?1, ?2, ?3, 'queued', ?4, ?5)");
    s->bind(1, m.seq).bind(2, m.instance_id).bind(3, m.peer).bind(4, m.send_at > 0 ? m.send_at : m.created_at);
    s->bind(5, m.expires_at);
    if (auto ec = s->run()) return ec;
  }
  return append_event(c, user_id, m.instance_id, "message.accepted", m, m.created_at);
}

core::error_code get(connection& c, std::string_view user_id, std::string_view id, message& out) {
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() +
                     " FROM messages m JOIN instances i ON i.id = m.instance_id "
                     "WHERE m.id = ?1 AND i.user_id = ?2");
  s->bind(1, id).bind(2, user_id);
  return read_one(*s, read_row, out);
}

core::error_code get_by_id(connection& c, std::string_view id, message& out) {
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() + " FROM messages m WHERE m.id = ?1");
  s->bind(1, id);
  return read_one(*s, read_row, out);
}

core::error_code list(connection& c, const list_filter& f, std::vector<message>& out) {
  // Optional filters are written as "?N = '' OR column = ?N" so one statement text (one cached
  // statement) serves every combination; messages_log (instance_id, seq) drives the scan. A
  // peer's messages (a conversation page) have their own text, so that messages_peer
  // (instance_id, peer, seq) drives it and the scan skips the other peers' messages.
  static const std::string any_peer = std::string("SELECT ") + cols.sql() +
                                      " FROM messages m JOIN instances i ON i.id = m.instance_id "
                                      "WHERE m.instance_id = ?1 AND i.user_id = ?2 AND m.seq < ?3 "
                                      "AND (?4 = '' OR m.direction = ?4) AND (?5 = '' OR m.status = ?5) "
                                      "AND (?6 = '' OR m.peer = ?6) AND m.created_at >= ?7 AND m.created_at < ?8 "
                                      "ORDER BY m.seq DESC LIMIT ?9";
  static const std::string one_peer = std::string("SELECT ") + cols.sql() +
                                      " FROM messages m JOIN instances i ON i.id = m.instance_id "
                                      "WHERE m.instance_id = ?1 AND m.peer = ?6 AND i.user_id = ?2 AND m.seq < ?3 "
                                      "AND (?4 = '' OR m.direction = ?4) AND (?5 = '' OR m.status = ?5) "
                                      "AND m.created_at >= ?7 AND m.created_at < ?8 "
                                      "ORDER BY m.seq DESC LIMIT ?9";
  ENF_PREPARE(s, f.peer.empty() ? any_peer : one_peer);
  s->bind(1, f.instance_id).bind(2, f.user_id);
  s->bind(3, f.before_seq > 0 ? f.before_seq : std::numeric_limits<std::int64_t>::max());
  s->bind(4, f.direction).bind(5, f.status).bind(6, f.peer);
  s->bind(7, f.since_ms).bind(8, f.until_ms > 0 ? f.until_ms : std::numeric_limits<std::int64_t>::max());
  s->bind(9, static_cast<std::int64_t>(f.limit));
  return read_all(*s, read_row, out);
}

core::error_code queued_jobs(connection& c, std::string_view instance_id, std::int64_t after_seq, std::size_t limit,
                             std::vector<job_ref>& out) {
  static constexpr column_list job_cols{"message_seq, peer, next_attempt_at, broadcast_id IS NOT NULL AS broadcast"};
  static const std::string sql = std::string("SELECT ") + job_cols.sql() +
                                 " FROM send_jobs WHERE instance_id = ?1 AND message_seq > ?2 AND state = 'queued' "
                                 "AND " ENF_BROADCAST_GATE("send_jobs.broadcast_id") " ORDER BY message_seq LIMIT ?3";
  ENF_PREPARE(s, sql);
  s->bind(1, instance_id).bind(2, after_seq).bind(3, static_cast<std::int64_t>(limit));
  core::error_code ec;
  while (s->step(ec))
    out.push_back({s->int64(job_cols["message_seq"]), s->text(job_cols["peer"]), s->int64(job_cols["next_attempt_at"]),
                   s->int64(job_cols["broadcast"]) != 0});
  s->reset();
  return ec;
}

core::error_code instances_with_due_jobs(connection& c, std::int64_t now_ms, std::size_t limit,
                                         std::vector<std::string>& out) {
  ENF_PREPARE(s,
              "SELECT DISTINCT instance_id FROM send_jobs WHERE state = 'queued' "
              "AND next_attempt_at <= ?1 AND " ENF_BROADCAST_GATE("send_jobs.broadcast_id") " LIMIT ?2");
  s->bind(1, now_ms).bind(2, static_cast<std::int64_t>(limit));
  core::error_code ec;
  while (s->step(ec)) out.push_back(s->text(0));
  s->reset();
  return ec;
}

core::error_code lease(connection& c, std::string_view instance_id, const std::vector<std::int64_t>& seqs,
                       std::string_view owner, std::int64_t now, std::int64_t expires, std::vector<leased>& out) {
  ENF_PREPARE(
      take,
      "UPDATE send_jobs SET state = 'sending', lease_owner = ?3, lease_expires_at = ?4 "
      "WHERE message_seq = ?1 AND instance_id = ?2 AND (state = 'queued' OR lease_owner = ?3) AND " ENF_BROADCAST_GATE(
          "send_jobs.broadcast_id"));
  // Not UPDATE ... RETURNING: SQLite buffers RETURNING rows in an ephemeral table, opening a
  // temporary b-tree (pager, page cache, a dozen mallocs) per statement. A rowid read is cheaper.
  ENF_PREPARE(mark, "UPDATE messages SET attempts = attempts + 1, status = 'sending', updated_at = ?2 WHERE seq = ?1");
  static constexpr column_list fetch_cols{
      "id, body, attempts, possible_duplicate, callback_tagged, COALESCE(broadcast_id, '') AS broadcast_id"};
  static const std::string fetch_sql = std::string("SELECT ") + fetch_cols.sql() + " FROM messages WHERE seq = ?1";
  ENF_PREPARE(fetch, fetch_sql);
  for (auto seq : seqs) {
    take->bind(1, seq).bind(2, instance_id).bind(3, owner).bind(4, expires);
    if (auto ec = take->run()) return ec;
    if (c.changes() == 0) continue;
    mark->bind(1, seq).bind(2, now);
    if (auto ec = mark->run()) return ec;
    fetch->bind(1, seq);
    core::error_code ec;
    if (fetch->step(ec))
      out.push_back({seq, fetch->text(fetch_cols["id"]), fetch->text(fetch_cols["body"]),
                     fetch->int64(fetch_cols["attempts"]), fetch->int64(fetch_cols["possible_duplicate"]) != 0,
                     fetch->int64(fetch_cols["callback_tagged"]) != 0, fetch->text(fetch_cols["broadcast_id"])});
    fetch->reset();
    if (ec) return ec;
  }
  return {};
}

core::error_code resolve(connection& c, std::int64_t seq, std::string_view owner, const outcome& o,
                         std::string_view user_id, std::string_view instance_id, std::int64_t now) {
  using k = outcome::kind;
  // The job must still be ours: gone (instance deleted) or re-leased after a lost lease means
  // another attempt owns the message now.
  if (o.what == k::retry) {
    ENF_PREPARE(s,
                "UPDATE send_jobs SET state = 'queued', next_attempt_at = ?3, lease_owner = NULL, "
                "lease_expires_at = NULL WHERE message_seq = ?1 AND lease_owner = ?2 AND state = 'sending'");
    s->bind(1, seq).bind(2, owner).bind(3, o.next_attempt_at);
    if (auto ec = s->run()) return ec;
    if (c.changes() == 0) return make_error_code(error::not_found);
    if (auto ec = record_attempt(c, seq, o, now)) return ec;
    ENF_PREPARE(m,
                "UPDATE messages SET status = 'accepted', error_code = ?2, error_title = ?3, "
                "attempts = attempts - ?4, possible_duplicate = MAX(possible_duplicate, ?5), "
                "updated_at = ?6 WHERE seq = ?1");
    m->bind(1, seq).bind(2, o.error_code);
    if (o.error_title.empty())
      m->bind_null(3);
    else
      m->bind(3, o.error_title);
    m->bind(4, o.undo_attempt ? 1 : 0).bind(5, o.possible_duplicate ? 1 : 0).bind(6, now);
    return m->run();
  }
  {
    ENF_PREPARE(s, "DELETE FROM send_jobs WHERE message_seq = ?1 AND lease_owner = ?2 AND state = 'sending'");
    s->bind(1, seq).bind(2, owner);
    if (auto ec = s->run()) return ec;
    if (c.changes() == 0) return make_error_code(error::not_found);
  }
  if (o.what != k::sent)
    if (auto ec = record_attempt(c, seq, o, now)) return ec;
  const char* status = o.what == k::sent ? "sent" : o.what == k::failed ? "failed" : "dead";
  // A status webhook (store/inbound.cpp) may already have moved a sent message further
  // (delivered, read): never downgrade it, only fill in the wamid. The event needs what the row
  // holds then: read back by rowid (not RETURNING, see lease), the columns it needs, not the body.
  message m;
  {
    ENF_PREPARE(u,
                "UPDATE messages SET status = CASE WHEN status IN ('delivered', 'read') THEN status "
                "ELSE ?2 END, wamid = COALESCE(?3, wamid), error_code = ?4, error_title = ?5, "
                "updated_at = ?6 WHERE seq = ?1");
    u->bind(1, seq).bind(2, status);
    if (o.what == k::sent)
      u->bind(3, o.wamid).bind_null(4).bind_null(5);
    else {
      u->bind_null(3).bind(4, o.error_code);
      u->bind(5, o.error_title);
    }
    u->bind(6, now);
    if (auto ec = u->run()) return ec;
    if (c.changes() == 0) return make_error_code(error::not_found);
    static constexpr column_list outcome_cols{"id, status, peer, wamid, error_code, error_title, possible_duplicate"};
    static const std::string sql = std::string("SELECT ") + outcome_cols.sql() + " FROM messages WHERE seq = ?1";
    ENF_PREPARE(s, sql);
    s->bind(1, seq);
    core::error_code ec;
    const bool row = s->step(ec);
    if (row) {
      m.seq = seq;
      m.id = s->text(outcome_cols["id"]);
      m.status = s->text(outcome_cols["status"]);
      m.peer = s->text(outcome_cols["peer"]);
      if (!s->is_null(outcome_cols["wamid"])) m.wamid = s->text(outcome_cols["wamid"]);
      if (!s->is_null(outcome_cols["error_code"])) m.error_code = s->int64(outcome_cols["error_code"]);
      if (!s->is_null(outcome_cols["error_title"])) m.error_title = s->text(outcome_cols["error_title"]);
      m.possible_duplicate = s->int64(outcome_cols["possible_duplicate"]) != 0;
    }
    s->reset();
    if (ec) return ec;
    if (!row) return make_error_code(error::not_found);
  }
  const char* type = o.what == k::sent ? "message.sent" : o.what == k::failed ? "message.failed" : "message.dead";
  return append_event(c, user_id, instance_id, type, m, now);
}

core::error_code release_leases(connection& c, std::string_view owner, std::int64_t now, std::size_t& released) {
  {
    ENF_PREPARE(s,
                "UPDATE messages SET possible_duplicate = 1, status = 'accepted', updated_at = ?2 "
                "WHERE seq IN (SELECT message_seq FROM send_jobs WHERE state = 'sending' "
                "AND lease_owner IS NOT ?1)");
    s->bind(1, owner).bind(2, now);
    if (auto ec = s->run()) return ec;
  }
  ENF_PREPARE(s,
              "UPDATE send_jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, "
              "next_attempt_at = ?2 WHERE state = 'sending' AND lease_owner IS NOT ?1");
  s->bind(1, owner).bind(2, now);
  if (auto ec = s->run()) return ec;
  released = static_cast<std::size_t>(c.changes());
  return {};
}

core::error_code requeue(connection& c, std::string_view user_id, std::string_view id,
                         const std::vector<std::int64_t>& retryable_codes, std::int64_t now, message& out) {
  if (auto ec = get(c, user_id, id, out)) return ec;
  const bool retryable_failure =
      out.status == "failed" && out.error_code &&
      std::find(retryable_codes.begin(), retryable_codes.end(), *out.error_code) != retryable_codes.end();
  if (out.direction != "outbound" || !(out.status == "dead" || retryable_failure))
    return make_error_code(error::constraint);
  {
    ENF_PREPARE(s, "UPDATE messages SET status = 'accepted', attempts = 0, updated_at = ?2 WHERE seq = ?1");
    s->bind(1, out.seq).bind(2, now);
    if (auto ec = s->run()) return ec;
  }
  ENF_PREPARE(s,
              "INSERT INTO send_jobs (message_seq, instance_id, peer, state, next_attempt_at) "
              "VALUES (?1, ?2, ?3, 'queued', ?4)");
  s->bind(1, out.seq).bind(2, out.instance_id).bind(3, out.peer).bind(4, now);
  if (auto ec = s->run()) return ec;
  out.status = "accepted";
  out.attempts = 0;
  out.updated_at = now;
  return append_event(c, user_id, out.instance_id, "message.accepted", out, now);
}

core::error_code depth_by_instance(connection& c, std::vector<std::pair<std::string, std::int64_t>>& out) {
  static constexpr column_list depth_cols{"instance_id, COUNT(*) AS depth"};
  ENF_PREPARE(s, std::string("SELECT ") + depth_cols.sql() + " FROM send_jobs GROUP BY instance_id");
  core::error_code ec;
  while (s->step(ec)) out.emplace_back(s->text(depth_cols["instance_id"]), s->int64(depth_cols["depth"]));
  s->reset();
  return ec;
}

core::error_code idempotency_get(connection& c, std::string_view scope, std::string_view key, std::int64_t not_before_s,
                                 idempotent_answer& out) {
  static constexpr column_list answer_cols{"request_hash, status, response, created_at"};
  static const std::string sql = std::string("SELECT ") + answer_cols.sql() +
                                 " FROM idempotency_keys WHERE scope = ?1 AND key = ?2 AND created_at >= ?3";
  ENF_PREPARE(s, sql);
  s->bind(1, scope).bind(2, key).bind(3, not_before_s);
  core::error_code ec;
  const bool row = s->step(ec);
  if (row)
    out = {s->text(answer_cols["request_hash"]), static_cast<int>(s->int64(answer_cols["status"])),
           s->text(answer_cols["response"]), s->int64(answer_cols["created_at"])};
  s->reset();
  if (ec) return ec;
  return row ? core::error_code{} : make_error_code(error::not_found);
}

core::error_code idempotency_put(connection& c, std::string_view scope, std::string_view key, std::string_view user_id,
                                 const idempotent_answer& a, std::int64_t not_before_s) {
  {
    // An expired answer (not yet purged) does not hold the key any more.
    ENF_PREPARE(s, "DELETE FROM idempotency_keys WHERE scope = ?1 AND key = ?2 AND created_at < ?3");
    s->bind(1, scope).bind(2, key).bind(3, not_before_s);
    if (auto ec = s->run()) return ec;
  }
  ENF_PREPARE(s,
              "INSERT INTO idempotency_keys (scope, key, user_id, request_hash, status, response, "
              "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  s->bind(1, scope).bind(2, key).bind(3, user_id).bind(4, a.request_hash).bind(5, a.status);
  s->bind(6, a.response).bind(7, a.created_at);
  return s->run();
}

core::error_code idempotency_purge(connection& c, std::int64_t before_s, std::size_t limit, std::size_t& deleted) {
  ENF_PREPARE(s,
              "DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys "
              "WHERE created_at < ?1 LIMIT ?2)");
  s->bind(1, before_s).bind(2, static_cast<std::int64_t>(limit));
  if (auto ec = s->run()) return ec;
  deleted = static_cast<std::size_t>(c.changes());
  return {};
}

}  // namespace enfinito::store::messages
