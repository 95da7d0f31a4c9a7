// The local OpenID provider of the Google Sign-In tests (see oidc_provider.hpp).
#include "support/oidc_provider.hpp"

#include <enfinito/crypto/encoding.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/http/message.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>

namespace enfinito::test {
namespace {

namespace bhttp = boost::beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// key=value&... → map (percent-decoded, + as space).
std::map<std::string, std::string> parse_form(std::string_view text) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size() && !text.empty()) {
    auto amp = text.find('&', pos);
    auto part = text.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    auto eq = part.find('=');
    auto key = http::percent_decode(part.substr(0, eq), true);
    auto val =
        eq == std::string_view::npos ? std::optional<std::string>("") : http::percent_decode(part.substr(eq + 1), true);
    if (key && val) out[*key] = *val;
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return out;
}

std::string encode(std::string_view in) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
      out += static_cast<char>(c);
    else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

struct oidc_provider::impl {
  asio::io_context ioc;
  asio::ssl::context tls{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  std::atomic<bool> stopping{false};
  unsigned short port = 0;

  bhttp::response<bhttp::string_body> handle(oidc_provider& p, bhttp::request<bhttp::string_body>& req) {
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "application/json");
    std::string target(req.target());
    auto q = target.find('?');
    std::string path = target.substr(0, q);
    std::string query = q == std::string::npos ? "" : target.substr(q + 1);
    auto json_error = [&](bhttp::status st, const char* code) {
      res.result(st);
      res.body() = std::string("{\"error\":\"") + code + "\"}";
    };
    if (path == "/authorize" && req.method() == bhttp::verb::get) {
      auto f = parse_form(query);
      std::string code = "4/AUTHCODE-CANARY-" + crypto::random_token(16);
      {
        std::lock_guard lock(p.mu_);
        p.authorize_queries_.push_back(query);
        p.codes_[code] = grant{f["nonce"], f["scope"], f["code_challenge"], f["redirect_uri"]};
      }
      res.result(bhttp::status::found);
      res.set(bhttp::field::location, f["redirect_uri"] + "?code=" + encode(code) + "&state=" + encode(f["state"]));
    } else if (path == "/token" && req.method() == bhttp::verb::post) {
      ++p.token_calls;
      auto f = parse_form(req.body());
      grant g;
      mint_fn mint;
      {
        std::lock_guard lock(p.mu_);
        p.token_requests_.push_back(req.body());
        auto it = p.codes_.find(f["code"]);
        if (it == p.codes_.end()) {
          json_error(bhttp::status::bad_request, "invalid_grant");
          return res;
        }
        g = it->second;
        p.codes_.erase(it);  // a code works once
        mint = p.mint_;
      }
      if (f["grant_type"] != "authorization_code" || f["client_id"] != client_id ||
          f["client_secret"] != client_secret || f["redirect_uri"] != g.redirect_uri) {
        json_error(bhttp::status::unauthorized, "invalid_client");
        return res;
      }
      if (crypto::base64url_encode(crypto::sha256(f["code_verifier"])) != g.code_challenge) {
        json_error(bhttp::status::bad_request, "invalid_grant");
        return res;
      }
      std::string id_token = mint ? mint(p, g) : p.key_a.token(p.claims(g));
      res.body() = boost::json::serialize(boost::json::object{{"access_token", access_token_canary},
                                                              {"refresh_token", refresh_token_canary},
                                                              {"expires_in", 3599},
                                                              {"token_type", "Bearer"},
                                                              {"scope",
                                                               "openid https://www.googleapis.com/auth/userinfo.email "
                                                               "https://www.googleapis.com/auth/userinfo.profile"},
                                                              {"id_token", id_token}});
    } else if (path == "/jwks" && req.method() == bhttp::verb::get) {
      ++p.jwks_fetches;
      res.body() = p.publish_b ? jwks_json({&p.key_a, &p.key_b}) : jwks_json({&p.key_a});
    } else {
      json_error(bhttp::status::not_found, "not_found");
    }
    return res;
  }

  void serve(oidc_provider& p) {
    while (!stopping) {
      tcp::socket sock(ioc);
      boost::system::error_code ec;
      acceptor.accept(sock, ec);
      if (stopping) return;
      if (ec) continue;
      // A stuck peer must not hang the test: 10 s socket timeouts.
      timeval tv{10, 0};
      ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      asio::ssl::stream<tcp::socket> stream(std::move(sock), tls);
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (ec) continue;
      boost::beast::flat_buffer buf;
      bhttp::request<bhttp::string_body> req;
      bhttp::read(stream, buf, req, ec);
      if (ec) continue;
      auto res = handle(p, req);
      res.keep_alive(false);
      res.prepare_payload();
      bhttp::write(stream, res, ec);
      stream.shutdown(ec);
    }
  }
};

oidc_provider::oidc_provider(const std::filesystem::path& dir)
    : certs_(write_self_signed(dir)), impl_(std::make_unique<impl>()) {
  impl_->tls.use_certificate_chain_file(certs_.cert_path.string());
  impl_->tls.use_private_key_file(certs_.key_path.string(), asio::ssl::context::pem);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->thread = std::thread([this] { impl_->serve(*this); });
}

oidc_provider::~oidc_provider() {
  impl_->stopping = true;
  boost::system::error_code ec;
  tcp::socket wake(impl_->ioc);
  wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), impl_->port), ec);
  impl_->thread.join();
}

unsigned short oidc_provider::port() const { return impl_->port; }

std::string oidc_provider::base_url() const { return "https://127.0.0.1:" + std::to_string(impl_->port); }

boost::json::object oidc_provider::claims(const grant& g) const {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::lock_guard lock(mu_);
  return {{"iss", issuer},
          {"azp", client_id},
          {"aud", client_id},
          {"sub", sub_},
          {"email", email_},
          {"email_verified", true},
          {"at_hash", "HK6E_P6Dh8Y93mRNtsDB1Q"},
          {"name", name_},
          {"picture", "https://lh3.example/photo.jpg"},
          {"given_name", "Grace"},
          {"family_name", "Hopper"},
          {"locale", "en"},
          {"iat", now},
          {"exp", now + 3600},
          {"nonce", g.nonce}};
}

void oidc_provider::set_mint(mint_fn f) {
  std::lock_guard lock(mu_);
  mint_ = std::move(f);
}

void oidc_provider::set_subject(std::string sub, std::string email, std::string name) {
  std::lock_guard lock(mu_);
  sub_ = std::move(sub);
  email_ = std::move(email);
  name_ = std::move(name);
}

std::vector<std::string> oidc_provider::authorize_queries() const {
  std::lock_guard lock(mu_);
  return authorize_queries_;
}

std::vector<std::string> oidc_provider::token_requests() const {
  std::lock_guard lock(mu_);
  return token_requests_;
}

}  // namespace enfinito::test
