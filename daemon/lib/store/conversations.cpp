// store::conversations: the SQL of the web app's conversations (schema.sql migration 13). The
// list takes each peer's newest message from the messages_peer index (instance_id, peer, seq)
// and joins the `conversations` row (profile name, window, read mark) for the page only.
#include <enfinito/store/conversations.hpp>
#include <enfinito/store/error.hpp>
#include "store/prepare.hpp"

#include <limits>

namespace enfinito::store::conversations {
namespace {

// The columns `read_row` reads: the newest message `m`, its conversations row `c` (may be
// NULL) and the unread count. ?1 is the instance id in every statement that uses them.
constexpr const char* cols =
    "m.seq, m.id, m.peer, m.direction, m.type, m.status, m.body, m.created_at, c.profile_name, "
    "c.last_inbound_at, (SELECT COUNT(*) FROM messages u WHERE u.instance_id = ?1 AND u.peer = m.peer "
    "AND u.seq > COALESCE(c.read_seq, 0) AND u.direction = 'inbound')";

conversation read_row(statement& s) {
  conversation v;
  v.last_seq = s.int64(0);
  v.last_id = s.text(1);
  v.peer = s.text(2);
  v.last_direction = s.text(3);
  v.last_type = s.text(4);
  v.last_status = s.text(5);
  v.last_body = s.text(6);
  v.last_created_at = s.int64(7);
  if (!s.is_null(8)) v.profile_name = s.text(8);
  if (!s.is_null(9)) v.last_inbound_at = s.int64(9);
  v.unread_inbound = s.int64(10);
  return v;
}

}  // namespace

core::error_code list(connection& c, std::string_view user_id, std::string_view instance_id,
                      std::int64_t before_seq, std::size_t limit, std::vector<conversation>& out) {
  // The inner query picks the page (each peer's newest seq, a walk of the instance's
  // messages_peer entries that reads no table row); only the page's rows are then read and
  // counted. The LIMIT inside keeps SQLite from computing the unread counts of every peer.
  ENF_PREPARE(s, std::string("SELECT ") + cols +
                     " FROM (SELECT MAX(seq) AS last FROM messages WHERE instance_id = ?1 GROUP BY peer "
                     "HAVING MAX(seq) < ?2 ORDER BY 1 DESC LIMIT ?3) t "
                     "JOIN messages m ON m.seq = t.last "
                     "LEFT JOIN conversations c ON c.instance_id = ?1 AND c.peer = m.peer "
                     "WHERE EXISTS (SELECT 1 FROM instances i WHERE i.id = ?1 AND i.user_id = ?4) "
                     "ORDER BY m.seq DESC");
  s->bind(1, instance_id).bind(2, before_seq > 0 ? before_seq : std::numeric_limits<std::int64_t>::max());
  s->bind(3, static_cast<std::int64_t>(limit)).bind(4, user_id);
  core::error_code ec;
  while (s->step(ec)) out.push_back(read_row(*s));
  s->reset();
  return ec;
}

core::error_code get(connection& c, std::string_view user_id, std::string_view instance_id,
                     std::string_view peer, conversation& out) {
  ENF_PREPARE(s, std::string("SELECT ") + cols +
                     " FROM messages m LEFT JOIN conversations c ON c.instance_id = ?1 AND c.peer = m.peer "
                     "WHERE m.seq = (SELECT MAX(seq) FROM messages WHERE instance_id = ?1 AND peer = ?2) "
                     "AND EXISTS (SELECT 1 FROM instances i WHERE i.id = ?1 AND i.user_id = ?3)");
  s->bind(1, instance_id).bind(2, peer).bind(3, user_id);
  core::error_code ec;
  const bool row = s->step(ec);
  if (row) out = read_row(*s);
  s->reset();
  if (ec) return ec;
  return row ? core::error_code{} : make_error_code(error::not_found);
}

core::error_code note_inbound(connection& c, std::string_view instance_id, std::string_view peer,
                              std::int64_t sent_at_ms, std::string_view profile_name) {
  // Webhooks arrive out of order: the window follows the newest message, not the last POST.
  ENF_PREPARE(s, "INSERT INTO conversations (instance_id, peer, profile_name, last_inbound_at) "
                 "VALUES (?1, ?2, NULLIF(?4, ''), ?3) ON CONFLICT (instance_id, peer) DO UPDATE SET "
                 "last_inbound_at = MAX(COALESCE(last_inbound_at, 0), excluded.last_inbound_at), "
                 "profile_name = COALESCE(excluded.profile_name, profile_name)");
  s->bind(1, instance_id).bind(2, peer).bind(3, sent_at_ms).bind(4, profile_name);
  return s->run();
}

core::error_code mark_read(connection& c, std::string_view user_id, std::string_view instance_id,
                           std::string_view peer, std::string& newest_inbound_wamid) {
  std::int64_t newest = 0;
  {
    ENF_PREPARE(s, "SELECT MAX(m.seq) FROM messages m WHERE m.instance_id = ?1 AND m.peer = ?2 "
                   "AND EXISTS (SELECT 1 FROM instances i WHERE i.id = ?1 AND i.user_id = ?3)");
    s->bind(1, instance_id).bind(2, peer).bind(3, user_id);
    core::error_code ec;
    if (s->step(ec) && !s->is_null(0)) newest = s->int64(0);
    s->reset();
    if (ec) return ec;
  }
  if (newest == 0) return make_error_code(error::not_found);
  newest_inbound_wamid.clear();
  {
    ENF_PREPARE(s, "SELECT wamid FROM messages WHERE instance_id = ?1 AND peer = ?2 AND direction = 'inbound' "
                   "AND wamid IS NOT NULL ORDER BY seq DESC LIMIT 1");
    s->bind(1, instance_id).bind(2, peer);
    core::error_code ec;
    if (s->step(ec)) newest_inbound_wamid = s->text(0);
    s->reset();
    if (ec) return ec;
  }
  ENF_PREPARE(s, "INSERT INTO conversations (instance_id, peer, read_seq) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT (instance_id, peer) DO UPDATE SET read_seq = MAX(read_seq, excluded.read_seq)");
  s->bind(1, instance_id).bind(2, peer).bind(3, newest);
  return s->run();
}

}  // namespace enfinito::store::conversations
