// outbound::graph_send_body: Meta's send answer, with the wamid once Meta answered, else
// Enfinito's id marked accepted (outbound/graph_answer.hpp).
#include <enfinito/outbound/graph_answer.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(outbound_graph_answer)

BOOST_AUTO_TEST_CASE(accepted_then_sent) {
  auto o = outbound::graph_send_body("msg_1", "+49 151 1234", nullptr);
  BOOST_TEST(o.at("messaging_product").as_string() == "whatsapp");
  const auto& c = o.at("contacts").as_array().at(0).as_object();
  BOOST_TEST(c.at("input").as_string() == "+49 151 1234");
  BOOST_TEST(c.at("wa_id").as_string() == "491511234");
  const auto& m = o.at("messages").as_array().at(0).as_object();
  BOOST_TEST(m.at("id").as_string() == "msg_1");
  BOOST_TEST(m.at("message_status").as_string() == "accepted");

  outbound::send_outcome sent;
  sent.wamid = "wamid.X";
  sent.wa_id = "4915112340";
  o = outbound::graph_send_body("msg_1", "+49 151 1234", &sent);
  BOOST_TEST(o.at("contacts").as_array().at(0).as_object().at("wa_id").as_string() == "4915112340");
  const auto& n = o.at("messages").as_array().at(0).as_object();
  BOOST_TEST(n.at("id").as_string() == "wamid.X");
  BOOST_TEST(!n.contains("message_status"));
}

BOOST_AUTO_TEST_SUITE_END()
