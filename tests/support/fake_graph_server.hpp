#pragma once
// The fake Graph API (tools/fake_graph) on its own thread, for integration tests and
// harnesses: started on a free loopback port, stopped and joined on destruction; and the
// configurations tests start it with.
#include "support/test_certs.hpp"

#include <fake_graph/server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace enfinito::test {

/** One phone number of a fake configuration; `fields` add to or override its defaults
    (display_phone_number 15550783881, verified_name "Lucky Shrub", quality_rating GREEN). */
struct fake_number {
  std::string id;
  std::string waba_id;
  boost::json::object fields = {};
};

/**
 * A configuration for the fake with several numbers: a WABA for each distinct `waba_id`
 * (named "A", "B", ... in order), every token over all of them, no seeded templates; `extra`
 * adds to or overrides the top-level fields (knobs, seed_templates, ...). One number with the
 * WABA named after it: fake_graph::one_number_config.
 */
std::string fake_graph_config(const std::vector<fake_number>& numbers, const std::vector<std::string>& tokens,
                              boost::json::object extra = {});

class fake_meta {
 public:
  /** `config_json` empty: the fake's built-in default. `tls`: serve HTTPS with these files. */
  explicit fake_meta(std::string config_json = {}, const cert_files* tls = nullptr);
  ~fake_meta();
  fake_meta(const fake_meta&) = delete;
  fake_meta& operator=(const fake_meta&) = delete;

  std::uint16_t port() const { return port_; }
  /** http://127.0.0.1:PORT (https with TLS), for `meta.base_url`. */
  std::string base_url() const;
  /** POSTs `body` to `/_admin/<what>`, requires a 200 and returns the answer (an empty object if not JSON). */
  boost::json::object admin(const std::string& what, const boost::json::object& body);
  /** The same without the requirement: the HTTP status. */
  unsigned admin_status(const std::string& what, const boost::json::object& body);
  /** Requests the fake has served (`/_admin/stats` `requests`). */
  std::int64_t requests();
  /** GETs `/_admin/<what>` and parses the JSON answer. */
  boost::json::object admin_get(const std::string& what);

 private:
  boost::asio::io_context ioc_{1};
  std::unique_ptr<fake_graph::server> srv_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  bool tls_ = false;
  std::string ca_file_;
};

}  // namespace enfinito::test
