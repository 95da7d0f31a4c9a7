#include "support/fake_graph_server.hpp"

#include "support/http_client.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>

namespace enfinito::test {

std::string fake_graph_config(const std::vector<fake_number>& numbers, const std::vector<std::string>& tokens,
                              boost::json::object extra) {
  namespace json = boost::json;
  json::array wabas, phone_numbers, waba_ids;
  for (const auto& n : numbers) {
    json::object number{{"id", n.id},
                        {"waba_id", n.waba_id},
                        {"display_phone_number", "15550783881"},
                        {"verified_name", "Lucky Shrub"},
                        {"quality_rating", "GREEN"}};
    for (const auto& [k, v] : n.fields) number[k] = v;
    phone_numbers.push_back(std::move(number));
    if (std::find(waba_ids.begin(), waba_ids.end(), json::value(n.waba_id)) != waba_ids.end()) continue;
    waba_ids.push_back(json::value(n.waba_id));
    wabas.push_back(json::object{{"id", n.waba_id}, {"name", std::string(1, static_cast<char>('A' + wabas.size()))}});
  }
  json::array token_list;
  for (const auto& t : tokens) token_list.push_back(json::object{{"token", t}, {"waba_ids", waba_ids}});
  json::object cfg{{"wabas", std::move(wabas)},
                   {"phone_numbers", std::move(phone_numbers)},
                   {"tokens", std::move(token_list)},
                   {"seed_templates", false}};
  for (const auto& [k, v] : extra) cfg[k] = v;
  return json::serialize(cfg);
}

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
  auto r = tls_
               ? https_request("127.0.0.1", port_, "POST", "/_admin/" + what, h, boost::json::serialize(body), ca_file_)
               : http_request("127.0.0.1", port_, "POST", "/_admin/" + what, h, boost::json::serialize(body));
  return r.status;
}

boost::json::object fake_meta::admin(const std::string& what, const boost::json::object& body) {
  header_list h{{"content-type", "application/json"}};
  auto r = tls_
               ? https_request("127.0.0.1", port_, "POST", "/_admin/" + what, h, boost::json::serialize(body), ca_file_)
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
