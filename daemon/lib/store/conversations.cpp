// store::conversations: the SQL of the web app's conversations (schema.sql migration 13). The
// list finds the page's newest-message seqs (page_seqs: a short walk of the newest messages,
// or grouping messages_peer when one peer fills the log), then reads those rows only, with
// their `conversations` row (profile name, window, read mark) and unread count.
#include <enfinito/store/changes.hpp>
#include <enfinito/store/conversations.hpp>
#include <enfinito/store/error.hpp>
#include "store/columns.hpp"
#include "store/prepare.hpp"
#include "store/rows.hpp"

#include <limits>

namespace enfinito::store::conversations {
namespace {

// The columns `read_row` reads: the newest message `m`, its conversations row `c` (may be
// NULL) and the unread count. ?1 is the instance id in every statement that uses them.
constexpr column_list cols{
    "m.seq, m.id, m.peer, m.direction, m.type, m.status, m.body, m.created_at, c.profile_name, "
    "c.last_inbound_at, (SELECT COUNT(*) FROM messages u WHERE u.instance_id = ?1 AND u.peer = m.peer "
    "AND u.seq > COALESCE(c.read_seq, 0) AND u.direction = 'inbound') AS unread"};

conversation read_row(statement& s) {
  conversation v;
  v.last_seq = s.int64(cols["seq"]);
  v.last_id = s.text(cols["id"]);
  v.peer = s.text(cols["peer"]);
  v.last_direction = s.text(cols["direction"]);
  v.last_type = s.text(cols["type"]);
  v.last_status = s.text(cols["status"]);
  v.last_body = s.text(cols["body"]);
  v.last_created_at = s.int64(cols["created_at"]);
  if (!s.is_null(cols["profile_name"])) v.profile_name = s.text(cols["profile_name"]);
  if (!s.is_null(cols["last_inbound_at"])) v.last_inbound_at = s.int64(cols["last_inbound_at"]);
  v.unread_inbound = s.int64(cols["unread"]);
  return v;
}

// The page's newest-message seqs, newest first. Usually the newest messages hold the newest
// peers: walking the log backwards (messages_log) and keeping each row that is its peer's
// newest (one messages_peer probe) finds a page within a few rows per conversation. When one
// chatty peer fills the log, the walk stops after eight rows per conversation asked for and
// the page comes from grouping the instance's messages_peer entries instead: bounded either
// way, and the walk wasted on the way there stays small.
core::error_code page_seqs(connection& c, std::string_view instance_id, std::int64_t before, std::size_t limit,
                           std::vector<std::int64_t>& out) {
  const auto walk_max = static_cast<std::int64_t>(8 * limit);
  static constexpr column_list walk_cols{"seq, peer"};
  ENF_PREPARE(walk, std::string("SELECT ") + walk_cols.sql() +
                        " FROM messages WHERE instance_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3");
  ENF_PREPARE(newer, "SELECT 1 FROM messages WHERE instance_id = ?1 AND peer = ?2 AND seq > ?3 LIMIT 1");
  walk->bind(1, instance_id).bind(2, before).bind(3, walk_max);
  std::int64_t walked = 0;
  core::error_code ec;
  while (out.size() < limit && walk->step(ec)) {
    ++walked;
    const auto seq = walk->int64(walk_cols["seq"]);
    newer->bind(1, instance_id).bind(2, walk->text_view(walk_cols["peer"])).bind(3, seq);
    const bool superseded = newer->step(ec);
    newer->reset();
    if (ec) break;
    if (!superseded) out.push_back(seq);
  }
  walk->reset();
  if (ec) return ec;
  if (out.size() >= limit || walked < walk_max) return {};
  out.clear();
  ENF_PREPARE(group,
              "SELECT MAX(seq) FROM messages WHERE instance_id = ?1 GROUP BY peer HAVING MAX(seq) < ?2 "
              "ORDER BY 1 DESC LIMIT ?3");
  group->bind(1, instance_id).bind(2, before).bind(3, static_cast<std::int64_t>(limit));
  while (group->step(ec)) out.push_back(group->int64(0));
  group->reset();
  return ec;
}

}  // namespace

core::error_code list(connection& c, std::string_view user_id, std::string_view instance_id, std::int64_t before_seq,
                      std::size_t limit, std::vector<conversation>& out) {
  {
    ENF_PREPARE(own, "SELECT 1 FROM instances WHERE id = ?1 AND user_id = ?2");
    own->bind(1, instance_id).bind(2, user_id);
    core::error_code ec;
    const bool mine = own->step(ec);
    own->reset();
    if (ec) return ec;
    if (!mine) return {};
  }
  std::vector<std::int64_t> seqs;
  const auto before = before_seq > 0 ? before_seq : std::numeric_limits<std::int64_t>::max();
  if (auto ec = page_seqs(c, instance_id, before, limit, seqs)) return ec;
  // Only the page's rows are read and their unread messages counted.
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() +
                     " FROM messages m LEFT JOIN conversations c ON c.instance_id = ?1 AND c.peer = m.peer "
                     "WHERE m.seq = ?2 AND m.instance_id = ?1");
  for (const auto seq : seqs) {
    s->bind(1, instance_id).bind(2, seq);
    core::error_code ec;
    if (s->step(ec)) out.push_back(read_row(*s));
    s->reset();
    if (ec) return ec;
  }
  return {};
}

core::error_code get(connection& c, std::string_view user_id, std::string_view instance_id, std::string_view peer,
                     conversation& out) {
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() +
                     " FROM messages m LEFT JOIN conversations c ON c.instance_id = ?1 AND c.peer = m.peer "
                     "WHERE m.seq = (SELECT MAX(seq) FROM messages WHERE instance_id = ?1 AND peer = ?2) "
                     "AND EXISTS (SELECT 1 FROM instances i WHERE i.id = ?1 AND i.user_id = ?3)");
  s->bind(1, instance_id).bind(2, peer).bind(3, user_id);
  return read_one(*s, read_row, out);
}

core::error_code note_inbound(connection& c, std::string_view instance_id, std::string_view peer,
                              std::int64_t sent_at_ms, std::string_view profile_name) {
  // Webhooks arrive out of order: the window follows the newest message, not the last POST.
  ENF_PREPARE(s,
              "INSERT INTO conversations (instance_id, peer, profile_name, last_inbound_at) "
              "VALUES (?1, ?2, NULLIF(?4, ''), ?3) ON CONFLICT (instance_id, peer) DO UPDATE SET "
              "last_inbound_at = MAX(COALESCE(last_inbound_at, 0), excluded.last_inbound_at), "
              "profile_name = COALESCE(excluded.profile_name, profile_name)");
  s->bind(1, instance_id).bind(2, peer).bind(3, sent_at_ms).bind(4, profile_name);
  if (auto ec = s->run()) return ec;
  mark(c, change::windows);  // the send path's window cache (templates/send_checks.hpp)
  return {};
}

core::error_code mark_read(connection& c, std::string_view user_id, std::string_view instance_id, std::string_view peer,
                           std::string& newest_inbound_wamid) {
  std::int64_t newest = 0;
  {
    ENF_PREPARE(s,
                "SELECT MAX(m.seq) FROM messages m WHERE m.instance_id = ?1 AND m.peer = ?2 "
                "AND EXISTS (SELECT 1 FROM instances i WHERE i.id = ?1 AND i.user_id = ?3)");
    s->bind(1, instance_id).bind(2, peer).bind(3, user_id);
    if (auto ec = read_value(*s, newest)) return ec;
  }
  if (newest == 0) return make_error_code(error::not_found);
  newest_inbound_wamid.clear();
  {
    ENF_PREPARE(s,
                "SELECT wamid FROM messages WHERE instance_id = ?1 AND peer = ?2 AND direction = 'inbound' "
                "AND wamid IS NOT NULL ORDER BY seq DESC LIMIT 1");
    s->bind(1, instance_id).bind(2, peer);
    core::error_code ec;
    if (s->step(ec)) newest_inbound_wamid = s->text(0);
    s->reset();
    if (ec) return ec;
  }
  ENF_PREPARE(s,
              "INSERT INTO conversations (instance_id, peer, read_seq) VALUES (?1, ?2, ?3) "
              "ON CONFLICT (instance_id, peer) DO UPDATE SET read_seq = MAX(read_seq, excluded.read_seq)");
  s->bind(1, instance_id).bind(2, peer).bind(3, newest);
  return s->run();
}

}  // namespace enfinito::store::conversations
