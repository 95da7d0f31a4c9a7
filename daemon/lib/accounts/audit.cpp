// The administrators' reads: the audit log by pages, the users by status (see
// accounts/audit.hpp).
#include <enfinito/accounts/audit.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json/array.hpp>

namespace enfinito::accounts {

net::awaitable<core::result<audit_page>> read_audit(context& ctx, const store::audit::filter& want) {
  // One entry past the limit tells whether an older page follows.
  const std::size_t limit = want.limit;
  store::audit::filter filter = want;
  filter.limit = limit + 1;
  audit_page page;
  auto work = [&](store::connection& c) -> core::error_code {
    auto r = store::audit::newest(c, filter);
    if (!r) return r.error();
    page.entries = std::move(*r);
    return {};
  };
  auto ec = co_await ctx.db.read(work);
  if (ec) co_return ec;
  page.more = page.entries.size() > limit;
  if (page.more) page.entries.resize(limit);
  co_return page;
}

boost::json::object audit_entry_json(const store::accounts::audit_entry& a) {
  auto opt = [](const std::string& v) { return v.empty() ? boost::json::value(nullptr) : boost::json::value(v); };
  return boost::json::object{{"id", a.id},
                             {"at", a.created_at * 1000},
                             {"actor_user_id", opt(a.actor_id)},
                             {"subject_user_id", opt(a.subject_id)},
                             {"action", a.action},
                             {"client_ip", opt(a.client_address)},
                             {"detail", audit_detail(a.detail)}};
}

boost::json::object audit_page_json(const audit_page& page) {
  boost::json::array data;
  for (const auto& a : page.entries) data.push_back(audit_entry_json(a));
  boost::json::object out{{"data", std::move(data)}};
  if (page.more)
    out["next_cursor"] = std::to_string(page.entries.back().id);
  else
    out["next_cursor"] = nullptr;
  return out;
}

boost::json::object audit_detail(std::string_view detail) {
  boost::json::object o;
  while (!detail.empty()) {
    const auto sp = detail.find(' ');
    const auto part = detail.substr(0, sp);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) return {{"text", detail}};
    o[part.substr(0, eq)] = part.substr(eq + 1);
    detail = sp == std::string_view::npos ? std::string_view() : detail.substr(sp + 1);
  }
  return o;
}

bool is_status(std::string_view status) noexcept {
  return status == "pending" || status == "active" || status == "rejected" || status == "suspended";
}

net::awaitable<core::result<std::vector<store::accounts::user>>> list_users(context& ctx, const std::string& status) {
  std::vector<store::accounts::user> users;
  auto work = [&](store::connection& c) -> core::error_code {
    auto r = store::accounts::list_users(c, status, 1000);
    if (!r) return r.error();
    users = std::move(*r);
    return {};
  };
  auto ec = co_await ctx.db.read(work);
  if (ec) co_return ec;
  co_return users;
}

}  // namespace enfinito::accounts
