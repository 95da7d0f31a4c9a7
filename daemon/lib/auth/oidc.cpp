// auth::oidc: the sans-I/O half of Google Sign-In (URLs, token answers, JWKS, ID token
// verification, the JWKS cache policy). The design is at the top of include/enfinito/auth/oidc.hpp.
#include <enfinito/auth/oidc.hpp>

#include <enfinito/core/secret.hpp>
#include <enfinito/crypto/aead.hpp>
#include <enfinito/crypto/encoding.hpp>
#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/jwt.hpp>
#include <enfinito/crypto/random.hpp>

#include <enfinito/core/net.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace enfinito::auth::oidc {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "enfinito.oidc"; }
  std::string message(int ev) const override { return message(ev, nullptr, 0); }
  const char* message(int ev, char*, std::size_t) const noexcept override {
    switch (static_cast<error>(ev)) {
      case error::malformed_token:
        return "ID token is malformed";
      case error::bad_algorithm:
        return "ID token algorithm is not RS256";
      case error::header_supplied_key:
        return "ID token header carries a key or key location";
      case error::missing_kid:
        return "ID token header has no key id";
      case error::unknown_kid:
        return "ID token key id is not in the provider's key set";
      case error::bad_signature:
        return "ID token signature is invalid";
      case error::bad_issuer:
        return "ID token issuer is not accepted";
      case error::bad_audience:
        return "ID token audience is not this client";
      case error::bad_azp:
        return "ID token authorized party is not this client";
      case error::expired:
        return "ID token has expired";
      case error::issued_in_future:
        return "ID token is issued in the future";
      case error::bad_nonce:
        return "ID token nonce does not match this sign-in";
      case error::missing_subject:
        return "ID token has no usable subject";
      case error::malformed_token_response:
        return "token endpoint answer has no usable id_token";
      case error::malformed_jwks:
        return "provider key set is malformed";
      case error::provider_error:
        return "the identity provider refused the request";
      case error::provider_unreachable:
        return "the identity provider could not be reached";
      case error::bad_endpoint:
        return "identity provider endpoint URL is not allowed";
    }
    return "unknown oidc error";
  }
};

// RFC 3986 unreserved characters pass; everything else is %XX (also right for form bodies).
std::string form_encode(std::string_view in) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::optional<json::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 16;
  auto v = json::parse(text, ec, {}, opts);
  if (ec) return std::nullopt;
  return v;
}

// A base64url segment decoded and parsed as a JSON object.
std::optional<json::object> decode_segment(std::string_view seg) {
  auto bytes = crypto::base64url_decode(seg);
  if (!bytes) return std::nullopt;
  auto v = parse_json(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  if (!v || !v->is_object()) return std::nullopt;
  return std::move(v->as_object());
}

const json::string* string_member(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return nullptr;
  return &it->value().as_string();
}

// A NumericDate (RFC 7519 section 2): integer or number of seconds since the epoch.
std::optional<std::int64_t> numeric_date(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const auto& v = it->value();
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() < (1ull << 62)) return static_cast<std::int64_t>(v.as_uint64());
  if (v.is_double() && std::isfinite(v.as_double()) && std::abs(v.as_double()) < 1e15)
    return static_cast<std::int64_t>(v.as_double());
  return std::nullopt;
}

struct split_token {
  std::string_view header, payload, signature, signing_input;
};

std::optional<split_token> split(std::string_view token) {
  if (token.empty() || token.size() > max_token_bytes) return std::nullopt;
  auto d1 = token.find('.');
  if (d1 == std::string_view::npos) return std::nullopt;
  auto d2 = token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) return std::nullopt;
  split_token s{token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1), token.substr(0, d2)};
  if (s.header.empty() || s.payload.empty()) return std::nullopt;
  return s;
}

core::error_code check_audience(const json::object& claims, const provider_config& p) {
  auto it = claims.find("aud");
  if (it == claims.end()) return error::bad_audience;
  bool ours = false;
  std::size_t count = 0;
  if (it->value().is_string()) {
    ours = it->value().as_string() == p.client_id;
    count = 1;
  } else if (it->value().is_array()) {
    for (const auto& a : it->value().as_array()) {
      if (!a.is_string()) return error::bad_audience;
      ++count;
      if (a.as_string() == p.client_id) ours = true;
    }
  } else {
    return error::bad_audience;
  }
  if (!ours) return error::bad_audience;
  auto azp = claims.find("azp");
  if (azp != claims.end()) {
    if (!azp->value().is_string() || azp->value().as_string() != p.client_id) return error::bad_azp;
  } else if (count > 1) {
    // Several audiences and no azp: we cannot tell the token was issued to us (OIDC Core 3.1.3.7).
    return error::bad_azp;
  }
  return {};
}

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const category c;
  return c;
}

flow_secrets new_flow_secrets() {
  return {crypto::random_token(32), crypto::random_token(32), crypto::random_token(32)};
}

std::string flow_state_hash(std::string_view state) {
  return crypto::hex_encode(crypto::hmac_sha256(state, "enfinito.google.flow.id.v1"));
}

std::string seal_flow(std::string_view state, std::string_view nonce, std::string_view code_verifier) {
  auto key = crypto::hmac_sha256(state, "enfinito.google.flow.key.v1");
  std::string plain = std::string(nonce) + "\n" + std::string(code_verifier);
  auto sealed = crypto::seal(key, "google_flows", plain);
  core::detail::secure_wipe(plain.data(), plain.size());
  core::detail::secure_wipe(key.data(), key.size());
  return sealed;
}

core::result<std::pair<std::string, std::string>> open_flow(std::string_view state, std::string_view sealed) {
  auto key = crypto::hmac_sha256(state, "enfinito.google.flow.key.v1");
  auto plain = crypto::open(key, "google_flows", sealed);
  core::detail::secure_wipe(key.data(), key.size());
  if (!plain) return plain.error();
  const auto& text = plain->reveal();
  auto nl = text.find('\n');
  if (nl == std::string::npos) return crypto::error::decrypt_failed;
  return std::pair{text.substr(0, nl), text.substr(nl + 1)};
}

std::string code_challenge_s256(std::string_view verifier) {
  return crypto::base64url_encode(crypto::sha256(verifier));
}

std::string authorization_url(const provider_config& p, const flow_secrets& s) {
  std::string url = p.authorization_endpoint;
  url += p.authorization_endpoint.find('?') == std::string::npos ? '?' : '&';
  url += "response_type=code";
  url += "&client_id=" + form_encode(p.client_id);
  url += "&redirect_uri=" + form_encode(p.redirect_uri);
  url += "&scope=" + form_encode(scopes);
  url += "&state=" + form_encode(s.state);
  url += "&nonce=" + form_encode(s.nonce);
  url += "&code_challenge=" + form_encode(code_challenge_s256(s.code_verifier));
  url += "&code_challenge_method=S256";
  return url;
}

std::string token_request_body(const provider_config& p, std::string_view code, std::string_view code_verifier,
                               std::string_view client_secret) {
  std::string body = "grant_type=authorization_code";
  body += "&code=" + form_encode(code);
  body += "&redirect_uri=" + form_encode(p.redirect_uri);
  body += "&client_id=" + form_encode(p.client_id);
  body += "&client_secret=" + form_encode(client_secret);
  body += "&code_verifier=" + form_encode(code_verifier);
  return body;
}

core::result<std::string> parse_token_response(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return error::malformed_token_response;
  const auto& o = v->as_object();
  if (o.contains("error")) return error::provider_error;
  const auto* id = string_member(o, "id_token");
  if (!id || id->empty() || id->size() > max_token_bytes) return error::malformed_token_response;
  // Only the id_token leaves this function; `v` (holding access_token and refresh_token) is
  // destroyed on return.
  return std::string(*id);
}

core::result<std::vector<jwk>> parse_jwks(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return error::malformed_jwks;
  auto it = v->as_object().find("keys");
  if (it == v->as_object().end() || !it->value().is_array()) return error::malformed_jwks;
  std::vector<jwk> out;
  for (const auto& k : it->value().as_array()) {
    if (!k.is_object()) continue;
    const auto& o = k.as_object();
    const auto* kty = string_member(o, "kty");
    const auto* kid = string_member(o, "kid");
    const auto* n = string_member(o, "n");
    const auto* e = string_member(o, "e");
    if (!kty || *kty != "RSA" || !kid || kid->empty() || !n || !e) continue;
    if (const auto* use = string_member(o, "use"); use && *use != "sig") continue;
    if (const auto* alg = string_member(o, "alg"); alg && *alg != "RS256") continue;
    if (o.contains("use") && !string_member(o, "use")) continue;
    out.push_back({std::string(*kid), std::string(*n), std::string(*e)});
    if (out.size() >= 32) break;
  }
  return out;
}

core::result<std::string> token_kid(std::string_view id_token) {
  auto s = split(id_token);
  if (!s) return error::malformed_token;
  auto header = decode_segment(s->header);
  if (!header) return error::malformed_token;
  const auto* kid = string_member(*header, "kid");
  if (!kid || kid->empty()) return error::missing_kid;
  return std::string(*kid);
}

core::result<identity> verify_id_token(std::string_view id_token, const std::vector<jwk>& keys,
                                       const verify_context& ctx) {
  const auto& p = ctx.provider;
  // 1. Shape.
  auto s = split(id_token);
  if (!s) return error::malformed_token;
  auto header = decode_segment(s->header);
  auto claims = decode_segment(s->payload);
  auto sig = crypto::base64url_decode(s->signature);
  if (!header || !claims || !sig) return error::malformed_token;

  // 2. Header: RS256 only, and never a key (or a pointer to one) chosen by the token itself.
  const auto* alg = string_member(*header, "alg");
  if (!alg || *alg != "RS256") return error::bad_algorithm;
  for (std::string_view k : {"jwk", "jku", "x5u", "x5c", "crit"})
    if (header->contains(k)) return error::header_supplied_key;
  const auto* kid = string_member(*header, "kid");
  if (!kid || kid->empty()) return error::missing_kid;

  // 3. Key and signature.
  const jwk* key = nullptr;
  for (const auto& k : keys)
    if (k.kid == *kid) key = &k;
  if (!key) return error::unknown_kid;
  std::string_view sig_bytes(reinterpret_cast<const char*>(sig->data()), sig->size());
  if (!crypto::verify_rs256(key->n, key->e, s->signing_input, sig_bytes)) return error::bad_signature;

  // 4. Claims.
  const auto* iss = string_member(*claims, "iss");
  bool issuer_ok = false;
  if (iss)
    for (const auto& accepted : p.issuers)
      if (*iss == accepted) issuer_ok = true;
  if (!issuer_ok) return error::bad_issuer;
  if (auto ec = check_audience(*claims, p)) return ec;

  const auto now = std::chrono::duration_cast<std::chrono::seconds>(ctx.now.time_since_epoch()).count();
  const auto leeway = p.leeway.count();
  auto exp = numeric_date(*claims, "exp");
  if (!exp || now > *exp + leeway) return error::expired;
  auto iat = numeric_date(*claims, "iat");
  if (!iat || *iat > now + leeway) return error::issued_in_future;

  const auto* nonce = string_member(*claims, "nonce");
  if (!nonce || ctx.expected_nonce.empty() ||
      !crypto::constant_time_equal(ctx.expected_nonce, std::string_view(*nonce)))
    return error::bad_nonce;

  const auto* sub = string_member(*claims, "sub");
  if (!sub || sub->empty() || sub->size() > 255) return error::missing_subject;

  // 5. The identity: these four fields and nothing else.
  identity id;
  id.sub = std::string(*sub);
  if (const auto* email = string_member(*claims, "email"); email && email->size() <= 320)
    id.email = std::string(*email);
  if (auto it = claims->find("email_verified"); it != claims->end()) {
    if (it->value().is_bool())
      id.email_verified = it->value().as_bool();
    else if (it->value().is_string())
      id.email_verified = it->value().as_string() == "true";
  }
  if (const auto* name = string_member(*claims, "name"); name && name->size() <= 200) id.name = std::string(*name);
  if (const auto* pic = string_member(*claims, "picture"); pic && pic->size() <= 2048 && pic->starts_with("https://"))
    id.picture = std::string(*pic);
  return id;
}

std::shared_ptr<const std::vector<jwk>> jwks_cache::keys() const {
  std::lock_guard lock(mu_);
  return keys_;
}

bool jwks_cache::has(std::string_view kid) const {
  std::lock_guard lock(mu_);
  if (!keys_) return false;
  for (const auto& k : *keys_)
    if (k.kid == kid) return true;
  return false;
}

bool jwks_cache::begin_fetch(std::string_view kid, clock::time_point now) {
  std::lock_guard lock(mu_);
  bool known = false;
  if (keys_)
    for (const auto& k : *keys_)
      if (k.kid == kid) known = true;
  const bool stale = !fetched_at_ || now - *fetched_at_ >= max_age_;
  if (known && !stale) return false;
  // With keys in hand, at most one fetch per interval; with none yet (startup, or the
  // provider was down), retry sooner, but still not in a tight loop.
  const auto interval = keys_ ? min_interval_ : std::min(min_interval_, std::chrono::seconds(1));
  if (last_attempt_ && now - *last_attempt_ < interval) return false;
  last_attempt_ = now;
  return true;
}

void jwks_cache::update(std::vector<jwk> keys, clock::time_point now) {
  auto fresh = std::make_shared<const std::vector<jwk>>(std::move(keys));
  std::lock_guard lock(mu_);
  keys_ = std::move(fresh);
  fetched_at_ = now;
}

}  // namespace enfinito::auth::oidc
