// store::broadcasts: the SQL of broadcasts, their tagged messages and jobs, the pre-lease
// settle (expired, opted out) and the broadcast events. The life cycle is drawn in
// include/enfinito/store/broadcasts.hpp.
#include <enfinito/store/broadcasts.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/events.hpp>
#include "store/columns.hpp"
#include "store/prepare.hpp"
#include "store/rows.hpp"

#include <boost/json.hpp>

#include <set>

namespace enfinito::store::broadcasts {
namespace {

namespace json = boost::json;

constexpr column_list cols{
    "b.id, b.instance_id, b.name, b.template_name, b.template_language, b.state, b.recipients, b.rejected, "
    "b.send_at, b.expires_at, b.api_key_id, b.started_at, b.finished_at, b.created_at, b.updated_at"};

broadcast read_row(const statement& s) {
  broadcast b;
  b.id = s.text(cols["id"]);
  b.instance_id = s.text(cols["instance_id"]);
  b.name = s.text(cols["name"]);
  b.template_name = s.text(cols["template_name"]);
  b.template_language = s.text(cols["template_language"]);
  b.state = s.text(cols["state"]);
  b.recipients = s.int64(cols["recipients"]);
  b.rejected = s.int64(cols["rejected"]);
  b.send_at = s.int64(cols["send_at"]);
  if (!s.is_null(cols["expires_at"])) b.expires_at = s.int64(cols["expires_at"]);
  if (!s.is_null(cols["api_key_id"])) b.api_key_id = s.text(cols["api_key_id"]);
  if (!s.is_null(cols["started_at"])) b.started_at = s.int64(cols["started_at"]);
  if (!s.is_null(cols["finished_at"])) b.finished_at = s.int64(cols["finished_at"]);
  b.created_at = s.int64(cols["created_at"]);
  b.updated_at = s.int64(cols["updated_at"]);
  return b;
}

json::object counts_json(const counts& n) {
  json::object by;
  for (const auto& [k, v] : n.by_status) by[k] = v;
  json::object codes;
  for (const auto& [k, v] : n.failed_by_code) codes[k] = v;
  return {{"by_status", std::move(by)}, {"failed_by_code", std::move(codes)}};
}

core::error_code append(connection& c, std::string_view user_id, std::string_view instance_id, std::string type,
                        json::object data, std::int64_t now) {
  events::event e;
  e.user_id = std::string(user_id);
  e.instance_id = std::string(instance_id);
  e.type = std::move(type);
  e.data = json::serialize(data);
  e.created_at = now;
  return events::append(c, e);
}

// A broadcast event: its id, name, state and counts.
core::error_code broadcast_event(connection& c, std::string_view user_id, std::string_view id, const char* type,
                                 std::int64_t now) {
  broadcast b;
  {
    ENF_PREPARE(s, std::string("SELECT ") + cols.sql() + " FROM broadcasts b WHERE b.id = ?1");
    s->bind(1, id);
    if (auto ec = read_one(*s, read_row, b)) return ec;
  }
  counts n;
  if (auto ec = count(c, id, n)) return ec;
  json::object d{{"broadcast_id", b.id}, {"instance_id", b.instance_id}, {"name", b.name},
                 {"state", b.state},     {"recipients", b.recipients},   {"counts", counts_json(n)}};
  return append(c, user_id, b.instance_id, type, std::move(d), now);
}

}  // namespace

core::error_code insert(connection& c, const broadcast& b) {
  ENF_PREPARE(s,
              "INSERT INTO broadcasts (id, instance_id, name, template_name, template_language, state, "
              "recipients, rejected, send_at, expires_at, api_key_id, created_at, updated_at) "
              "VALUES (?1, ?2, ?3, ?4, ?5, 'preparing', ?6, ?7, ?8, ?9, ?10, ?11, ?11)");
  s->bind(1, b.id).bind(2, b.instance_id).bind(3, b.name).bind(4, b.template_name).bind(5, b.template_language);
  s->bind(6, b.recipients).bind(7, b.rejected).bind(8, b.send_at).bind(9, b.expires_at).bind(10, b.api_key_id);
  s->bind(11, b.created_at);
  return s->run();
}

core::error_code insert_messages(connection& c, const broadcast& b, std::vector<messages::message>& batch) {
  ENF_PREPARE(m,
              "INSERT INTO messages (id, instance_id, direction, peer, type, body, status, attempts, "
              "possible_duplicate, api_key_id, created_at, updated_at, callback_tagged, broadcast_id) "
              "VALUES (?1, ?2, 'outbound', ?3, 'template', ?4, 'accepted', 0, 0, ?5, ?6, ?6, ?7, ?8)");
  ENF_PREPARE(j,
              "INSERT INTO send_jobs (message_seq, instance_id, peer, state, next_attempt_at, broadcast_id, "
              "expires_at) VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?6)");
  for (auto& msg : batch) {
    m->bind(1, msg.id).bind(2, b.instance_id).bind(3, msg.peer).bind(4, msg.body).bind(5, b.api_key_id);
    m->bind(6, b.created_at).bind(7, msg.callback_tagged ? 1 : 0).bind(8, b.id);
    if (auto ec = m->run()) return ec;
    msg.seq = c.last_insert_rowid();
    j->bind(1, msg.seq).bind(2, b.instance_id).bind(3, msg.peer).bind(4, b.send_at).bind(5, b.id);
    j->bind(6, b.expires_at);
    if (auto ec = j->run()) return ec;
  }
  return {};
}

core::error_code start(connection& c, std::string_view user_id, std::string_view id, std::int64_t now) {
  {
    ENF_PREPARE(s, "UPDATE broadcasts SET state = 'running', updated_at = ?2 WHERE id = ?1 AND state = 'preparing'");
    s->bind(1, id).bind(2, now);
    if (auto ec = s->run()) return ec;
    if (c.changes() == 0) return make_error_code(error::not_found);
  }
  return broadcast_event(c, user_id, id, "broadcast.accepted", now);
}

core::error_code get(connection& c, std::string_view user_id, std::string_view id, broadcast& out) {
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() +
                     " FROM broadcasts b JOIN instances i ON i.id = b.instance_id WHERE b.id = ?1 AND i.user_id = ?2");
  s->bind(1, id).bind(2, user_id);
  return read_one(*s, read_row, out);
}

core::error_code list(connection& c, std::string_view user_id, std::string_view instance_id, std::int64_t before_ms,
                      std::size_t limit, std::vector<broadcast>& out) {
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() +
                     " FROM broadcasts b JOIN instances i ON i.id = b.instance_id WHERE b.instance_id = ?1 "
                     "AND i.user_id = ?2 AND (?3 = 0 OR b.created_at < ?3) ORDER BY b.created_at DESC, b.id DESC "
                     "LIMIT ?4");
  s->bind(1, instance_id).bind(2, user_id).bind(3, before_ms).bind(4, static_cast<std::int64_t>(limit));
  return read_all(*s, read_row, out);
}

core::error_code count(connection& c, std::string_view id, counts& out) {
  static constexpr column_list count_cols{"status, error_code, count(*) AS n"};
  ENF_PREPARE(s, std::string("SELECT ") + count_cols.sql() +
                     " FROM messages WHERE broadcast_id = ?1 GROUP BY status, error_code");
  s->bind(1, id);
  core::error_code ec;
  while (s->step(ec)) {
    const auto status = s->text(count_cols["status"]);
    const auto n = s->int64(count_cols["n"]);
    out.by_status[status] += n;
    if (status == "failed" || status == "dead") {
      const int code = count_cols["error_code"];
      out.failed_by_code[s->is_null(code) ? std::string("none") : std::to_string(s->int64(code))] += n;
    }
  }
  s->reset();
  return ec;
}

core::error_code transition(connection& c, std::string_view user_id, std::string_view id,
                            const std::vector<std::string_view>& from, std::string_view to, std::int64_t now,
                            broadcast& out) {
  if (auto ec = get(c, user_id, id, out)) return ec;
  bool allowed = false;
  for (auto f : from) allowed = allowed || out.state == f;
  if (!allowed) return make_error_code(error::constraint);
  ENF_PREPARE(s, "UPDATE broadcasts SET state = ?2, updated_at = ?3 WHERE id = ?1");
  s->bind(1, id).bind(2, to).bind(3, now);
  if (auto ec = s->run()) return ec;
  out.state = std::string(to);
  out.updated_at = now;
  return {};
}

core::error_code cancel_batch(connection& c, std::string_view user_id, std::string_view id, std::size_t limit,
                              std::int64_t now, std::size_t& done) {
  done = 0;
  std::vector<std::int64_t> seqs;
  {
    ENF_PREPARE(s, "SELECT message_seq FROM send_jobs WHERE broadcast_id = ?1 AND state = 'queued' LIMIT ?2");
    s->bind(1, id).bind(2, static_cast<std::int64_t>(limit));
    core::error_code ec;
    while (s->step(ec)) seqs.push_back(s->int64(0));
    s->reset();
    if (ec) return ec;
  }
  ENF_PREPARE(del, "DELETE FROM send_jobs WHERE message_seq = ?1 AND state = 'queued'");
  ENF_PREPARE(mark, "UPDATE messages SET status = 'cancelled', updated_at = ?2 WHERE seq = ?1");
  for (auto seq : seqs) {
    del->bind(1, seq);
    if (auto ec = del->run()) return ec;
    if (c.changes() == 0) continue;
    mark->bind(1, seq).bind(2, now);
    if (auto ec = mark->run()) return ec;
    ++done;
  }
  if (seqs.size() >= limit) return {};
  // None queued is left: finished (once), when nothing is in flight either.
  return after(c, user_id, id, false, now, 0);
}

core::error_code settle(connection& c, std::string_view user_id, std::string_view instance_id,
                        const std::vector<std::int64_t>& seqs, std::int64_t now, const opted_out_fn& opted_out,
                        std::int64_t progress_every_ms) {
  static constexpr column_list job_cols{"j.peer, j.broadcast_id, j.expires_at, m.id AS message_id"};
  ENF_PREPARE(job, std::string("SELECT ") + job_cols.sql() +
                       " FROM send_jobs j JOIN messages m ON m.seq = j.message_seq "
                       "WHERE j.message_seq = ?1 AND j.instance_id = ?2 AND j.state = 'queued'");
  ENF_PREPARE(del, "DELETE FROM send_jobs WHERE message_seq = ?1");
  ENF_PREPARE(mark, "UPDATE messages SET status = ?2, updated_at = ?3 WHERE seq = ?1");
  std::set<std::string> touched;
  for (auto seq : seqs) {
    job->bind(1, seq).bind(2, instance_id);
    core::error_code ec;
    if (!job->step(ec)) {
      job->reset();
      if (ec) return ec;
      continue;
    }
    const auto peer = job->text(job_cols["peer"]);
    const auto bid = job->is_null(job_cols["broadcast_id"]) ? std::string() : job->text(job_cols["broadcast_id"]);
    const bool expired = !job->is_null(job_cols["expires_at"]) && job->int64(job_cols["expires_at"]) <= now;
    const auto message_id = job->text(job_cols["message_id"]);
    job->reset();
    const char* status = expired ? "expired" : nullptr;
    if (!status && !bid.empty() && opted_out && opted_out(c, instance_id, peer)) status = "skipped_opted_out";
    if (!status) continue;
    del->bind(1, seq);
    if (auto e = del->run()) return e;
    mark->bind(1, seq).bind(2, status).bind(3, now);
    if (auto e = mark->run()) return e;
    json::object d{{"message_id", message_id}, {"instance_id", instance_id}, {"status", status}, {"to", peer}};
    if (!bid.empty()) d["broadcast_id"] = bid;
    if (auto e = append(c, user_id, instance_id, expired ? "message.expired" : "message.skipped", std::move(d), now))
      return e;
    if (!bid.empty()) touched.insert(bid);
  }
  for (const auto& bid : touched)
    if (auto e = after(c, user_id, bid, false, now, progress_every_ms)) return e;
  return {};
}

core::error_code after(connection& c, std::string_view user_id, std::string_view id, bool leased, std::int64_t now,
                       std::int64_t progress_every_ms) {
  if (leased) {
    ENF_PREPARE(s, "UPDATE broadcasts SET started_at = ?2 WHERE id = ?1 AND started_at IS NULL");
    s->bind(1, id).bind(2, now);
    if (auto ec = s->run()) return ec;
    if (c.changes() > 0)
      if (auto ec = broadcast_event(c, user_id, id, "broadcast.started", now)) return ec;
    return {};
  }
  bool left = false;
  {
    ENF_PREPARE(s, "SELECT 1 FROM send_jobs WHERE broadcast_id = ?1 LIMIT 1");
    s->bind(1, id);
    core::error_code ec;
    left = s->step(ec);
    s->reset();
    if (ec) return ec;
  }
  if (!left) {
    // A running broadcast finishes; a cancelled one keeps its state but is finished too.
    ENF_PREPARE(s,
                "UPDATE broadcasts SET state = CASE WHEN state = 'cancelled' THEN state ELSE 'finished' END, "
                "finished_at = ?2, updated_at = ?2 WHERE id = ?1 AND finished_at IS NULL "
                "AND state IN ('running', 'cancelled')");
    s->bind(1, id).bind(2, now);
    if (auto ec = s->run()) return ec;
    if (c.changes() > 0) return broadcast_event(c, user_id, id, "broadcast.finished", now);
    return {};
  }
  if (progress_every_ms <= 0) return {};
  ENF_PREPARE(s, "UPDATE broadcasts SET progress_at = ?2 WHERE id = ?1 AND progress_at <= ?3");
  s->bind(1, id).bind(2, now).bind(3, now - progress_every_ms);
  if (auto ec = s->run()) return ec;
  if (c.changes() > 0) return broadcast_event(c, user_id, id, "broadcast.progress", now);
  return {};
}

core::error_code outcomes(connection& c, std::string_view id, std::int64_t after_seq, std::size_t limit,
                          std::vector<outcome_row>& out) {
  static constexpr column_list outcome_cols{
      "seq, id, peer, status, wamid, error_code, COALESCE(error_title, '') AS error_title, updated_at"};
  ENF_PREPARE(s, std::string("SELECT ") + outcome_cols.sql() +
                     " FROM messages WHERE broadcast_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3");
  s->bind(1, id).bind(2, after_seq).bind(3, static_cast<std::int64_t>(limit));
  core::error_code ec;
  while (s->step(ec)) {
    outcome_row r;
    r.seq = s->int64(outcome_cols["seq"]);
    r.message_id = s->text(outcome_cols["id"]);
    r.peer = s->text(outcome_cols["peer"]);
    r.status = s->text(outcome_cols["status"]);
    if (!s->is_null(outcome_cols["wamid"])) r.wamid = s->text(outcome_cols["wamid"]);
    if (!s->is_null(outcome_cols["error_code"])) r.error_code = s->int64(outcome_cols["error_code"]);
    r.error_title = s->text(outcome_cols["error_title"]);
    r.updated_at = s->int64(outcome_cols["updated_at"]);
    out.push_back(std::move(r));
  }
  s->reset();
  return ec;
}

}  // namespace enfinito::store::broadcasts
