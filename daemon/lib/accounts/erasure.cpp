// The personal-data export, streamed, and account deletion (see accounts/erasure.hpp).
#include <enfinito/accounts/erasure.hpp>
#include <enfinito/accounts/policy.hpp>
#include <enfinito/accounts/views.hpp>
#include <enfinito/auth/runtime.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/mail/outbox.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/data_links.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/notices.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

namespace enfinito::accounts {
namespace {

constexpr std::size_t export_page_rows = 500;       // rows per store read while streaming the export
constexpr std::size_t export_notices_max = 10'000;  // policy notices: a handful a year

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
  std::string head;        // `{"profile":…,…` without the closing brace
  std::size_t stream = 0;  // index into streams; streams.size() = done
  bool in_array = false;   // the current stream's `[` was written
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
  auto read = [uid, cursor, fn, &page](store::connection& c) {
    return (*fn)(c, *uid, *cursor, export_page_rows, page);
  };
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
  // The policy notices mailed to the user (enfinitoctl notify-users): which and when. The
  // subject and body are not kept once the mail is sent; the id is their hash.
  auto notices = store::notices::for_user(c, user_id, export_notices_max);
  if (!notices) return notices.error();
  boost::json::array na;
  for (const auto& n : *notices)
    na.push_back(boost::json::object{{"notice_id", n.notice_id}, {"queued_at", iso8601(n.queued_at)}});
  out["policy_notices"] = std::move(na);
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
                                                           const std::string& session_id, boost::json::object extra) {
  boost::json::object out = std::move(extra);
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

core::error_code erase_user(store::connection& c, std::string_view user_id, std::string_view actor_id,
                            std::string_view detail, std::string_view address) {
  // ON DELETE CASCADE takes sessions, keys, links, queued mail, audit entries about the user
  // and whatever hangs off users(id); the entry below names no one but the actor.
  if (auto e = store::accounts::delete_user(c, user_id)) return e;
  return store::accounts::audit(c, "", actor_id, "account_deleted", detail, address);
}

net::awaitable<core::error_code> delete_account(context& ctx, const std::string& user_id, const std::string& address) {
  auto work = [&](store::connection& c) { return erase_user(c, user_id, "", "", address); };
  auto ec = co_await ctx.db.write(work);
  if (!ec) core::log::info("accounts.deleted", {{"user_id", user_id}});
  co_return ec;
}

net::awaitable<core::error_code> delete_by_admin(context& ctx, const std::string& user_id, const std::string& actor_id,
                                                 const std::string& address) {
  auto work = [&](store::connection& c) { return erase_user(c, user_id, actor_id, "by=administrator", address); };
  auto ec = co_await ctx.db.write(work);
  if (!ec) core::log::info("accounts.deleted", {{"user_id", user_id}, {"by", actor_id}});
  co_return ec;
}

std::string_view action_name(data_action a) noexcept { return a == data_action::export_data ? "export" : "delete"; }

std::optional<data_action> parse_action(std::string_view name) noexcept {
  if (name == "export") return data_action::export_data;
  if (name == "delete") return data_action::delete_account;
  return std::nullopt;
}

namespace {

// Per auth.signin_window_s: links mailed to one address, and requests from one client address.
constexpr unsigned data_links_per_email = 5;
constexpr unsigned data_link_requests_per_address = 30;

mail::message data_link_mail(const store::accounts::user& u, std::string_view token, data_action action,
                             const config::settings& cfg) {
  const auto minutes = std::max<std::int64_t>(1, cfg.auth.reset_token_ttl_s / 60);
  const bool exporting = action == data_action::export_data;
  const std::string link = cfg.server.public_url + "/data-rights#action=" + std::string(action_name(action)) +
                           "&token=" + std::string(token);
  return {u.id, u.email, exporting ? "Your Enfinito data: export link" : "Your Enfinito data: deletion link",
          std::string("Hello,\n\nsomeone asked ") +
              (exporting ? "for a copy of the data of your Enfinito account"
                         : "to delete your Enfinito account and all its data") +
              ". This link works once, within " + std::to_string(minutes) + " minutes:\n\n" + link +
              "\n\nIf you did not ask for this, ignore this mail; nothing happens without the link.\n"};
}

}  // namespace

net::awaitable<data_link_request> request_data_link(context& ctx, const std::string& email, data_action action,
                                                    const std::string& address) {
  data_link_request out;
  // Per email too, so that nobody mails an inbox full of links from many addresses.
  auto wait = ctx.auth.throttle().hit("data_link:" + address, data_link_requests_per_address);
  if (!wait) wait = ctx.auth.throttle().hit("data_link_email:" + email, data_links_per_email);
  if (wait) {
    out.throttled = true;
    out.wait = *wait;
    co_return out;
  }
  const auto token = crypto::random_token(32);
  const auto hash = crypto::sha256_hex(token);
  const auto vault = ctx.vault.current();  // seals the mail: the token is never on disk in the clear
  const auto now = store::accounts::now_s();
  const auto expires = now + ctx.cfg.auth.reset_token_ttl_s;
  const std::string detail = "action=" + std::string(action_name(action));
  // One write either way, so that a known and an unknown address take about the same time.
  auto work = [&](store::connection& c) -> core::error_code {
    auto u = store::accounts::find_user_by_email(c, email);
    if (!u) return u.error();
    if (!*u) return store::accounts::audit(c, "", "", "data_link_requested", detail, address);
    if (auto e = store::data_links::insert(c, hash, (*u)->id, action_name(action), expires, now)) return e;
    if (auto e = mail::enqueue(c, data_link_mail(**u, token, action, ctx.cfg), *vault)) return e;
    return store::accounts::audit(c, (*u)->id, "", "data_link_requested", detail, address);
  };
  out.ec = co_await ctx.db.write(work);
  co_return out;
}

net::awaitable<core::result<std::optional<std::string>>> redeem_data_link(context& ctx, const std::string& token,
                                                                          data_action action,
                                                                          const std::string& address) {
  std::optional<std::string> user_id;
  const auto hash = crypto::sha256_hex(token);
  const auto now = store::accounts::now_s();
  const std::string detail = "action=" + std::string(action_name(action));
  auto work = [&](store::connection& c) -> core::error_code {
    auto r = store::data_links::take(c, hash, action_name(action), now);
    if (!r) return r.error();
    user_id = std::move(*r);
    if (!user_id) return {};
    return store::accounts::audit(c, *user_id, *user_id, "data_link_used", detail, address);
  };
  auto ec = co_await ctx.db.write(work);
  if (ec) co_return ec;
  co_return user_id;
}

}  // namespace enfinito::accounts
