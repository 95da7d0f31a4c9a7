// outbound::graph_send_body: Meta's send answer, with the wamid once Meta answered, else
// Enfinito's id marked accepted; graph_refusal_of and graph_failure_of: a refused accept, and
// a queued send Meta refused, in Meta's words (outbound/graph_answer.hpp).
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

BOOST_AUTO_TEST_CASE(refusals_carry_metas_codes) {
  using kind = outbound::accept_result::kind;
  struct row {
    kind what;
    int http_status;
    std::int64_t code;
  };
  for (const auto& r : {row{kind::key_reused, 422, 100}, row{kind::needs_reauth, 401, 190},
                        row{kind::disabled, 403, 10}, row{kind::opted_out, 400, 131050}}) {
    BOOST_TEST_CONTEXT("kind " << static_cast<int>(r.what)) {
      auto m = outbound::graph_refusal_of(r.what);
      BOOST_REQUIRE(m);
      BOOST_TEST(m->http_status == r.http_status);
      BOOST_TEST(m->code == r.code);
      BOOST_TEST(!m->title.empty());
      BOOST_TEST(!m->details.empty());
    }
  }
  BOOST_TEST(outbound::graph_refusal_of(kind::needs_reauth)->title == "Error validating access token");
  for (auto k : {kind::accepted, kind::replayed, kind::body_refused, kind::store_failed})
    BOOST_TEST(!outbound::graph_refusal_of(k));
}

BOOST_AUTO_TEST_CASE(a_check_refusal_names_the_field_and_maps_132001_to_404) {
  using kind = outbound::accept_result::kind;
  templates::problem p{132001, "template_unknown", "template.name", "no such template"};
  auto m = outbound::graph_refusal_of(kind::check_refused, p);
  BOOST_REQUIRE(m);
  BOOST_TEST(m->http_status == 404);
  BOOST_TEST(m->code == 132001);
  BOOST_TEST(m->title == "Template name does not exist in the translation");
  BOOST_TEST(m->details == "template.name: no such template");
  p.meta_code = 132000;
  BOOST_TEST(outbound::graph_refusal_of(kind::check_refused, p)->http_status == 400);
  BOOST_TEST(outbound::graph_refusal_of(kind::check_refused, p)->title ==
             "Number of parameters does not match the expected number of params");
  p.meta_code = 132012;
  BOOST_TEST(outbound::graph_refusal_of(kind::check_refused, p)->title ==
             "Parameter format does not match format in the created template");
  p.meta_code = 131047;
  BOOST_TEST(outbound::graph_refusal_of(kind::check_refused, p)->title == "Re-engagement message");
}

BOOST_AUTO_TEST_CASE(a_failed_send_keeps_metas_code_and_status) {
  outbound::send_outcome failed;
  failed.what = outbound::send_outcome::kind::failed;
  failed.error_code = 131026;
  failed.error_title = "Message undeliverable";
  failed.http_status = 400;
  auto m = outbound::graph_failure_of(failed, "msg_1");
  BOOST_TEST(m.http_status == 400);
  BOOST_TEST(m.code == 131026);
  BOOST_TEST(m.title == "Message undeliverable");
  BOOST_TEST(m.details == "Enfinito message msg_1 is failed");

  outbound::send_outcome dead;  // a transport error: no code, no status, no title
  dead.what = outbound::send_outcome::kind::dead;
  m = outbound::graph_failure_of(dead, "msg_2");
  BOOST_TEST(m.http_status == 400);
  BOOST_TEST(m.code == 131000);
  BOOST_TEST(m.title == "Message failed");
  BOOST_TEST(m.details == "Enfinito message msg_2 is dead");

  dead.http_status = 503;
  BOOST_TEST(outbound::graph_failure_of(dead, "msg_2").http_status == 503);
}

BOOST_AUTO_TEST_SUITE_END()
