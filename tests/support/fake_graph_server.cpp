#include "support/fake_graph_server.hpp"

#include "support/http_client.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace enfinito::test {

fake_meta::fake_meta(std::string config_json, const cert_files* tls) {
  fake_graph::server_options o;
  o.config_json = std::move(config_json);
  if (tls) {
    o.tls_cert_file = tls->cert_path.string();
    o.tls_key_file = tls->key_path.string();
    tls_ = true;
    ca_file_ = tls->cert_path.string();
  }
  srv_ = std::make_unique<fake_graph::server>(ioc_, std::move(o));
  port_ = srv_->start();
  thread_ = std::thread([this] { ioc_.run(); });
}

fake_meta::~fake_meta() {
  srv_->stop();
  ioc_.stop();
  thread_.join();
}

std::string fake_meta::base_url() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

unsigned fake_meta::admin_status(const std::string& what, const boost::json::object& body) {
  header_list h{{"content-type", "application/json"}};
  auto r = tls_ ? https_request("127.0.0.1", port_, "POST", "/_admin/" + what, h, boost::json::serialize(body), ca_file_)
                : http_request("127.0.0.1", port_, "POST", "/_admin/" + what, h, boost::json::serialize(body));
  return r.status;
}

boost::json::object fake_meta::admin(const std::string& what, const boost::json::object& body) {
  header_list h{{"content-type", "application/json"}};
  auto r = tls_ ? https_request("127.0.0.1", port_, "POST", "/_admin/" + what, h, boost::json::serialize(body), ca_file_)
                : http_request("127.0.0.1", port_, "POST", "/_admin/" + what, h, boost::json::serialize(body));
  BOOST_REQUIRE_MESSAGE(r.status == 200u, "fake admin " << what << ": " << r.status << " " << r.body);
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  return !ec && v.is_object() ? v.as_object() : boost::json::object{};
}

std::int64_t fake_meta::requests() { return admin_get("stats").at("requests").to_number<std::int64_t>(); }

boost::json::object fake_meta::admin_get(const std::string& what) {
  auto r = tls_ ? https_request("127.0.0.1", port_, "GET", "/_admin/" + what, {}, "", ca_file_)
                : http_request("127.0.0.1", port_, "GET", "/_admin/" + what);
  return boost::json::parse(r.body).as_object();
}

}  // namespace enfinito::test
