#pragma once
/**
 * @file auth::guard: the pure decisions behind api::authenticate and the sign-in cookies, free
 * of I/O and of HTTP types (the caller passes the header values it read), so unit tests state
 * them directly:
 * - who a credential names: `principal`, what it may reach (`check_access`), and whether a
 *   session row still counts (`session_usable`);
 * - CSRF for cookie-authenticated changes (`check_csrf`, docs/security.md);
 * - what an administrator's enrolment-only session may reach (`enrolment_route`);
 * - the cookies: parsing a `Cookie` header, and the `Set-Cookie` values of the session and of
 *   the Google flow's binding (HttpOnly, SameSite=Lax, `Secure` and a `__Host-` name with TLS).
 */
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::auth {

/** Every API key starts with this; anything else is refused without a lookup. */
inline constexpr std::string_view api_key_prefix = "enf_live_";
/** last_used_at / last_seen_at are written at most this often per key or session: a write per
    request would put the store writer on the hot path for a timestamp. */
inline constexpr std::int64_t touch_every_s = 60;

enum class access { read, write, admin };

/** Who is calling: a user by session cookie or by API key. */
struct principal {
  std::string user_id;  // opaque public id, e.g. "usr_…"
  std::string role;     // "admin" | "user"
  bool via_api_key = false;
  std::string api_key_id;                 // when via_api_key
  bool read_only = false;                 // API key limited to reads
  std::vector<std::string> instance_ids;  // API key limited to these instances; empty = all of the user's
  std::string session_id;                 // when signed in by cookie
  std::int64_t session_created_at = 0;    // unix seconds (recent sign-in checks)
  bool enrolment_only = false;            // an administrator's session without a second factor: may only enrol
  bool may_use_instance(std::string_view instance_id) const;
};

/** Why a principal may not do what it asks: nothing, not an administrator, a read-only key. */
enum class access_refusal { none, admin_only, read_only_key };
access_refusal check_access(const principal& p, access need) noexcept;

/** A session counts while its user is active and neither its absolute nor its idle timeout passed. */
bool session_usable(std::string_view user_status, std::int64_t expires_at, std::int64_t last_seen_at,
                    std::int64_t idle_timeout_s, std::int64_t now) noexcept;

/** The token of an `Authorization` value "Bearer <token>" (either case of the 'b', the token
    trimmed), or nullopt for any other scheme. */
std::optional<std::string> bearer_token(std::string_view authorization);

/** What a cookie-authenticated unsafe request says about where it comes from. */
struct request_origin {
  bool is_post = false;
  bool has_body = false;
  std::optional<std::string_view> content_type;  // the raw header values, when present
  std::optional<std::string_view> origin;
  std::optional<std::string_view> fetch_site;  // Sec-Fetch-Site
};
enum class csrf_verdict { ok, not_json, wrong_origin, cross_site };
/**
 * A cross-site HTML form can only send GET or POST, with a "simple" content type; other methods
 * need a CORS preflight we never grant. So a POST, and any request with a body, must be
 * application/json, and every unsafe request must come from `our_origin`. The one exception is
 * a file upload (multipart/form-data: a file cannot travel as JSON) that the browser itself
 * marks `Sec-Fetch-Site: same-origin`, a header no page can set or forge; the Origin check
 * applies to it as to everything else.
 */
csrf_verdict check_csrf(const request_origin& r, std::string_view our_origin);

/** scheme://host[:port] of an absolute URL (config validates server.public_url). */
std::string public_origin(std::string_view public_url);

/** What an enrolment-only session may reach: who am I (GET), the second factor's routes, sign-out.
    `target` is the request target, query included or not. */
bool enrolment_route(std::string_view target, bool is_get) noexcept;

/** The value of cookie `name` in a `Cookie` header value, if present. */
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

/** The session cookie's name: `__Host-enfinito_session` with TLS, else `enfinito_session`. */
std::string session_cookie_name(bool tls);
/** The Google flow's binding cookie's name: `__Host-enfinito_oauth` with TLS, else `enfinito_oauth`. */
std::string binding_cookie_name(bool tls);
/** A `Set-Cookie` value: `name=value; Path=/; HttpOnly; SameSite=Lax; Max-Age=…` (`; Secure` with TLS);
    an empty value with max_age 0 deletes the cookie. */
std::string set_cookie(std::string_view name, std::string_view value, std::int64_t max_age, bool tls);

}  // namespace enfinito::auth
