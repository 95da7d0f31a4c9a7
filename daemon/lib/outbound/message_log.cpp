// outbound::message_json and outbound::retry: the message log as its owner sees it
// (outbound/message_log.hpp).
#include <enfinito/outbound/message_log.hpp>

#include <enfinito/core/clock.hpp>
#include <enfinito/core/json_page.hpp>
#include <enfinito/meta/graph.hpp>
#include <enfinito/meta/message_rules.hpp>
#include <enfinito/outbound/queue.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>

#include <algorithm>

namespace enfinito::outbound {
namespace {

namespace json = boost::json;

template <class T>
json::value or_null(const std::optional<T>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

bool all_digits(std::string_view s, std::size_t max_len) {
  return !s.empty() && s.size() <= max_len &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<core::field_refusal> read_log_filter(const query_fn& query, store::messages::list_filter& f) {
  if (auto l = query("limit")) {
    if (!all_digits(*l, 3) || std::stoul(*l) < 1 || std::stoul(*l) > 100)
      return core::field_refusal{"limit", "1 to 100"};
    f.limit = std::stoul(*l);
  }
  if (auto c = query("cursor")) {
    if (!all_digits(*c, 18)) return core::field_refusal{"cursor", "not a cursor from this API"};
    f.before_seq = std::stoll(*c);
  }
  if (auto d = query("direction")) {
    if (*d != "inbound" && *d != "outbound") return core::field_refusal{"direction", "inbound or outbound"};
    f.direction = *d;
  }
  if (auto st = query("status")) {
    static constexpr std::string_view known[] = {"accepted", "sending", "sent", "delivered", "read", "failed", "dead",
                                                 "received",
                                                 // never reached Meta (issue 21)
                                                 "expired", "cancelled", "skipped_opted_out"};
    if (std::find(std::begin(known), std::end(known), *st) == std::end(known))
      return core::field_refusal{"status",
                                 "one of accepted, sending, sent, delivered, read, failed, dead, received, "
                                 "expired, cancelled, skipped_opted_out"};
    f.status = *st;
  }
  if (auto peer = query("peer")) {
    if (peer->empty() || peer->size() > 64) return core::field_refusal{"peer", "1 to 64 characters"};
    f.peer = meta::recipient_key(*peer);
  }
  for (auto [name, target] : {std::pair{"since", &f.since_ms}, std::pair{"until", &f.until_ms}}) {
    if (auto t = query(name)) {
      if (!all_digits(*t, 15)) return core::field_refusal{std::string(name), "a time in unix milliseconds"};
      *target = std::stoll(*t);
    }
  }
  return std::nullopt;
}

net::awaitable<core::error_code> read_log_page(store::store& db, store::messages::list_filter f,
                                               std::vector<store::messages::message>& rows, bool& more) {
  const std::size_t limit = f.limit;
  f.limit = limit + 1;  // one more tells whether there is a next page
  auto fn = [&](store::connection& c) { return store::messages::list(c, f, rows); };
  auto ec = co_await db.read(fn);
  if (ec) co_return ec;
  more = rows.size() > limit;
  if (more) rows.resize(limit);
  co_return core::error_code{};
}

json::object log_page_json(const std::vector<store::messages::message>& rows, bool more) {
  json::array data;
  for (const auto& m : rows) data.push_back(message_json(m));
  return core::cursor_page(std::move(data), more ? std::optional<std::int64_t>(rows.back().seq) : std::nullopt);
}

json::object message_json(const store::messages::message& m) {
  json::object o;
  o["id"] = m.id;
  o["object"] = "message";
  o["instance_id"] = m.instance_id;
  o["direction"] = m.direction;
  o["peer"] = m.peer;
  o["type"] = m.type;
  o["status"] = m.status;
  o["wamid"] = or_null(m.wamid);
  o["attempts"] = m.attempts;
  if (m.error_code || m.error_title)
    o["error"] = json::object{{"code", or_null(m.error_code)}, {"title", m.error_title.value_or("")}};
  else
    o["error"] = nullptr;
  o["possible_duplicate"] = m.possible_duplicate;
  o["broadcast_id"] = or_null(m.broadcast_id);
  boost::system::error_code ec;
  auto body = json::parse(m.body, ec);
  if (ec)
    o["message"] = nullptr;
  else
    o["message"] = std::move(body);
  o["created_at"] = m.created_at;
  o["updated_at"] = m.updated_at;
  return o;
}

std::vector<std::int64_t> retryable_codes(const std::optional<std::int64_t>& code) {
  std::vector<std::int64_t> out;
  if (!code) return out;
  meta::graph_error e;
  e.envelope = true;
  e.code = *code;
  if (meta::classify(e) == meta::disposition::retryable) out.push_back(*code);
  return out;
}

net::awaitable<retry_result> retry(store::store& db, queue* q, std::string user_id,
                                   const store::messages::message& current) {
  retry_result out;
  const auto retryable = retryable_codes(current.error_code);
  const std::string id = current.id;
  const auto now = core::wall_ms();
  auto fn = [&](store::connection& c) { return store::messages::requeue(c, user_id, id, retryable, now, out.message); };
  out.ec = co_await db.write(fn);
  if (out.ec == store::error::not_found)
    out.what = retry_result::kind::not_found;
  else if (out.ec == store::error::constraint)
    out.what = retry_result::kind::not_retryable;
  else if (!out.ec) {
    out.what = retry_result::kind::queued;
    // The job's seq is below the dispatcher's cursor: ask for a rescan.
    if (q) q->notify(out.message.instance_id);
  }
  co_return out;
}

}  // namespace enfinito::outbound
