#pragma once
/**
 * @file api::rate_guard: the fair-share check every authenticated request passes
 * (limits/limiter.hpp), called by api::authenticate once it knows the principal, so no
 * handler can forget it. Past a bucket the answer is 429 problem+json (`code`
 * `rate_limited`, `limit` naming the bucket: "key" or "tenant") with `Retry-After` and the
 * `RateLimit` / `RateLimit-Policy` fields of draft-ietf-httpapi-ratelimit-headers-10.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/message.hpp>

#include <optional>
#include <string_view>

namespace enfinito::api {

/**
 * Takes the request's tokens for `tenant` (and `key_id`, empty for a session); the 429 to
 * answer when a bucket is empty. No limiter in `s`: always allowed.
 * Thread safety: on the reactor that runs the request.
 */
std::optional<http::response> rate_guard(const http::request& req, services& s, std::string_view tenant,
                                         std::string_view key_id);

/**
 * The refusal of a creation past a tenant's quota: 409 problem+json, `code` `quota_exceeded`,
 * `quota` naming it ("instances", "api_keys", "webhook_endpoints") and `limit` its value.
 */
http::response quota_problem(std::string_view quota, std::int64_t limit);

/** Copies the rate-limit fields (Retry-After, RateLimit, RateLimit-Policy) from `from` to `to`. */
void copy_rate_limit_fields(const http::response& from, http::response& to);

}  // namespace enfinito::api
