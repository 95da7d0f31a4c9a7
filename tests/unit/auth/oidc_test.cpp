// auth::oidc: authorization URL, token answers, JWKS parsing, every ID token refusal, the
// JWKS cache policy; crypto::verify_rs256 edge cases.
#include "support/jwt_signer.hpp"

#include <enfinito/auth/oidc.hpp>
#include <enfinito/crypto/encoding.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/jwt.hpp>

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace oidc = enfinito::auth::oidc;
namespace json = boost::json;
using enfinito::test::rsa_signer;
using namespace std::chrono_literals;

namespace {

// Key generation is slow-ish: one pair of keys for the whole suite.
const rsa_signer& key_a() {
  static rsa_signer k("key-a");
  return k;
}
const rsa_signer& key_b() {
  static rsa_signer k("key-b");
  return k;
}

constexpr std::int64_t now_s = 1'800'000'000;

struct fixture {
  oidc::provider_config provider{"client-123.apps.example",
                                 "https://accounts.example/o/oauth2/v2/auth",
                                 "https://oauth2.example/token",
                                 "https://www.example/oauth2/v3/certs",
                                 {"accounts.google.com", "https://accounts.google.com"},
                                 "https://gw.example/v1/auth/google/callback",
                                 60s};
  std::string nonce = "n-0S6_WzA2Mj";
  std::vector<oidc::jwk> keys{{"key-a", key_a().n(), key_a().e()}};

  json::object claims() const {
    return {{"iss", "https://accounts.google.com"},
            {"aud", provider.client_id},
            {"azp", provider.client_id},
            {"sub", "110169484474386276334"},
            {"email", "ada@example.com"},
            {"email_verified", true},
            {"name", "Ada Lovelace"},
            {"picture", "https://lh3.example/a.jpg"},
            {"given_name", "Ada"},
            {"locale", "en"},
            {"iat", now_s - 10},
            {"exp", now_s + 3600},
            {"nonce", nonce}};
  }
  enfinito::core::result<oidc::identity> verify(const std::string& token) const {
    return oidc::verify_id_token(token, keys,
                                 {provider, nonce, std::chrono::system_clock::time_point(std::chrono::seconds(now_s))});
  }
  void expect(const std::string& token, oidc::error e) const {
    auto r = verify(token);
    BOOST_TEST_REQUIRE(r.has_error());
    BOOST_TEST(r.error() == oidc::make_error_code(e), r.error().message());
  }
};

std::string query_value(const std::string& url, const std::string& key) {
  auto q = url.find('?');
  std::string rest = url.substr(q + 1);
  std::size_t pos = 0;
  while (pos <= rest.size()) {
    auto amp = rest.find('&', pos);
    auto part = rest.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    auto eq = part.find('=');
    if (part.substr(0, eq) == key) return part.substr(eq + 1);
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return "<absent>";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_oidc)

BOOST_FIXTURE_TEST_CASE(authorization_url_asks_exactly_openid_email_profile_with_pkce, fixture) {
  auto s = oidc::new_flow_secrets();
  BOOST_TEST(s.state.size() == 43u);
  BOOST_TEST(s.nonce.size() == 43u);
  BOOST_TEST(s.code_verifier.size() == 43u);
  BOOST_TEST(s.state != s.nonce);
  auto url = oidc::authorization_url(provider, s);
  BOOST_TEST(url.rfind(provider.authorization_endpoint + "?", 0) == 0u);
  BOOST_TEST(query_value(url, "response_type") == "code");
  BOOST_TEST(query_value(url, "scope") == "openid%20email%20profile");
  BOOST_TEST(query_value(url, "client_id") == "client-123.apps.example");
  BOOST_TEST(query_value(url, "redirect_uri") == "https%3A%2F%2Fgw.example%2Fv1%2Fauth%2Fgoogle%2Fcallback");
  BOOST_TEST(query_value(url, "state") == s.state);
  BOOST_TEST(query_value(url, "nonce") == s.nonce);
  BOOST_TEST(query_value(url, "code_challenge_method") == "S256");
  BOOST_TEST(query_value(url, "code_challenge") == oidc::code_challenge_s256(s.code_verifier));
  // The verifier itself never goes to the browser.
  BOOST_TEST(url.find(s.code_verifier) == std::string::npos);
  BOOST_TEST(query_value(url, "access_type") == "<absent>");  // no offline access / refresh token
}

BOOST_AUTO_TEST_CASE(pkce_s256_matches_rfc7636_appendix_b) {
  BOOST_TEST(oidc::code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
             "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

BOOST_FIXTURE_TEST_CASE(token_request_body_is_form_encoded, fixture) {
  auto body = oidc::token_request_body(provider, "4/a b&c", "verif", "s3cr&t");
  BOOST_TEST(body.find("grant_type=authorization_code") != std::string::npos);
  BOOST_TEST(body.find("code=4%2Fa%20b%26c") != std::string::npos);
  BOOST_TEST(body.find("client_secret=s3cr%26t") != std::string::npos);
  BOOST_TEST(body.find("code_verifier=verif") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(token_response_keeps_only_the_id_token) {
  auto r = oidc::parse_token_response(
      R"({"access_token":"ya29.CANARY","refresh_token":"1//CANARY","id_token":"a.b.c","expires_in":3599})");
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(*r == "a.b.c");
  BOOST_TEST(oidc::parse_token_response(R"({"access_token":"x"})").error() ==
             oidc::make_error_code(oidc::error::malformed_token_response));
  BOOST_TEST(oidc::parse_token_response(R"({"error":"invalid_grant"})").error() ==
             oidc::make_error_code(oidc::error::provider_error));
  BOOST_TEST(oidc::parse_token_response("not json").has_error());
  BOOST_TEST(oidc::parse_token_response(R"({"id_token":7})").has_error());
}

BOOST_AUTO_TEST_CASE(jwks_keeps_rsa_signature_keys_only) {
  auto doc = R"({"keys":[
    {"kty":"RSA","kid":"a","use":"sig","alg":"RS256","n":"AQAB","e":"AQAB"},
    {"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"},
    {"kty":"RSA","kid":"ps","alg":"PS256","n":"AQAB","e":"AQAB"},
    {"kty":"EC","kid":"ec","crv":"P-256","x":"AA","y":"AA"},
    {"kty":"RSA","n":"AQAB","e":"AQAB"},
    {"kty":"RSA","kid":"b","n":"AQAB","e":"AQAB"}]})";
  auto r = oidc::parse_jwks(doc);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST_REQUIRE(r->size() == 2u);
  BOOST_TEST((*r)[0].kid == "a");
  BOOST_TEST((*r)[1].kid == "b");
  BOOST_TEST(oidc::parse_jwks(R"({"nokeys":[]})").has_error());
  BOOST_TEST(oidc::parse_jwks("[").has_error());
}

BOOST_FIXTURE_TEST_CASE(valid_token_gives_the_identity, fixture) {
  auto r = verify(key_a().token(claims()));
  BOOST_TEST_REQUIRE(r.has_value(), r.error().message());
  BOOST_TEST(r->sub == "110169484474386276334");
  BOOST_TEST(r->email == "ada@example.com");
  BOOST_TEST(r->email_verified);
  BOOST_TEST(r->name == "Ada Lovelace");
  BOOST_TEST(r->picture == "https://lh3.example/a.jpg");
  // The other issuer spelling Google uses.
  auto c = claims();
  c["iss"] = "accounts.google.com";
  BOOST_TEST(verify(key_a().token(c)).has_value());
  // aud as an array holding only us, azp absent.
  c = claims();
  c["aud"] = json::array{provider.client_id};
  c.erase("azp");
  BOOST_TEST(verify(key_a().token(c)).has_value());
}

BOOST_FIXTURE_TEST_CASE(refuses_wrong_audience_and_azp, fixture) {
  auto c = claims();
  c["aud"] = "someone-else.apps.example";
  expect(key_a().token(c), oidc::error::bad_audience);
  c = claims();
  c.erase("aud");
  expect(key_a().token(c), oidc::error::bad_audience);
  c = claims();
  c["aud"] = 42;
  expect(key_a().token(c), oidc::error::bad_audience);
  c = claims();
  c["azp"] = "someone-else.apps.example";
  expect(key_a().token(c), oidc::error::bad_azp);
  c = claims();
  c["aud"] = json::array{provider.client_id, "other"};
  c.erase("azp");
  expect(key_a().token(c), oidc::error::bad_azp);
}

BOOST_FIXTURE_TEST_CASE(refuses_wrong_issuer, fixture) {
  for (const char* iss : {"https://evil.example", "https://accounts.google.com/", "", "http://accounts.google.com"}) {
    BOOST_TEST_CONTEXT("iss=" << iss) {
      auto c = claims();
      c["iss"] = iss;
      expect(key_a().token(c), oidc::error::bad_issuer);
    }
  }
  auto c = claims();
  c.erase("iss");
  expect(key_a().token(c), oidc::error::bad_issuer);
}

BOOST_FIXTURE_TEST_CASE(refuses_expired_and_future_tokens_with_leeway, fixture) {
  auto c = claims();
  c["exp"] = now_s - 61;
  expect(key_a().token(c), oidc::error::expired);
  c["exp"] = now_s - 30;  // within the 60 s leeway
  BOOST_TEST(verify(key_a().token(c)).has_value());
  c = claims();
  c.erase("exp");
  expect(key_a().token(c), oidc::error::expired);
  c = claims();
  c["exp"] = "tomorrow";
  expect(key_a().token(c), oidc::error::expired);
  c = claims();
  c["iat"] = now_s + 120;
  expect(key_a().token(c), oidc::error::issued_in_future);
  c.erase("iat");
  expect(key_a().token(c), oidc::error::issued_in_future);
}

BOOST_FIXTURE_TEST_CASE(refuses_wrong_or_missing_nonce, fixture) {
  auto c = claims();
  c["nonce"] = "another-flow";
  expect(key_a().token(c), oidc::error::bad_nonce);
  c.erase("nonce");
  expect(key_a().token(c), oidc::error::bad_nonce);
  // An empty expected nonce never matches, even a token with an empty nonce.
  c["nonce"] = "";
  auto r = oidc::verify_id_token(key_a().token(c), keys,
                                 {provider, "", std::chrono::system_clock::time_point(std::chrono::seconds(now_s))});
  BOOST_TEST(r.error() == oidc::make_error_code(oidc::error::bad_nonce));
}

BOOST_FIXTURE_TEST_CASE(refuses_missing_subject, fixture) {
  auto c = claims();
  c.erase("sub");
  expect(key_a().token(c), oidc::error::missing_subject);
  c["sub"] = "";
  expect(key_a().token(c), oidc::error::missing_subject);
  c["sub"] = 12345;
  expect(key_a().token(c), oidc::error::missing_subject);
}

BOOST_FIXTURE_TEST_CASE(refuses_bad_signatures, fixture) {
  auto token = key_a().token(claims());
  // A flipped bit in the signature.
  auto dot = token.rfind('.');
  auto sig = *enfinito::crypto::base64url_decode(token.substr(dot + 1));
  sig[10] ^= 1;
  expect(token.substr(0, dot + 1) + enfinito::crypto::base64url_encode(sig), oidc::error::bad_signature);
  // Claims changed after signing.
  auto c = claims();
  c["sub"] = "attacker";
  auto forged = key_a().token(c);
  auto first = token.find('.');
  auto forged_payload = forged.substr(forged.find('.') + 1, forged.rfind('.') - forged.find('.') - 1);
  expect(token.substr(0, first + 1) + forged_payload + token.substr(dot), oidc::error::bad_signature);
  // Signed by key B but claiming key A's kid.
  json::object h{{"kid", "key-a"}};
  expect(key_b().token(claims(), h), oidc::error::bad_signature);
  // Truncated signature.
  auto shorter = sig;
  shorter.pop_back();
  expect(token.substr(0, dot + 1) + enfinito::crypto::base64url_encode(shorter), oidc::error::bad_signature);
}

BOOST_FIXTURE_TEST_CASE(refuses_alg_none_hs256_and_other_algorithms, fixture) {
  expect(enfinito::test::unsigned_token(claims(), "key-a"), oidc::error::bad_algorithm);
  // HS256 keyed with the provider's public key (PEM, and the raw modulus): the classic
  // algorithm-confusion forgery.
  expect(enfinito::test::hs256_token(claims(), "key-a", key_a().public_pem()), oidc::error::bad_algorithm);
  expect(enfinito::test::hs256_token(claims(), "key-a", key_a().n()), oidc::error::bad_algorithm);
  for (const char* alg : {"RS512", "PS256", "ES256", "rs256", "None", "NONE"}) {
    BOOST_TEST_CONTEXT("alg=" << alg) {
      json::object h{{"alg", alg}};
      expect(key_a().token(claims(), h), oidc::error::bad_algorithm);
    }
  }
  json::object h{{"alg", 1}};
  expect(key_a().token(claims(), h), oidc::error::bad_algorithm);
}

BOOST_FIXTURE_TEST_CASE(refuses_header_supplied_keys, fixture) {
  json::object attacker_jwk = key_b().jwk();
  for (auto [name, value] :
       std::initializer_list<std::pair<const char*, json::value>>{{"jwk", attacker_jwk},
                                                                  {"jku", "https://evil.example/jwks.json"},
                                                                  {"x5u", "https://evil.example/cert.pem"},
                                                                  {"x5c", json::array{"MIIB"}},
                                                                  {"crit", json::array{"exp"}}}) {
    BOOST_TEST_CONTEXT("header member " << name) {
      json::object h{{name, value}};
      // Signed by the attacker's own key B, naming it (or a URL) in the header.
      h["kid"] = "key-b";
      expect(key_b().token(claims(), h), oidc::error::header_supplied_key);
      // Even with a genuine signature, a header key member is refused.
      json::object h2{{name, value}};
      expect(key_a().token(claims(), h2), oidc::error::header_supplied_key);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(refuses_unknown_or_missing_kid, fixture) {
  json::object h{{"kid", "key-b"}};
  expect(key_b().token(claims(), h), oidc::error::unknown_kid);
  json::object empty{{"kid", ""}};
  expect(key_a().token(claims(), empty), oidc::error::missing_kid);
  BOOST_TEST(oidc::token_kid(key_b().token(claims())).value() == "key-b");
  BOOST_TEST(oidc::token_kid("x.y.z").has_error());
}

BOOST_FIXTURE_TEST_CASE(refuses_malformed_tokens, fixture) {
  auto token = key_a().token(claims());
  for (std::string bad : {std::string(), std::string("abc"), std::string("a.b"), token + ".extra",
                          std::string(".") + token, std::string("!!.??.**"), std::string(20000, 'a') + "." + "b.c"}) {
    BOOST_TEST_CONTEXT("token of " << bad.size() << " bytes") { expect(bad, oidc::error::malformed_token); }
  }
  // Padding is not base64url.
  auto dot = token.find('.');
  expect(token.substr(0, dot) + "=" + token.substr(dot), oidc::error::malformed_token);
  // A payload that is a JSON array.
  auto arr_payload = enfinito::crypto::base64url_encode(std::string_view("[1]"));
  expect(token.substr(0, dot + 1) + arr_payload + token.substr(token.rfind('.')), oidc::error::malformed_token);
}

BOOST_AUTO_TEST_CASE(verify_rs256_refuses_weak_or_malformed_keys) {
  const auto& k = key_a();
  std::string input = "header.payload";
  auto sig = k.sign(input);
  BOOST_TEST(enfinito::crypto::verify_rs256(k.n(), k.e(), input, sig));
  BOOST_TEST(!enfinito::crypto::verify_rs256(k.n(), k.e(), input + "x", sig));
  BOOST_TEST(!enfinito::crypto::verify_rs256(k.n(), "AQ", input, sig));         // e = 1
  BOOST_TEST(!enfinito::crypto::verify_rs256(k.n(), "Ag", input, sig));         // e = 2 (even)
  BOOST_TEST(!enfinito::crypto::verify_rs256("AQAB", k.e(), input, sig));       // tiny n
  BOOST_TEST(!enfinito::crypto::verify_rs256(k.n() + "=", k.e(), input, sig));  // bad encoding
  BOOST_TEST(!enfinito::crypto::verify_rs256("", "", input, sig));
  BOOST_TEST(!enfinito::crypto::verify_rs256(k.n(), k.e(), input, ""));
  BOOST_TEST(!enfinito::crypto::verify_rs256(k.n(), k.e(), input, sig + std::string(1, '\0')));
}

BOOST_AUTO_TEST_CASE(jwks_cache_refreshes_on_unknown_kid_at_most_once_per_interval) {
  oidc::jwks_cache cache(30s, 1h);
  auto t0 = oidc::jwks_cache::clock::time_point(1000s);
  BOOST_TEST(!cache.keys());
  BOOST_TEST(cache.begin_fetch("a", t0));   // empty: fetch
  BOOST_TEST(!cache.begin_fetch("a", t0));  // already in flight this second
  cache.update({{"a", "n", "e"}}, t0);
  BOOST_TEST(cache.has("a"));
  BOOST_TEST(!cache.begin_fetch("a", t0 + 5s));    // known and fresh
  BOOST_TEST(!cache.begin_fetch("zz", t0 + 5s));   // unknown but refreshed 5 s ago
  BOOST_TEST(cache.begin_fetch("zz", t0 + 31s));   // unknown, interval passed
  BOOST_TEST(!cache.begin_fetch("yy", t0 + 40s));  // rate-limited
  BOOST_TEST(cache.begin_fetch("a", t0 + 2h));     // known but stale
  BOOST_TEST(cache.keys()->size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
