// accounts audit_query: the audit routes' query string as a filter (see
// include/enfinito/accounts/audit_query.hpp).
#include <enfinito/accounts/audit_query.hpp>
#include <enfinito/core/ids.hpp>

#include <algorithm>
#include <tuple>
#include <utility>

namespace enfinito::accounts {
namespace {

// A decimal number of at most `digits` digits.
std::optional<std::int64_t> number(const std::string& v, std::size_t digits) {
  if (v.empty() || v.size() > digits || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoll(v);
}

}  // namespace

std::variant<store::audit::filter, query_refusal> read_audit_query(const query_param& param, bool admin) {
  store::audit::filter f;
  if (auto l = param("limit")) {
    auto n = number(*l, 3);
    if (!n || *n < 1 || *n > 200) return query_refusal{"limit", "1 to 200"};
    f.limit = static_cast<std::size_t>(*n);
  }
  if (auto c = param("cursor")) {
    auto n = number(*c, 18);
    if (!n) return query_refusal{"cursor", "not a cursor from this API"};
    f.before_id = *n;
  }
  if (auto a = param("action")) {
    if (a->empty() || a->size() > 64 || !core::url_safe_chars(*a))
      return query_refusal{"action", "an action name such as signin or api_key_created"};
    f.action = *a;
  }
  // Milliseconds in, whole seconds stored: `since` rounds down, `until` up, so that no entry
  // inside the asked window is left out.
  for (auto [name, out, up] : {std::tuple{"since", &f.since, false}, std::tuple{"until", &f.until, true}}) {
    auto v = param(name);
    if (!v) continue;
    auto n = number(*v, 15);
    if (!n || *n < 1) return query_refusal{name, "a time in unix milliseconds"};
    *out = *n / 1000 + (up && *n % 1000 ? 1 : 0);
  }
  if (f.since && f.until && f.until <= f.since) return query_refusal{"until", "must be after since"};
  for (auto [name, out] : {std::pair{"user", &f.user}, std::pair{"actor", &f.actor}, std::pair{"tenant", &f.tenant}}) {
    auto v = param(name);
    if (!v) continue;
    if (!admin) return query_refusal{name, "only administrators filter by user"};
    if (!core::id_like(*v, "usr_")) return query_refusal{name, "a user id (usr_…)"};
    *out = *v;
  }
  return f;
}

}  // namespace enfinito::accounts
