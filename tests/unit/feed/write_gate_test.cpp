// feed::write_gate: a Beast write that arrives while the session holds the gate waits and starts
// when the gate is released (after the session's bytes, never inside them); and a waiting write
// never outlives what it belongs to: destroyed with the reactor (no cycle through its handler),
// dropped with the gate.
#include <enfinito/feed/write_gate.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>
#include <optional>
#include <string>

using namespace enfinito;
using tcp = net::ip::tcp;

namespace {

// A connected loopback pair on `io`.
std::pair<tcp::socket, tcp::socket> socket_pair(net::io_context& io) {
  tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), 0});
  tcp::socket client(io), server(io);
  client.connect(acceptor.local_endpoint());
  acceptor.accept(server);
  return {std::move(client), std::move(server)};
}

std::string read_exactly(tcp::socket& s, std::size_t n) {
  std::string out(n, '\0');
  net::read(s, net::buffer(out));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(feed_write_gate)

BOOST_AUTO_TEST_CASE(a_write_during_the_raw_write_waits_for_the_gate) {
  net::io_context io;
  auto [client, server] = socket_pair(io);
  feed::write_gate<tcp::socket> gate(std::move(server));
  gate.begin_raw();
  net::write(gate.next_layer(), net::buffer(std::string("raw|")));
  bool beast_done = false;
  gate.async_write_some(net::buffer(std::string_view("beast")), [&](boost::system::error_code ec, std::size_t n) {
    BOOST_TEST(!ec);
    BOOST_TEST(n == 5u);
    beast_done = true;
  });
  io.poll();
  BOOST_TEST(!beast_done);           // parked while the session holds the gate
  BOOST_TEST(gate.beast_writing());  // so the session will not take it again
  gate.end_raw();
  BOOST_TEST(gate.beast_writing());  // still, until the parked write has started
  io.run_for(std::chrono::seconds(2));
  BOOST_TEST(beast_done);
  BOOST_TEST(!gate.beast_writing());
  BOOST_TEST(read_exactly(client, 9) == "raw|beast");
}

BOOST_AUTO_TEST_CASE(a_parked_write_dies_with_the_reactor_and_lets_go_of_its_owner) {
  std::weak_ptr<int> owner_seen;
  {
    net::io_context io;
    auto [client, server] = socket_pair(io);
    auto gate = std::make_shared<feed::write_gate<tcp::socket>>(std::move(server));
    gate->begin_raw();
    // The handler keeps the gate's owner alive, as a session's completion does: a handler kept
    // inside the gate would be a cycle that nothing ever frees.
    auto owner = std::make_shared<int>(7);
    owner_seen = owner;
    gate->async_write_some(net::buffer(std::string_view("x")),
                           [owner, gate](boost::system::error_code, std::size_t) {});
    owner.reset();
    gate.reset();
    io.poll();
    BOOST_TEST(!owner_seen.expired());  // held by the parked write
  }                                     // the reactor goes first, with its pending operations
  BOOST_TEST(owner_seen.expired());
}

BOOST_AUTO_TEST_CASE(a_gate_destroyed_while_a_write_waits_drops_the_write) {
  net::io_context io;
  auto [client, server] = socket_pair(io);
  bool called = false;
  {
    feed::write_gate<tcp::socket> gate(std::move(server));
    gate.begin_raw();
    gate.async_write_some(net::buffer(std::string_view("x")),
                          [&](boost::system::error_code, std::size_t) { called = true; });
    io.poll();
  }  // the session ended (Beast's own pings hold no reference to it)
  io.run_for(std::chrono::milliseconds(200));
  BOOST_TEST(!called);  // dropped, never run against a gate that is gone
}

BOOST_AUTO_TEST_SUITE_END()
