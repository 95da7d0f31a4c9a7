// P5 over the whole integration suite: every daemon in this process (app::app on port 0, with
// the fake Graph API, the local OpenID provider, the SMTP sink and customer webhook receivers,
// all on loopback) records each connection it opens with its purpose (upstream/outbound.hpp).
// When the suite ends, every connection made for a purpose must have gone to a loopback
// endpoint (one that resolves only to loopback addresses), i.e. to an endpoint some test
// configured: nothing reached the outside world.
// Connections without a purpose are the tests' own tools (they use the same client) and are
// not the daemon's. The child-process daemon of canary_test.cpp is checked from its log.
#include <enfinito/upstream/outbound.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace {

// Every address `host` resolves to is a loopback address (a test may name this machine, e.g.
// by its host name, which /etc/hosts maps to 127.0.0.1 or 127.0.1.1).
bool loopback(const std::string& host, const std::string& port) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver r(io);
  boost::system::error_code ec;
  const auto found = r.resolve(host, port, ec);
  if (ec || found.empty()) return false;
  for (const auto& e : found)
    if (!e.endpoint().address().is_loopback()) return false;
  return true;
}

struct every_connection_went_to_a_configured_endpoint {
  void setup() {}
  void teardown() {
    using namespace enfinito;
    std::size_t checked = 0;
    for (const auto& e : upstream::connections()) {
      if (e.purpose == "unnamed") continue;
      ++checked;
      BOOST_TEST(loopback(e.host, e.port),
                 "P5: the suite's daemons connected to " << e.host << ":" << e.port << " for " << e.purpose);
    }
    BOOST_TEST(upstream::connections_not_itemised() == 0u, "P5: connections beyond the record's bound");
    BOOST_TEST_MESSAGE("P5: " << checked << " endpoints the daemons connected to, all configured (loopback)");
  }
};

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(every_connection_went_to_a_configured_endpoint);
