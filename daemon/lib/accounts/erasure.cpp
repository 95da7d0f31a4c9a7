// The personal-data export, streamed, and account deletion (see accounts/erasure.hpp).
#include <enfinito/accounts/erasure.hpp>
#include <enfinito/accounts/policy.hpp>
#include <enfinito/accounts/views.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json/serialize.hpp>

#include <memory>
#include <utility>
#include <vector>

namespace enfinito::accounts {
namespace {

constexpr std::size_t export_page_rows = 500;  // rows per store read while streaming the export

std::vector<std::pair<std::string, export_section>>& export_sections() {
  static std::vector<std::pair<std::string, export_section>> sections;
  return sections;
}

std::vector<std::pair<std::string, export_pager>>& export_streams() {
  static std::vector<std::pair<std::string, export_pager>> streams;
  return streams;
}

struct export_state {
  store::store* db = nullptr;
  std::string user_id;
  std::string head;                // `{"profile":…,…` without the closing brace
  std::size_t stream = 0;          // index into streams; streams.size() = done
  bool in_array = false;           // the current stream's `[` was written
  bool first_row = true;
  std::string cursor;
  std::vector<std::pair<std::string, export_pager>> streams;
};

net::awaitable<boost::system::result<bool>> export_next(std::shared_ptr<export_state> st, std::string& chunk) {
  if (!st->head.empty()) {
    chunk = std::move(st->head);
    st->head.clear();
    co_return true;
  }
  if (st->stream == st->streams.size()) {
    chunk = ",\"exported_at\":\"" + iso8601(store::accounts::now_s()) + "\"}";
    co_return false;
  }
  auto& [name, pager] = st->streams[st->stream];
  if (!st->in_array) {
    chunk = ",\"" + name + "\":[";
    st->in_array = true;
    st->first_row = true;
    st->cursor.clear();
  }
  boost::json::array page;
  const std::string* uid = &st->user_id;
  std::string* cursor = &st->cursor;
  export_pager* fn = &pager;
  auto read = [uid, cursor, fn, &page](store::connection& c) { return (*fn)(c, *uid, *cursor, export_page_rows, page); };
  auto ec = co_await st->db->read(read);
  if (ec) co_return boost::system::result<bool>(boost::system::in_place_error, ec);
  for (const auto& row : page) {
    if (!st->first_row) chunk += ',';
    st->first_row = false;
    chunk += boost::json::serialize(row);
  }
  if (st->cursor.empty()) {  // that was the last page
    chunk += ']';
    st->in_array = false;
    ++st->stream;
  }
  co_return true;
}

// The audit log as an export stream: entries about the user, oldest first.
export_pager audit_pager() {
  return [](store::connection& c, const std::string& user_id, std::string& cursor, std::size_t limit,
            boost::json::array& page) -> core::error_code {
    const std::int64_t after = cursor.empty() ? 0 : std::stoll(cursor);
    auto audit = store::accounts::list_audit(c, user_id, after, limit);
    if (!audit) return audit.error();
    for (const auto& a : *audit)
      page.push_back(boost::json::object{{"action", a.action},
                                         {"detail", a.detail},
                                         {"by", actor_label(a.actor_id, user_id)},
                                         {"client_address", a.client_address},
                                         {"at", iso8601(a.created_at)}});
    cursor = audit->size() < limit ? std::string() : std::to_string(audit->back().id);
    return {};
  };
}

// The export's small parts, read at once.
core::error_code read_head(store::connection& c, const std::string& user_id, const std::string& session_id,
                           boost::json::object& out) {
  auto u = store::accounts::find_user_by_id(c, user_id);
  if (!u) return u.error();
  if (!*u) return store::error::not_found;
  out["profile"] = user_json(**u);
  auto keys = store::accounts::list_api_keys(c, user_id);
  if (!keys) return keys.error();
  boost::json::array ka;
  for (const auto& k : *keys) ka.push_back(key_json(k));
  out["api_keys"] = std::move(ka);
  auto sessions = store::accounts::list_sessions(c, user_id);
  if (!sessions) return sessions.error();
  boost::json::array sa;
  for (const auto& x : *sessions) sa.push_back(session_json(x, session_id));
  out["sessions"] = std::move(sa);
  for (auto& [name, fn] : export_sections())
    if (auto e = fn(c, user_id, out)) return e;
  return {};
}

}  // namespace

void add_export_section(std::string name, export_section fn) {
  export_sections().emplace_back(std::move(name), std::move(fn));
}

void add_export_stream(std::string name, export_pager fn) {
  export_streams().emplace_back(std::move(name), std::move(fn));
}

net::awaitable<core::result<export_producer>> start_export(context& ctx, const std::string& user_id,
                                                           const std::string& session_id) {
  boost::json::object out;
  auto work = [&](store::connection& c) { return read_head(c, user_id, session_id, out); };
  auto ec = co_await ctx.db.read(work);
  if (ec) co_return ec;
  auto st = std::make_shared<export_state>();
  st->db = &ctx.db;
  st->user_id = user_id;
  st->head = boost::json::serialize(out);
  st->head.pop_back();  // the closing brace comes after the streamed parts
  st->streams.emplace_back("audit_log", audit_pager());
  for (const auto& x : export_streams()) st->streams.push_back(x);
  co_return export_producer([st](std::string& chunk) { return export_next(st, chunk); });
}

net::awaitable<core::error_code> delete_account(context& ctx, const std::string& user_id, const std::string& address) {
  auto work = [&](store::connection& c) -> core::error_code {
    if (auto e = store::accounts::delete_user(c, user_id)) return e;
    return store::accounts::audit(c, "", "", "account_deleted", "", address);
  };
  auto ec = co_await ctx.db.write(work);
  if (!ec) core::log::info("account_deleted", {{"user_id", user_id}});
  co_return ec;
}

}  // namespace enfinito::accounts
