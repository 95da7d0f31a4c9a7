// api::rate_guard: the limiter's decision as an HTTP answer (429 with the draft's fields).
#include <enfinito/api/rate_guard.hpp>
#include <enfinito/core/clock.hpp>
#include <enfinito/limits/limiter.hpp>

#include <boost/json.hpp>

namespace enfinito::api {

std::optional<http::response> rate_guard(const http::request& req, services& s, std::string_view tenant,
                                         std::string_view key_id) {
  if (!s.limiter) return std::nullopt;
  const auto d = s.limiter->admit(req.reactor, tenant, key_id, core::steady_ms() * 1'000'000);
  if (d.allowed) return std::nullopt;
  const bool by_key = d.refused_by == limits::scope::key;
  const auto& r = by_key ? d.key_rate : d.tenant_rate;
  const std::string detail = std::string(by_key ? "this API key" : "this account") + " may make " +
                             std::to_string(r.per_s) + " requests per second (bursts of " + std::to_string(r.burst) +
                             "); retry after the Retry-After delay";
  // http::problem's shape plus `limit`, the bucket that refused (as a quota refusal names its
  // quota); built in one go, since a hammering client gets this answer many times a second.
  boost::json::object o{{"type", "urn:enfinito:problem:rate_limited"},
                        {"title", "Too many requests"},
                        {"status", 429},
                        {"code", "rate_limited"},
                        {"detail", detail},
                        {"limit", by_key ? "key" : "tenant"}};
  auto res = http::json_response(http::status::too_many_requests, boost::json::serialize(o));
  res.set(http::bhttp::field::content_type, "application/problem+json");
  res.set(http::bhttp::field::retry_after, std::to_string(limits::retry_after_s(d)));
  res.set("RateLimit-Policy", limits::policy_header(d));
  res.set("RateLimit", limits::ratelimit_header(d));
  res.prepare_payload();
  return res;
}

http::response quota_problem(std::string_view quota, std::int64_t limit) {
  boost::json::object o{{"type", "urn:enfinito:problem:quota_exceeded"},
                        {"title", "Quota reached"},
                        {"status", 409},
                        {"code", "quota_exceeded"},
                        {"detail", "this account may have at most " + std::to_string(limit) + " " + std::string(quota) +
                                       "; delete one first or ask an administrator"},
                        {"quota", quota},
                        {"limit", limit}};
  auto res = http::json_response(http::status::conflict, boost::json::serialize(o));
  res.set(http::bhttp::field::content_type, "application/problem+json");
  return res;
}

void copy_rate_limit_fields(const http::response& from, http::response& to) {
  for (std::string_view name : {"Retry-After", "RateLimit", "RateLimit-Policy"})
    if (auto it = from.find(name); it != from.end()) to.set(name, it->value());
}

}  // namespace enfinito::api
