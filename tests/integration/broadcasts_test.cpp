// Broadcasts end to end (issue 21): the real daemon in-process, a real database file, and the
// fake Graph API as Meta (templates seeded, so it checks each template message's name and
// parameter count as Meta does). A broadcast reaches Meta once per recipient at the number's
// rate with its counts right; invalid rows are reported by line and nothing is created;
// pause, resume and cancel; send_at waits and expires_at gives up; a single send on another
// instance, and on the same one, is not held up by a running broadcast; header and button
// parameters per recipient; and kill -9 of a daemon child process mid-broadcast, then restart.
#include "support/daemon.hpp"
#include "support/latency.hpp"
#include "support/fake_graph_server.hpp"
#include "support/fake_numbers.hpp"
#include "support/http_client.hpp"
#include "support/instances.hpp"
#include "support/temp_dir.hpp"
#include "support/tenants.hpp"
#include "support/wait.hpp"

#include <enfinito/core/clock.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

namespace {

namespace json = boost::json;
using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;

constexpr const char* token = "EAAGbroadcastTOKENq7Zk2Lw9Xv4Rt6Yp1Mn3Bb8";

std::string fake_config() {
  // Meta's own limits raised: only Enfinito's pacing shows in the timings.
  json::object fast{{"mps", 100000}, {"pair_burst", 100000}, {"pair_interval_ms", 1}};
  json::object b = fast;
  b["display_phone_number"] = "15550001111";
  b["verified_name"] = "Other Shop";
  return fake_graph_config({{phone_a, waba_a, fast}, {phone_b, waba_b, b}}, {token},
                           {{"seed_templates", true}, {"knobs", json::object{{"window_mode", "off"}}}});
}

json::object body_of(const http_result& r) { return json::parse(r.body).as_object(); }
std::string str(const json::object& o, const char* k) { return std::string(o.at(k).as_string()); }
std::int64_t num(const json::object& o, const char* k) { return o.at(k).as_int64(); }

// The daemon sending at `Rate` messages per second per instance.
template <unsigned Rate>
struct fixture_at {
  fake_meta meta{fake_config()};
  running_app app{[this](config::settings& s) {
    s.meta.base_url = meta.base_url();
    s.meta.timeout = 5000ms;
    s.queue.sweep_interval = 200ms;
    s.queue.rate_per_instance = Rate;
    s.queue.burst = std::max(1u, Rate / 50);
  }};
  tenant alice = make_tenant(app.get().database(), "alice@example.com");
  std::string instance = create_instance(phone_a, waba_a);

  http_result call(const std::string& method, const std::string& target, const std::string& body = {},
                   const std::string& type = "application/json") {
    header_list h{{"authorization", "Bearer " + alice.key}};
    if (!body.empty() || method == "POST") h.emplace_back("content-type", type);
    return http_request("127.0.0.1", app.port(), method, target, h, body, 30s);
  }
  std::string create_instance(const char* phone, const char* waba) {
    return str(connect_instance(app.port(), alice.key, {phone, waba, token, "appsecret0123456789abcdef"}), "id");
  }
  // `n` recipients +1555200NNNN with two parameters each, for appointment_reminder.
  static json::array recipients(std::size_t n, std::size_t from = 0) {
    json::array a;
    for (std::size_t i = from; i < from + n; ++i)
      a.push_back(
          json::object{{"to", "+1555" + std::to_string(2000000 + i)}, {"parameters", json::array{"Pat", "Monday"}}});
    return a;
  }
  http_result create(json::object body, const std::string& inst = {}) {
    if (!body.contains("template"))
      body["template"] = json::object{{"name", "appointment_reminder"}, {"language", "en_US"}};
    return call("POST", "/v1/instances/" + (inst.empty() ? instance : inst) + "/broadcasts", json::serialize(body));
  }
  std::string created(json::object body, const std::string& inst = {}) {
    auto r = create(std::move(body), inst);
    BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
    return str(body_of(r), "id");
  }
  json::object get(const std::string& id) {
    auto r = call("GET", "/v1/broadcasts/" + id);
    BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
    return body_of(r);
  }
  json::object counts(const std::string& id) { return get(id).at("counts").as_object(); }
  // Polls until the broadcast is in `state`; returns its last view.
  json::object wait_state(const std::string& id, const std::string& state, std::chrono::milliseconds t = 30s) {
    json::object b;
    wait_until([&] { return str(b = get(id), "state") == state; }, t);
    BOOST_TEST_MESSAGE(json::serialize(b));
    return b;
  }
  // What Meta accepted for a number, in arrival order.
  json::array received(const char* phone = phone_a) {
    return meta.admin_get(std::string("messages?phone_number_id=") + phone).at("messages").as_array();
  }
  std::vector<std::string> event_types() {
    auto r = call("GET",
                  "/v1/events?limit=1000&type=broadcast.accepted,broadcast.started,broadcast.progress,"
                  "broadcast.finished");
    BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
    std::vector<std::string> out;
    const auto page = body_of(r);
    for (const auto& e : page.at("data").as_array()) out.push_back(str(e.as_object(), "type"));
    return out;
  }
};
using fixture = fixture_at<1000>;
using slow_fixture = fixture_at<50>;

}  // namespace

BOOST_AUTO_TEST_SUITE(broadcasts)

BOOST_FIXTURE_TEST_CASE(invalid_rows_are_reported_by_line_and_nothing_is_created, fixture) {
  const std::string csv =
      "to,name,day\n"
      "+15552000001,Pat,Monday\n"
      "12345,Bo,Tuesday\n"
      "+15552000003,Cy\n"
      "+15552000001,Pat,Monday\n"
      "+15552000005,Di,Friday\n";
  const std::string target = "/v1/instances/" + instance + "/broadcasts?template=appointment_reminder&language=en_US";
  auto r = call("POST", target, csv, "text/csv");
  BOOST_REQUIRE_MESSAGE(r.status == 422u, r.body);
  BOOST_TEST(r.header("content-type") == "application/problem+json");
  auto p = body_of(r);
  BOOST_TEST(str(p, "code") == "recipients_rejected");
  BOOST_TEST(num(p, "rejected_count") == 3);
  std::vector<std::int64_t> lines;
  for (const auto& x : p.at("rejected").as_array()) lines.push_back(num(x.as_object(), "row"));
  BOOST_TEST(lines == (std::vector<std::int64_t>{3, 4, 5}));
  auto l = body_of(call("GET", "/v1/instances/" + instance + "/broadcasts"));
  BOOST_TEST(l.at("data").as_array().empty());

  // Asked to skip them: the valid rows are sent, the skipped counted.
  r = call("POST", target + "&skip_invalid=true&name=Reminders", csv, "text/csv");
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  auto b = body_of(r);
  BOOST_TEST(num(b, "recipients") == 2);
  BOOST_TEST(num(b, "skipped_invalid") == 3);
  BOOST_TEST(b.at("rejected").as_array().size() == 3u);
  BOOST_TEST(r.header("location") == "/v1/broadcasts/" + str(b, "id"));
  wait_state(str(b, "id"), "finished");
  BOOST_TEST(received().size() == 2u);

  // Request-level refusals name their field.
  auto bad = create({{"recipients", recipients(1)}, {"template", json::object{{"name", "x"}}}});
  BOOST_TEST(bad.status == 400u);
  BOOST_TEST(str(body_of(bad), "field") == "template.language");
  bad = create({{"recipients", json::array{}}});
  BOOST_TEST(bad.status == 400u);
  BOOST_TEST(str(body_of(bad), "field") == "recipients");
  bad = create({{"recipients", recipients(1)}, {"expires_at", 1000}});
  BOOST_TEST(str(body_of(bad), "field") == "expires_at");
  // The rows are read one at a time from the body's text, each as strict I-JSON: a member
  // named twice in row 2 refuses the list, naming the row; a second top-level recipients is
  // refused by the strict parse of the rest of the body.
  const std::string route = "/v1/instances/" + instance + "/broadcasts";
  const std::string head = R"({"template": {"name": "appointment_reminder", "language": "en_US"}, "recipients": [)";
  const std::string row1 = R"({"to": "+15552000001", "parameters": ["Pat", "Monday"]})";
  bad = call("POST", route,
             head + row1 + R"(, {"to": "+15552000002", "to": "+15552000003", "parameters": ["Bo", "Fri"]}]})");
  BOOST_REQUIRE_MESSAGE(bad.status == 400u, bad.body);
  BOOST_TEST(str(body_of(bad), "field") == "recipients");
  BOOST_TEST(str(body_of(bad), "detail").find("row 2 is not I-JSON") != std::string::npos);
  bad = call("POST", route, head + row1 + R"(], "recipients": []})");
  BOOST_REQUIRE_MESSAGE(bad.status == 400u, bad.body);
  BOOST_TEST(str(body_of(bad), "code") == "invalid_json");
  bad = call("POST", route, head + row1 + " " + row1 + "]}");  // no comma between rows
  BOOST_REQUIRE_MESSAGE(bad.status == 400u, bad.body);
  BOOST_TEST(str(body_of(bad), "detail").find("row 1") != std::string::npos);
  BOOST_TEST(body_of(call("GET", route)).at("data").as_array().size() == 1u);  // only the skip_invalid one
  BOOST_TEST(call("POST", "/v1/instances/ins_nope/broadcasts", "{}").status == 404u);
  BOOST_TEST(call("GET", "/v1/broadcasts/brd_nope").status == 404u);
  // Another tenant sees none of it.
  auto bob = make_tenant(app.get().database(), "bob@example.com");
  auto other = http_request("127.0.0.1", app.port(), "GET", "/v1/broadcasts/" + str(b, "id"),
                            {{"authorization", "Bearer " + bob.key}});
  BOOST_TEST(other.status == 404u);
}

BOOST_FIXTURE_TEST_CASE(ten_thousand_recipients_reach_meta_once_each_at_the_numbers_rate, fixture) {
  constexpr std::size_t n = 10'000;
  const auto t0 = std::chrono::steady_clock::now();
  const auto id = created({{"name", "Big"}, {"recipients", recipients(n)}});
  // 10,000 at the number's 1,000/s take ~10 s; under the sanitizers the daemon sends far slower
  // (ASan measured ~100/s here), so the wait scales as the timing bounds do (support/latency.hpp).
  // Every check below still holds: all sent, once each, never faster than the rate.
  auto b = wait_state(id, "finished", ENFTEST_TIMING_BOUNDS ? 60s : 300s);
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto c = b.at("counts").as_object();
  BOOST_TEST(num(c, "sent") == static_cast<std::int64_t>(n));
  BOOST_TEST(num(c, "queued") == 0);
  BOOST_TEST(num(c, "failed") == 0);
  auto got = received();
  BOOST_REQUIRE_EQUAL(got.size(), n);
  std::set<std::string> peers;
  for (const auto& m : got) peers.insert(str(m.as_object(), "wa_id"));
  BOOST_TEST(peers.size() == n);  // once per recipient
  // The number's rate (1000/s, a burst of 20): never faster.
  BOOST_TEST(elapsed >= (n - 20) / 1000.0 * 0.98);
  BOOST_TEST_MESSAGE(n << " recipients sent in " << elapsed << " s");
  // The events: accepted, started, finished, once each; progress bounded by its interval.
  auto types = event_types();
  auto count_of = [&](const char* t) { return std::count(types.begin(), types.end(), t); };
  BOOST_TEST(count_of("broadcast.accepted") == 1);
  BOOST_TEST(count_of("broadcast.started") == 1);
  BOOST_TEST(count_of("broadcast.finished") == 1);
  BOOST_TEST(count_of("broadcast.progress") <= static_cast<long>(elapsed / 5.0) + 1);
  // The CSV export: a header and a line per recipient.
  auto csv = call("GET", "/v1/broadcasts/" + id + "/recipients");
  BOOST_REQUIRE_EQUAL(csv.status, 200u);
  BOOST_TEST(csv.header("content-type") == "text/csv; charset=utf-8");
  BOOST_TEST(std::count(csv.body.begin(), csv.body.end(), '\n') == static_cast<long>(n + 1));
  BOOST_TEST(csv.body.find(",sent,wamid.") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(meta_refusals_are_counted_by_code, fixture) {
  const auto id = created(
      {{"template", json::object{{"name", "no_such_template"}, {"language", "en_US"}}}, {"recipients", recipients(5)}});
  auto b = wait_state(id, "finished");
  const auto c = b.at("counts").as_object();
  BOOST_TEST(num(c, "failed") == 5);
  BOOST_TEST(num(c.at("failed_by_code").as_object(), "132001") == 5);
  BOOST_TEST(received().empty());
}

// At 50/s, so that 400 recipients take long enough to pause and cancel half way.
BOOST_FIXTURE_TEST_CASE(pause_resume_and_cancel, slow_fixture) {
  const auto id = created({{"recipients", recipients(400)}});
  BOOST_REQUIRE(wait_until([&] { return received().size() >= 20; }));
  auto r = call("POST", "/v1/broadcasts/" + id + "/pause");
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  BOOST_TEST(str(body_of(r), "state") == "paused");
  std::this_thread::sleep_for(300ms);  // what was in flight lands
  const auto at_pause = received().size();
  // A real wait: nothing may be sent while paused (a negative, over wall time).
  std::this_thread::sleep_for(600ms);
  BOOST_TEST(received().size() == at_pause);  // nothing while paused
  BOOST_TEST(call("POST", "/v1/broadcasts/" + id + "/pause").status == 409u);

  r = call("POST", "/v1/broadcasts/" + id + "/resume");
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  BOOST_REQUIRE(wait_until([&] { return received().size() >= at_pause + 20; }));

  r = call("POST", "/v1/broadcasts/" + id + "/cancel");
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  BOOST_TEST(str(body_of(r), "state") == "cancelled");
  // A real wait: what was in flight lands.
  std::this_thread::sleep_for(300ms);
  const auto at_cancel = received().size();
  // A real wait: nothing may be sent after the cancel (a negative, over wall time).
  std::this_thread::sleep_for(600ms);
  BOOST_TEST(received().size() == at_cancel);  // never sent later
  BOOST_TEST(at_cancel < 400u);
  const auto c = counts(id);
  BOOST_TEST(num(c, "sent") == static_cast<std::int64_t>(at_cancel));
  BOOST_TEST(num(c, "cancelled") == static_cast<std::int64_t>(400 - at_cancel));
  BOOST_TEST(num(c, "queued") == 0);
  BOOST_TEST(call("POST", "/v1/broadcasts/" + id + "/resume").status == 409u);
  BOOST_TEST(get(id).at("finished_at").is_int64());
}

BOOST_FIXTURE_TEST_CASE(send_at_waits_and_expires_at_gives_up, fixture) {
  const auto now = core::wall_ms();
  const auto later = created({{"recipients", recipients(3)}, {"send_at", now + 1500}});
  // Due at once but paused before it starts, resumed after its expiry: given up, never sent.
  const auto lapsed = created({{"recipients", recipients(3, 100)}, {"send_at", now + 300}, {"expires_at", now + 600}});
  BOOST_REQUIRE_EQUAL(call("POST", "/v1/broadcasts/" + lapsed + "/pause").status, 200u);
  // A real wait: the broadcast's wall-clock expiry passes while it is paused.
  std::this_thread::sleep_for(700ms);
  BOOST_REQUIRE_EQUAL(call("POST", "/v1/broadcasts/" + lapsed + "/resume").status, 200u);
  BOOST_TEST(received().empty());
  BOOST_TEST(get(later).at("started_at").is_null());
  auto b = wait_state(later, "finished");
  BOOST_TEST(core::wall_ms() >= now + 1500);
  BOOST_TEST(num(b.at("counts").as_object(), "sent") == 3);
  b = wait_state(lapsed, "finished");
  BOOST_TEST(num(b.at("counts").as_object(), "expired") == 3);
  BOOST_TEST(received().size() == 3u);  // only `later`'s
}

// Scheduled single sends: send_at and expires_at on POST .../messages (Meta never sees them).
BOOST_FIXTURE_TEST_CASE(a_single_send_waits_for_send_at_and_its_times_are_checked, fixture) {
  const auto now = core::wall_ms();
  json::object m{{"to", "+15553001000"}, {"type", "text"}, {"text", {{"body", "later"}}}, {"send_at", now + 1000}};
  auto r = call("POST", "/v1/instances/" + instance + "/messages", json::serialize(m));
  BOOST_REQUIRE_MESSAGE(r.status == 202u, r.body);
  const auto id = str(body_of(r), "id");
  BOOST_TEST(num(body_of(r), "send_at") == now + 1000);
  // A real wait: nothing may be sent before send_at (wall time).
  std::this_thread::sleep_for(500ms);
  BOOST_TEST(received().empty());
  BOOST_REQUIRE(wait_until([&] { return str(body_of(call("GET", "/v1/messages/" + id)), "status") == "sent"; }));
  BOOST_TEST(core::wall_ms() >= now + 1000);
  auto got = received();
  BOOST_REQUIRE_EQUAL(got.size(), 1u);
  BOOST_TEST(!got[0].as_object().at("request").as_object().contains("send_at"));  // Enfinito's, not Meta's

  // Times that cannot work are refused: expiry before send_at, expiry in the past.
  m = {{"to", "+15553001001"}, {"type", "text"}, {"text", {{"body", "too late"}}}, {"send_at", now + 20'000}};
  m["expires_at"] = now + 10'000;
  BOOST_TEST(call("POST", "/v1/instances/" + instance + "/messages", json::serialize(m)).status == 400u);
  m["send_at"] = now - 1;  // not in the future: at once
  m["expires_at"] = 1;
  BOOST_TEST(call("POST", "/v1/instances/" + instance + "/messages", json::serialize(m)).status == 400u);
}

BOOST_FIXTURE_TEST_CASE(single_sends_are_not_held_up_by_a_running_broadcast, fixture) {
  const auto second = create_instance(phone_b, waba_b);
  const auto id = created({{"recipients", recipients(5000)}});
  BOOST_REQUIRE(wait_until([&] { return received().size() >= 200; }));
  // While it runs (about 5 s at 1000/s): single sends on the other instance and on this one.
  std::vector<double> waits;
  for (int i = 0; i < 10; ++i) {
    for (const auto& inst : {second, instance}) {
      json::object m{{"to", "+1555300" + std::to_string(1000 + i)}, {"type", "text"}, {"text", {{"body", "hi"}}}};
      const auto t0 = std::chrono::steady_clock::now();
      auto r = call("POST", "/v1/instances/" + inst + "/messages", json::serialize(m));
      BOOST_REQUIRE_MESSAGE(r.status == 202u, r.body);
      const auto mid = str(body_of(r), "id");
      BOOST_REQUIRE(
          wait_until([&] { return str(body_of(call("GET", "/v1/messages/" + mid)), "status") == "sent"; }, 10s, 2ms));
      waits.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  BOOST_TEST(str(get(id), "state") == "running");  // measured while the broadcast ran
  std::sort(waits.begin(), waits.end());
  BOOST_TEST_MESSAGE("single send to sent, ms: median " << waits[waits.size() / 2] << " worst " << waits.back());
  // A broadcast message's turn would be seconds away (thousands queued ahead at 1000/s). Under
  // the sanitizers (support/latency.hpp) the bound would time the instrumentation; there the
  // check that every single send was sent while the broadcast still ran (above) remains.
#if ENFTEST_TIMING_BOUNDS
  BOOST_TEST(waits.back() < 500.0);
#endif
  BOOST_TEST(received(phone_b).size() == 10u);
}

// Header and button parameters per recipient (JSON and CSV), checked against the synced
// template copy (order_shipped: a DOCUMENT header, 2 body parameters, a URL button with a
// {{1}} at index 0 and a quick reply at index 1), reach Meta as its components.
BOOST_FIXTURE_TEST_CASE(header_and_button_parameters_reach_meta_per_recipient, fixture) {
  BOOST_REQUIRE_EQUAL(call("POST", "/v1/instances/" + instance + "/templates/sync").status, 200u);
  const json::object shipped{{"name", "order_shipped"}, {"language", "en_US"}};
  auto row = [](std::size_t i, const char* header_type) {
    const auto n = std::to_string(i);
    return json::object{
        {"to", "+1555" + std::to_string(2100000 + i)},
        {"parameters", json::array{"Pat", "#" + n}},
        {"header", {{"type", header_type}, {"link", "https://files.example.com/invoice-" + n + ".pdf"}}},
        {"buttons", json::array{json::object{{"index", 1}, {"sub_type", "quick_reply"}, {"payload", "stop-" + n}},
                                json::object{{"index", 0}, {"sub_type", "url"}, {"text", "track-" + n}}}}};
  };
  // The template copy refuses an image for its DOCUMENT header, and a row without the URL
  // button's parameter; nothing is created.
  auto r = create({{"template", shipped}, {"recipients", json::array{row(0, "image")}}});
  BOOST_REQUIRE_MESSAGE(r.status == 422u, r.body);
  BOOST_TEST(str(body_of(r).at("rejected").as_array().at(0).as_object(), "field") == "header.type");
  json::array no_url{row(0, "document")};
  no_url[0].as_object()["buttons"].as_array().pop_back();  // only the quick reply (index 1) is left
  r = create({{"template", shipped}, {"recipients", no_url}});
  BOOST_REQUIRE_MESSAGE(r.status == 422u, r.body);
  BOOST_TEST(body_of(r).at("rejected").as_array().at(0).at("detail").as_string().find("132000") != std::string::npos);
  BOOST_TEST(call("GET", "/v1/instances/" + instance + "/broadcasts").body.find("brd_") == std::string::npos);

  // JSON: three rows.
  json::array rows{row(0, "document"), row(1, "document"), row(2, "document")};
  const auto id = created({{"template", shipped}, {"recipients", rows}});
  BOOST_TEST(num(wait_state(id, "finished").at("counts").as_object(), "sent") == 3);
  // CSV: the same columns by name, in another order.
  const std::string csv =
      "to,button_1_payload,name,header_document,order,button_0_url\n"
      "+15552100003,stop-3,Pat,https://files.example.com/invoice-3.pdf,#3,track-3\n";
  r = call("POST", "/v1/instances/" + instance + "/broadcasts?template=order_shipped&language=en_US", csv, "text/csv");
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  wait_state(str(body_of(r), "id"), "finished");

  auto got = received();
  BOOST_REQUIRE_EQUAL(got.size(), 4u);
  std::set<std::string> seen;
  for (const auto& m : got) {
    const auto& req = m.as_object().at("request").as_object();
    const std::string to(req.at("to").as_string());
    const auto n = to.substr(to.size() - 1);  // +155521000N
    seen.insert(n);
    BOOST_TEST_CONTEXT("recipient " << to) {
      const auto& c = req.at("template").at("components").as_array();
      BOOST_REQUIRE_EQUAL(c.size(), 4u);
      BOOST_TEST(c[0].at("type").as_string() == "header");
      BOOST_TEST(c[0].at("parameters").at(0).at("document").at("link").as_string() ==
                 "https://files.example.com/invoice-" + n + ".pdf");
      BOOST_TEST(c[1].at("parameters").at(1).at("text").as_string() == "#" + n);
      BOOST_TEST(c[2].at("sub_type").as_string() == "url");
      BOOST_TEST(c[2].at("index").as_string() == "0");
      BOOST_TEST(c[2].at("parameters").at(0).at("text").as_string() == "track-" + n);
      BOOST_TEST(c[3].at("sub_type").as_string() == "quick_reply");
      BOOST_TEST(c[3].at("index").as_string() == "1");
      BOOST_TEST(c[3].at("parameters").at(0).at("payload").as_string() == "stop-" + n);
    }
  }
  BOOST_TEST(seen == (std::set<std::string>{"0", "1", "2", "3"}));
}

BOOST_AUTO_TEST_SUITE_END()

// kill -9 of the daemon (a child process) in the middle of a broadcast, then a restart on the
// same database: the broadcast resumes by itself, every recipient reaches Meta exactly once
// unless its message is flagged possible_duplicate (the queue's rule: a send in flight at the
// crash is sent again, once), and the counts add up to the recipients. No thread of the test's
// own: only the fake's, joined by its destructor, so a failed REQUIRE ends the test cleanly.
BOOST_AUTO_TEST_SUITE(broadcasts_crash)

BOOST_AUTO_TEST_CASE(kill_9_mid_broadcast_resumes_and_sends_each_recipient_once) {
  fake_meta meta{fake_config()};
  meta.admin("knobs", {{"latency_ms", 2}});  // sends take a moment: some are in flight at the kill
  temp_dir dir;
  const auto db_path = (dir / "enfinito.db").string();
  // 200 messages/s: 600 recipients take about 3 s, long enough to kill half way.
  const std::string toml = process_toml(db_path, meta.base_url(),
                                        "[queue]\nrate_per_instance = 200\nburst = 10\nmax_in_flight = 32\n"
                                        "backoff_base_ms = 50\nbackoff_max_ms = 500\nsweep_interval_ms = 200\n");
  daemon_process d(dir.path(), toml);
  BOOST_REQUIRE_MESSAGE(d.start(), d.log());
  const auto t = plant_tenant_in_file(db_path, "crash@example.com");
  auto call = [&](const std::string& method, const std::string& target, const std::string& body = {}) {
    header_list h{{"authorization", "Bearer " + t.key}};
    if (method == "POST") h.emplace_back("content-type", "application/json");
    return http_request("127.0.0.1", d.port(), method, target, h, body, 30s);
  };
  const auto instance =
      str(connect_instance(d.port(), t.key, {phone_a, waba_a, token, "appsecret0123456789abcdef"}), "id");

  constexpr std::size_t n = 600;
  json::object body{{"name", "Crash"},
                    {"template", {{"name", "appointment_reminder"}, {"language", "en_US"}}},
                    {"recipients", fixture::recipients(n)}};
  auto r = call("POST", "/v1/instances/" + instance + "/broadcasts", json::serialize(body));
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  const auto id = str(body_of(r), "id");
  auto received = [&] {
    return meta.admin_get(std::string("messages?phone_number_id=") + phone_a).at("messages").as_array();
  };

  // Kill once a sixth has reached Meta.
  BOOST_REQUIRE_MESSAGE(wait_until([&] { return received().size() >= n / 6; }, 60s, 5ms), d.log());
  d.signal(SIGKILL);
  BOOST_TEST(d.wait() == 128 + SIGKILL);
  const auto sent_before = received().size();
  BOOST_TEST_MESSAGE("at Meta before the kill: " << sent_before << " of " << n);
  BOOST_WARN(sent_before < n);  // the kill came mid-broadcast (timing: a warning only)

  // Restart on the same database: nobody resumes it but the daemon itself.
  BOOST_REQUIRE_MESSAGE(d.start(), d.log());
  json::object b;
  const bool finished = wait_until(
      [&] {
        auto g = call("GET", "/v1/broadcasts/" + id);
        if (g.status != 200u) return false;
        b = body_of(g);
        return str(b, "state") == "finished";
      },
      90s, 50ms);
  BOOST_TEST_MESSAGE("after the restart: " << json::serialize(b));
  BOOST_REQUIRE_MESSAGE(finished, d.log());

  // The counts: every recipient sent, and they add up to the recipients.
  const auto& c = b.at("counts").as_object();
  BOOST_TEST(num(b, "recipients") == static_cast<std::int64_t>(n));
  BOOST_TEST(num(c, "sent") == static_cast<std::int64_t>(n));
  std::int64_t sum = 0;
  for (const auto& [k, v] : c)
    if (v.is_int64()) sum += v.get_int64();
  BOOST_TEST(sum == static_cast<std::int64_t>(n));

  // At Meta: each recipient once, twice only when flagged possible_duplicate.
  std::map<std::string, int> at_meta;  // wa_id → times
  for (const auto& m : received()) ++at_meta[str(m.as_object(), "wa_id")];
  auto conn = store::connection::open(db_path, true);
  BOOST_REQUIRE(conn.has_value());
  (*conn)->exec("PRAGMA busy_timeout = 5000;");
  core::error_code ec;
  auto* s = (*conn)->prepare("SELECT peer, status, possible_duplicate FROM messages WHERE broadcast_id = ?1", ec);
  BOOST_REQUIRE(s);
  s->bind(1, id);
  std::size_t rows = 0, flagged = 0, twice = 0, wrong = 0;
  while (s->step(ec)) {
    ++rows;
    const auto peer = s->text(0);
    const bool dup = s->int64(2) != 0;
    flagged += dup;
    const int times = at_meta.count(peer) ? at_meta[peer] : 0;
    twice += times > 1;
    if (s->text(1) != "sent" || times < 1 || times > (dup ? 2 : 1))
      if (++wrong <= 5) BOOST_TEST_MESSAGE("wrong: " << peer << " status=" << s->text(1) << " times=" << times);
  }
  s->reset();
  BOOST_TEST(!ec);
  BOOST_TEST(rows == n);
  BOOST_TEST(wrong == 0u);
  BOOST_TEST(at_meta.size() == n);  // nobody else, nobody lost
  BOOST_TEST(twice <= flagged);
  BOOST_TEST((d.log().find("outbound.queue_recovered_leases") != std::string::npos || flagged == 0));
  BOOST_TEST_MESSAGE("flagged possible_duplicate: " << flagged << ", sent twice: " << twice);
  d.signal(SIGTERM);
  BOOST_TEST(d.wait() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
