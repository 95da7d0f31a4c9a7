#pragma once
// A local OpenID provider for tests: HTTPS (self-signed, CN=localhost / IP 127.0.0.1) on
// port 0, in its own thread. Endpoints:
//   GET  /authorize  → 302 to redirect_uri?code&state (records the query: scopes are checked)
//   POST /token      → checks code (once), PKCE S256, client id and secret; answers an id_token
//                      plus an access and a refresh token that are canaries for P3 tests
//   GET  /jwks       → the published keys (tests rotate them)
// The ID token is made by `mint`, which tests replace to forge bad tokens.
#include "support/jwt_signer.hpp"
#include "support/test_certs.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace enfinito::test {

class oidc_provider {
 public:
  static constexpr const char* client_id = "enfinito-test.apps.example";
  static constexpr const char* client_secret = "test-client-secret-CANARY";
  static constexpr const char* issuer = "https://accounts.google.com";
  static constexpr const char* access_token_canary = "ya29.ACCESS-TOKEN-CANARY-7f3a";
  static constexpr const char* refresh_token_canary = "1//REFRESH-TOKEN-CANARY-9c1e";

  /** What /authorize saw, handed to `mint`. */
  struct grant {
    std::string nonce;
    std::string scope;
    std::string code_challenge;
    std::string redirect_uri;
  };
  using mint_fn = std::function<std::string(const oidc_provider&, const grant&)>;

  explicit oidc_provider(const std::filesystem::path& dir);
  ~oidc_provider();

  std::string base_url() const;  // https://127.0.0.1:<port>
  unsigned short port() const;
  const std::filesystem::path& ca_file() const { return certs_.cert_path; }

  /** Default claims for a grant: Google-shaped, valid for an hour. */
  boost::json::object claims(const grant& g) const;

  rsa_signer key_a{"kid-a"};
  rsa_signer key_b{"kid-b"};  // not published unless `publish_b`
  rsa_signer key_c{"kid-c"};  // never published

  std::atomic<bool> publish_b{false};
  std::atomic<int> jwks_fetches{0};
  std::atomic<int> token_calls{0};

  void set_mint(mint_fn f);
  /** Identity used by the default claims. */
  void set_subject(std::string sub, std::string email, std::string name);
  /** Every /authorize query string seen. */
  std::vector<std::string> authorize_queries() const;
  /** Every token request form body seen. */
  std::vector<std::string> token_requests() const;

  // Used by the server thread.
  struct impl;

 private:
  cert_files certs_;
  std::unique_ptr<impl> impl_;
  mutable std::mutex mu_;
  mint_fn mint_;
  std::string sub_ = "112233445566778899000", email_ = "grace@example.com", name_ = "Grace Hopper";
  std::map<std::string, grant> codes_;
  std::vector<std::string> authorize_queries_, token_requests_;
  friend struct impl;
};

}  // namespace enfinito::test
