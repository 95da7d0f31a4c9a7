// store::inbound: inbound messages, status updates (never backwards), pending statuses,
// receipts, their events, and the message-log retention purge.
#include <enfinito/core/json_strict.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/conversations.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/inbound.hpp>
#include <enfinito/store/media.hpp>
#include "store/columns.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

namespace enfinito::store::inbound {
namespace {

core::error_code misuse(core::error_code ec) { return ec ? ec : make_error_code(error::misuse); }

// The statuses messages.status can hold (schema.sql migration 5); others are receipts.
bool column_status(std::string_view s) { return s == "sent" || s == "delivered" || s == "read" || s == "failed"; }

// `o` serialized with one more member whose value is already-serialized JSON (Meta's own
// object, kept byte for byte as parsed; parsing it again only to embed it would be waste).
std::string with_raw(const json::object& o, std::string_view key, std::string_view raw) {
  std::string s = json::serialize(o);
  s.pop_back();  // the closing brace
  if (s.size() > 1) s += ',';
  s += json::serialize(json::string_view(key));
  s += ':';
  s += raw.empty() ? std::string_view("null") : raw;
  s += '}';
  return s;
}

// The sender's WhatsApp profile name from the webhook's contacts[] object, or empty.
std::string profile_name(std::string_view contact) {
  if (contact.empty()) return {};
  boost::system::error_code ec;
  const auto v = json::parse(contact, ec);
  if (ec || !v.is_object()) return {};
  const auto* p = v.as_object().if_contains("profile");
  const auto* n = p && p->is_object() ? p->as_object().if_contains("name") : nullptr;
  if (!n || !n->is_string()) return {};
  return std::string(n->as_string().subview());
}

struct row {
  std::int64_t seq = 0;
  std::string id;
  std::string status;
  std::string direction;
  std::string user_id;
};

// The instance's message with that wamid (and its owner); false when unknown. A tagged status
// (meta::callback_tag_prefix) names the message id: the row is found through the id index and
// must hold that wamid. Otherwise only rows whose wamid is indexed can match (messages_wamid is
// partial: `callback_tagged = 0` in the query lets SQLite use it).
bool find(connection& c, std::string_view instance_id, std::string_view wamid, std::string_view tagged_message, row& r,
          core::error_code& ec) {
  static constexpr column_list cols{"m.seq, m.id, m.status, m.direction, i.user_id"};
  static const std::string from =
      std::string("SELECT ") + cols.sql() + " FROM messages m JOIN instances i ON i.id = m.instance_id ";
  static const std::string by_wamid = from + "WHERE m.instance_id = ?1 AND m.wamid = ?2 AND m.callback_tagged = 0";
  static const std::string by_tag = from + "WHERE m.id = ?3 AND m.instance_id = ?1 AND m.wamid = ?2";
  auto* s = c.prepare(tagged_message.empty() ? by_wamid : by_tag, ec);
  if (!s) {
    ec = misuse(ec);
    return false;
  }
  s->bind(1, instance_id).bind(2, wamid);
  if (!tagged_message.empty()) s->bind(3, tagged_message);
  const bool found = s->step(ec);
  if (found)
    r = {s->int64(cols["seq"]), s->text(cols["id"]), s->text(cols["status"]), s->text(cols["direction"]),
         s->text(cols["user_id"])};
  s->reset();
  return found && !ec;
}

core::error_code emit(connection& c, const owner& o, std::string type, std::string data, outcome& out) {
  events::event e{0, o.user_id, o.instance_id, std::move(type), std::move(data), 0};
  if (auto ec = events::append(c, e)) return ec;
  ++out.events;
  return {};
}

json::object status_event(const owner& o, const row& r, const status& s, std::string_view previous) {
  json::object d;
  d["message_id"] = r.id;
  d["instance_id"] = o.instance_id;
  d["wamid"] = s.wamid;
  d["status"] = s.value;
  if (!previous.empty()) d["previous_status"] = previous;
  d["recipient_id"] = s.recipient;
  d["timestamp"] = s.timestamp;
  if (s.error_code || !s.error_title.empty()) {
    json::object err;
    if (s.error_code)
      err["code"] = *s.error_code;
    else
      err["code"] = nullptr;
    err["title"] = s.error_title;
    d["error"] = std::move(err);
  }
  return d;
}

core::error_code keep(connection& c, std::string_view instance_id, const status& s, std::string_view state,
                      std::int64_t now_ms, bool& inserted) {
  core::error_code ec;
  auto* st = c.prepare(
      "INSERT OR IGNORE INTO pending_statuses(instance_id, wamid, status, state, error_code, "
      "error_title, data, created_at) VALUES(?1, ?2, ?3, ?4, ?5, NULLIF(?6, ''), ?7, ?8)",
      ec);
  if (!st) return misuse(ec);
  st->bind(1, instance_id)
      .bind(2, s.wamid)
      .bind(3, s.value)
      .bind(4, state)
      .bind(5, s.error_code)
      .bind(6, s.error_title)
      .bind(7, s.raw)
      .bind(8, now_ms);
  if (auto rc = st->run()) return rc;
  inserted = c.changes() > 0;
  return {};
}

// Applies `s` to the known outbound row `r` (updating r.status when it changes).
core::error_code apply_known(connection& c, const owner& o, row& r, const status& s, status_order order,
                             std::int64_t now_ms, outcome& out) {
  if (r.direction != "outbound") {  // Meta reports statuses of what we sent only
    ++out.ignored;
    return {};
  }
  if (!column_status(s.value)) {
    // `played` and future statuses: once per (message, status), the row is unchanged.
    bool first = false;
    if (auto ec = keep(c, o.instance_id, s, "seen", now_ms, first)) return ec;
    if (!first) {
      ++out.ignored;
      return {};
    }
    ++out.applied;
    return emit(c, o, s.value == "played" ? "message.played" : "message.status",
                with_raw(status_event(o, r, s, {}), "meta", s.raw), out);
  }
  if (!order(r.status, s.value)) {
    ++out.ignored;
    return {};
  }
  core::error_code ec;
  auto* st = c.prepare(
      "UPDATE messages SET status = ?2, "
      "error_code = CASE WHEN ?2 = 'failed' THEN ?3 ELSE error_code END, "
      "error_title = CASE WHEN ?2 = 'failed' THEN NULLIF(?4, '') ELSE error_title END, "
      "updated_at = ?5 WHERE seq = ?1",
      ec);
  if (!st) return misuse(ec);
  st->bind(1, r.seq).bind(2, s.value).bind(3, s.error_code).bind(4, s.error_title).bind(5, now_ms);
  if (auto rc = st->run()) return rc;
  const std::string previous = std::exchange(r.status, s.value);
  ++out.applied;
  return emit(c, o, "message." + s.value, with_raw(status_event(o, r, s, previous), "meta", s.raw), out);
}

std::string text_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}

// A pending row back into a status (recipient and timestamp come from Meta's object).
status from_pending(std::string wamid, std::string value, std::optional<std::int64_t> code, std::string title,
                    std::string raw) {
  status s;
  s.wamid = std::move(wamid);
  s.value = std::move(value);
  s.error_code = code;
  s.error_title = std::move(title);
  boost::system::error_code ec;
  auto v = json::parse(raw, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.get_object();
    s.recipient = text_of(o, "recipient_id");
    s.timestamp = std::atoll(text_of(o, "timestamp").c_str());
  }
  s.raw = std::move(raw);
  return s;
}

// Applies the pending statuses of the known row `r` (then removes them). Cheap when there is
// none: one primary-key range lookup.
core::error_code drain_pending(connection& c, const owner& o, row& r, std::string_view wamid, status_order order,
                               std::int64_t now_ms, outcome& out) {
  core::error_code ec;
  static constexpr column_list cols{"status, error_code, error_title, data"};
  static const std::string sql = std::string("SELECT ") + cols.sql() +
                                 " FROM pending_statuses WHERE instance_id = ?1 AND wamid = ?2 AND state = 'pending'";
  auto* s = c.prepare(sql, ec);
  if (!s) return misuse(ec);
  s->bind(1, o.instance_id).bind(2, wamid);
  std::vector<status> waiting;
  while (s->step(ec)) {
    std::optional<std::int64_t> code;
    if (!s->is_null(cols["error_code"])) code = s->int64(cols["error_code"]);
    const auto title = s->is_null(cols["error_title"]) ? "" : s->text(cols["error_title"]);
    waiting.push_back(from_pending(std::string(wamid), s->text(cols["status"]), code, title, s->text(cols["data"])));
  }
  s->reset();
  if (ec || waiting.empty()) return ec;
  auto* del = c.prepare("DELETE FROM pending_statuses WHERE instance_id = ?1 AND wamid = ?2 AND state = 'pending'", ec);
  if (!del) return misuse(ec);
  del->bind(1, o.instance_id).bind(2, wamid);
  if (auto rc = del->run()) return rc;
  // Meta's order: repeatedly take the smallest step forward from the current status, so a
  // customer sees sent, delivered, read in that order whatever order Meta posted them.
  for (;;) {
    auto next = waiting.end();
    for (auto it = waiting.begin(); it != waiting.end(); ++it) {
      if (!column_status(it->value) || !order(r.status, it->value)) continue;
      const bool smallest = std::none_of(waiting.begin(), waiting.end(), [&](const status& t) {
        return &t != &*it && column_status(t.value) && order(r.status, t.value) && order(t.value, it->value);
      });
      if (smallest) {
        next = it;
        break;
      }
    }
    if (next == waiting.end()) break;
    if (auto e = apply_known(c, o, r, *next, order, now_ms, out)) return e;
    waiting.erase(next);
  }
  for (const auto& st : waiting)
    if (!column_status(st.value))
      if (auto e = apply_known(c, o, r, st, order, now_ms, out)) return e;
  return {};
}

}  // namespace

core::error_code store_message(connection& c, const owner& o, const message& m, std::int64_t now_ms, outcome& out) {
  if (!core::finite_json_text(m.body)) return make_error_code(error::misuse);  // see events::append
  core::error_code ec;
  auto* s = c.prepare(
      "INSERT OR IGNORE INTO messages(id, instance_id, direction, peer, type, body, status, "
      "wamid, created_at, updated_at) "
      "VALUES(?1, ?2, 'inbound', ?3, ?4, ?5, 'received', NULLIF(?6, ''), ?7, ?7)",
      ec);
  if (!s) return misuse(ec);
  const std::string type = m.type.empty() ? "unknown" : m.type;
  s->bind(1, m.id)
      .bind(2, o.instance_id)
      .bind(3, m.peer)
      .bind(4, type)
      .bind(5, m.body)
      .bind(6, m.wamid)
      .bind(7, now_ms);
  if (auto rc = s->run()) return rc;
  if (c.changes() == 0) {
    ++out.duplicates;
    return {};
  }
  ++out.stored;
  // The conversation's window runs from when the customer wrote (Meta's time, not our receipt:
  // a webhook Meta retried arrives late), and its profile name is the contact's (migration 13).
  const std::int64_t sent_at = m.timestamp > 0 ? m.timestamp * 1000 : now_ms;
  if (auto e =
          conversations::note_inbound(c, o.instance_id, m.peer, std::min(sent_at, now_ms), profile_name(m.contact)))
    return e;
  // The instance may keep its inbound media (migration 8): the fetch job commits with the message.
  if (auto e = media::enqueue_inbound(c, o.instance_id, m.id, type, m.body, now_ms)) return e;
  json::object d;
  d["message_id"] = m.id;
  d["instance_id"] = o.instance_id;
  d["wamid"] = m.wamid;
  d["from"] = m.peer;
  d["type"] = type;
  d["timestamp"] = m.timestamp;
  std::string data = with_raw(d, "contact", m.contact);
  data.pop_back();
  data += ",\"message\":";
  data += m.body.empty() ? std::string_view("null") : std::string_view(m.body);
  data += '}';
  return emit(c, o, "message.received", std::move(data), out);
}

core::error_code apply_status(connection& c, const owner& o, const status& s, status_order order, std::int64_t now_ms,
                              outcome& out) {
  if (s.wamid.empty() || s.value.empty()) {
    ++out.ignored;
    return {};
  }
  core::error_code ec;
  row r;
  if (find(c, o.instance_id, s.wamid, s.tagged_message, r, ec)) {
    // Statuses that arrived before the wamid was recorded come first, should the send path
    // not have applied them yet; then this one.
    if (auto e = drain_pending(c, o, r, s.wamid, order, now_ms, out)) return e;
    return apply_known(c, o, r, s, order, now_ms, out);
  }
  if (ec) return ec;
  // Not known yet: the send queue may not have committed this wamid. Keep it for apply_pending.
  bool inserted = false;
  if (auto e = keep(c, o.instance_id, s, "pending", now_ms, inserted)) return e;
  if (inserted)
    ++out.pending;
  else
    ++out.ignored;
  return {};
}

core::error_code apply_pending(connection& c, std::string_view instance_id, std::string_view wamid,
                               std::string_view tagged_message, status_order order, std::int64_t now_ms,
                               std::size_t* applied) {
  core::error_code ec;
  {
    // The send queue calls this for every message Meta accepted; almost always nothing waits.
    auto* probe = c.prepare(
        "SELECT 1 FROM pending_statuses WHERE instance_id = ?1 AND wamid = ?2 "
        "AND state = 'pending' LIMIT 1",
        ec);
    if (!probe) return misuse(ec);
    probe->bind(1, instance_id).bind(2, wamid);
    const bool waiting = probe->step(ec);
    probe->reset();
    if (ec || !waiting) return ec;
  }
  row r;
  if (!find(c, instance_id, wamid, tagged_message, r, ec)) return ec;  // still unknown: keep waiting
  const owner o{std::string(instance_id), r.user_id};
  outcome out;
  if (auto e = drain_pending(c, o, r, wamid, order, now_ms, out)) return e;
  if (applied) *applied = out.applied;
  return {};
}

core::error_code append_event(connection& c, const owner& o, std::string type, std::string data, outcome& out) {
  return emit(c, o, std::move(type), std::move(data), out);
}

core::error_code append_event_once(connection& c, const owner& o, std::string_view digest, std::string type,
                                   std::string data, std::int64_t now_ms, outcome& out) {
  core::error_code ec;
  auto* s = c.prepare("INSERT OR IGNORE INTO update_receipts(instance_id, digest, created_at) VALUES(?1, ?2, ?3)", ec);
  if (!s) return misuse(ec);
  s->bind(1, o.instance_id).bind(2, digest).bind(3, now_ms);
  if (auto rc = s->run()) return rc;
  if (c.changes() == 0) {
    ++out.ignored;
    return {};
  }
  return emit(c, o, std::move(type), std::move(data), out);
}

core::error_code purge_receipts(connection& c, std::int64_t before_ms, std::size_t limit, std::size_t& deleted) {
  core::error_code ec;
  auto* s = c.prepare(
      "DELETE FROM update_receipts WHERE rowid IN (SELECT rowid FROM update_receipts "
      "WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
      ec);
  if (!s) return misuse(ec);
  s->bind(1, before_ms).bind(2, static_cast<std::int64_t>(limit));
  if (auto rc = s->run()) return rc;
  deleted = static_cast<std::size_t>(c.changes());
  return {};
}

core::error_code purge_messages(connection& c, std::int64_t before_ms, std::size_t limit, std::size_t& deleted) {
  core::error_code ec;
  // Oldest first through messages_age; a message still queued for sending is not history yet.
  auto* s = c.prepare(
      "DELETE FROM messages WHERE seq IN (SELECT m.seq FROM messages m "
      "WHERE m.created_at < ?1 AND NOT EXISTS (SELECT 1 FROM send_jobs j WHERE j.message_seq = m.seq) "
      "ORDER BY m.created_at LIMIT ?2)",
      ec);
  if (!s) return misuse(ec);
  s->bind(1, before_ms).bind(2, static_cast<std::int64_t>(limit));
  if (auto rc = s->run()) return rc;
  deleted = static_cast<std::size_t>(c.changes());
  auto* r = c.prepare(
      "DELETE FROM pending_statuses WHERE rowid IN (SELECT rowid FROM pending_statuses "
      "WHERE state = 'seen' AND created_at < ?1 ORDER BY created_at LIMIT ?2)",
      ec);
  if (!r) return misuse(ec);
  r->bind(1, before_ms).bind(2, static_cast<std::int64_t>(limit));
  return r->run();
}

core::error_code purge_pending(connection& c, std::int64_t before_ms, std::size_t limit, std::size_t& deleted) {
  core::error_code ec;
  auto* s = c.prepare(
      "DELETE FROM pending_statuses WHERE rowid IN (SELECT rowid FROM pending_statuses "
      "WHERE state = 'pending' AND created_at < ?1 ORDER BY created_at LIMIT ?2)",
      ec);
  if (!s) return misuse(ec);
  s->bind(1, before_ms).bind(2, static_cast<std::int64_t>(limit));
  if (auto rc = s->run()) return rc;
  deleted = static_cast<std::size_t>(c.changes());
  return {};
}

}  // namespace enfinito::store::inbound
