// The Meta passthrough routes end to end: the real daemon in-process, a real database file,
// and the fake Graph API in-process as Meta. Each route round trip; someone else's instance
// is a 404; Meta's errors map to our codes without Meta's text; 190 marks the instance
// needs_reauth; the per-type media limits and the upload route's own body limit.
#include "fake_graph/server.hpp"
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/fake_numbers.hpp"
#include "support/tenants.hpp"
#include "support/http_client.hpp"
#include "support/instances.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"

#include <enfinito/crypto/encoding.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <thread>

namespace {

namespace json = boost::json;
namespace acc = enfinito::store::accounts;
using namespace enfinito;
using namespace enfinito::test;

constexpr const char* token = "EAAGcanaryMETAroutesTOKENq7Zk2Lw9Xv4Rt6Yp1";
constexpr const char* secret = "canarySECRETmeta4d9c2b7e1f0a";
constexpr std::size_t MB = 1024 * 1024;

std::string fake_config() {
  return fake_graph_config(
      {{phone_a, waba_a},
       {phone_b, waba_b, {{"display_phone_number", "15550001111"}, {"verified_name", "Other Shop"}}}},
      {token}, {{"seed_templates", true}});
}

// The fake Graph API with this file's numbers and tokens (support/fake_graph_server.hpp).
struct fake_shop : test::fake_meta {
  fake_shop() : test::fake_meta(fake_config()) {}
};

json::object body_of(const http_result& r) { return json::parse(r.body).as_object(); }
std::string str(const json::object& o, const char* k) { return std::string(o.at(k).as_string()); }
std::string code_of(const http_result& r) {
  auto v = json::parse(r.body);
  return v.is_object() && v.as_object().contains("code") ? std::string(v.at("code").as_string()) : "";
}

// Everything the gateway answered, for the canary and Meta-text checks.
struct api {
  std::uint16_t port;
  std::string seen;
  http_result call(const tenant& t, const std::string& method, const std::string& target, const std::string& body = {},
                   const std::string& type = "application/json") {
    header_list h{{"authorization", "Bearer " + t.key}};
    if (!body.empty() || type != "application/json") h.emplace_back("content-type", type);
    auto r = http_request("127.0.0.1", port, method, target, h, body, std::chrono::seconds(30));
    seen += r.body + "\n";
    return r;
  }
};

std::string sha256_b64(const std::string& data) {
  const auto d = crypto::sha256(data);
  return crypto::base64_encode(std::span<const unsigned char>(d.data(), d.size()));
}

// A small PNG-looking file of `n` bytes.
std::string png(std::size_t n) {
  std::string s("\x89PNG\r\n\x1a\n", 8);
  s.resize(n, 'p');
  return s;
}

std::string multipart(const std::string& boundary, const std::string& mime, const std::string& data,
                      const std::string& type_part = {}) {
  std::string b;
  if (!type_part.empty())
    b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\n" + type_part + "\r\n";
  b += "--" + boundary +
       "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"pic.png\"\r\nContent-Type: " + mime + "\r\n\r\n" +
       data + "\r\n--" + boundary + "--\r\n";
  return b;
}

struct meta_routes_fixture {
  fake_shop meta;
  running_app app{[this](config::settings& s) {
    s.meta.base_url = meta.base_url();
    s.meta.timeout = std::chrono::milliseconds(10000);
    // Small enough to test the route's own limit, above the 1 MiB default of other routes.
    s.media.upload_body_bytes = 6 * MB;
  }};
  api client{app.port()};
  tenant alice = make_tenant(app.get().database(), "alice@example.com");
  std::string id = connect(alice, phone_a, waba_a);

  std::string connect(const tenant& t, const char* phone, const char* waba, const char* meta_token = token) {
    return str(connect_instance(app.port(), t.key, {phone, waba, meta_token, secret}), "id");
  }
  std::string at(const std::string& rest) { return "/v1/instances/" + id + rest; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(meta_routes)

BOOST_FIXTURE_TEST_CASE(mark_as_read_and_typing_indicator, meta_routes_fixture) {
  const auto wamid = str(meta.admin("inbound", {{"phone_number_id", phone_a}, {"type", "text"}}), "id");
  auto r = client.call(alice, "POST", at("/messages/" + wamid + "/read"));
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  BOOST_TEST(body_of(r).at("success") == true);
  auto typing = client.call(alice, "POST", at("/messages/" + wamid + "/read"), R"({"typing_indicator":true})");
  BOOST_TEST(typing.status == 200u, typing.body);
  // Input checks name the field.
  auto bad = client.call(alice, "POST", at("/messages/" + wamid + "/read"), R"({"typing_indicator":"yes"})");
  BOOST_TEST(bad.status == 400u);
  BOOST_TEST(str(body_of(bad), "field") == "typing_indicator");
  auto unknown = client.call(alice, "POST", at("/messages/" + wamid + "/read"), R"({"typing":true})");
  BOOST_TEST(unknown.status == 400u);
  BOOST_TEST(code_of(unknown) == "unknown_field");
  // A wamid Meta does not know: Meta's code, not Meta's words.
  auto stranger = client.call(alice, "POST", at("/messages/wamid.NOTRECEIVED/read"));
  BOOST_TEST(stranger.status == 502u);
  BOOST_TEST(stranger.header("content-type") == "application/problem+json");
  BOOST_TEST(code_of(stranger) == "meta_error");
  BOOST_TEST(body_of(stranger).at("meta_code") == 100);
  BOOST_TEST(stranger.body.find("received by this phone number") == std::string::npos);
  BOOST_TEST(stranger.body.find("NOTRECEIVED") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(media_upload_info_download_delete, meta_routes_fixture) {
  // Raw upload, 2 MB: over the server's 1 MiB default body limit, under the route's own.
  const auto file = png(2 * MB);
  auto up = client.call(alice, "POST", at("/media?filename=pic.png"), file, "image/png");
  BOOST_REQUIRE_MESSAGE(up.status == 201u, up.body);
  const auto media_id = str(body_of(up), "id");
  BOOST_TEST(up.header("location") == at("/media/" + media_id));

  auto info = client.call(alice, "GET", at("/media/" + media_id));
  BOOST_REQUIRE_MESSAGE(info.status == 200u, info.body);
  auto o = body_of(info);
  BOOST_TEST(str(o, "mime_type") == "image/png");
  BOOST_TEST(o.at("file_size").to_number<std::uint64_t>() == 2 * MB);
  BOOST_TEST(str(o, "sha256") == sha256_b64(file));
  BOOST_TEST(!o.contains("url"));  // Meta's URL needs the instance token: never handed out
  BOOST_TEST(str(o, "content_url") == at("/media/" + media_id + "/content"));

  auto got = client.call(alice, "GET", at("/media/" + media_id + "/content"));
  BOOST_REQUIRE_MESSAGE(got.status == 200u, got.body.substr(0, 300));
  BOOST_TEST(got.header("content-type") == "image/png");
  BOOST_TEST(got.body.size() == file.size());
  BOOST_TEST((got.body == file));
  BOOST_TEST(got.header("x-media-sha256") == sha256_b64(file));

  // Multipart upload, with a `type` part and the part's own Content-Type agreeing.
  const auto small = png(1000);
  auto mp = client.call(alice, "POST", at("/media"), multipart("B0undary", "image/png", small, "image/png"),
                        "multipart/form-data; boundary=B0undary");
  BOOST_REQUIRE_MESSAGE(mp.status == 201u, mp.body);
  const auto mp_id = str(body_of(mp), "id");
  auto mp_got = client.call(alice, "GET", at("/media/" + mp_id + "/content"));
  BOOST_TEST((mp_got.body == small));

  // Delete; afterwards Meta no longer knows it.
  auto del = client.call(alice, "DELETE", at("/media/" + media_id));
  BOOST_TEST(del.status == 204u, del.body);
  auto gone = client.call(alice, "GET", at("/media/" + media_id));
  BOOST_TEST(gone.status == 404u);
  BOOST_TEST(code_of(gone) == "media_not_found");
  BOOST_TEST(client.call(alice, "GET", at("/media/" + media_id + "/content")).status == 404u);
  BOOST_TEST(client.call(alice, "GET", at("/media/12345678901")).status == 404u);
  BOOST_TEST(client.call(alice, "GET", at("/media/not-an-id")).status == 400u);
}

BOOST_FIXTURE_TEST_CASE(media_limits_and_bad_uploads, meta_routes_fixture) {
  const auto before = meta.requests();
  auto expect = [&](const http_result& r, unsigned status, const std::string& code) {
    BOOST_TEST(r.status == status, r.body);
    BOOST_TEST(code_of(r) == code, r.body);
  };
  // Over WhatsApp's per-type limits: a 413 that says so, before Meta is asked.
  expect(client.call(alice, "POST", at("/media"), png(5 * MB + 1), "image/png"), 413, "media_too_large");
  auto sticker = client.call(alice, "POST", at("/media"), std::string(100 * 1024 + 1, 'w'), "image/webp");
  expect(sticker, 413, "media_too_large");
  BOOST_TEST(str(body_of(sticker), "detail").find("100 KB") != std::string::npos);
  // Over the route's own body limit (media.upload_body_bytes): refused from the headers alone.
  {
    raw_conn c(app.port());
    c.send("POST " + at("/media") + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice.key +
           "\r\nContent-Type: video/mp4\r\nContent-Length: " + std::to_string(7 * MB) + "\r\n\r\n");
    auto r = c.read_response();
    BOOST_REQUIRE(r);
    BOOST_TEST(r->status == 413);
    BOOST_TEST(r->body.find("body_too_large") != std::string::npos);
  }
  // Types WhatsApp does not take, and forms without what is needed.
  expect(client.call(alice, "POST", at("/media"), "GIF89a", "image/gif"), 415, "unsupported_media_type");
  expect(client.call(alice, "POST", at("/media"), "", "image/png"), 400, "invalid_field");
  auto mismatch = client.call(alice, "POST", at("/media"), multipart("b", "image/png", png(10), "image/jpeg"),
                              "multipart/form-data; boundary=b");
  expect(mismatch, 400, "invalid_field");
  BOOST_TEST(str(body_of(mismatch), "field") == "type");
  auto untyped = client.call(alice, "POST", at("/media"), multipart("b", "application/octet-stream", png(10)),
                             "multipart/form-data; boundary=b");
  expect(untyped, 400, "missing_field");
  expect(client.call(alice, "POST", at("/media"), "--b\r\nbroken", "multipart/form-data; boundary=b"), 400,
         "invalid_multipart");
  auto no_file = client.call(alice, "POST", at("/media"),
                             "--b\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nimage/png\r\n--b--\r\n",
                             "multipart/form-data; boundary=b");
  expect(no_file, 400, "missing_field");
  BOOST_TEST(str(body_of(no_file), "field") == "file");
  BOOST_TEST(meta.requests() == before + 1);  // none of these reached Meta (+1: the stats call)
}

BOOST_FIXTURE_TEST_CASE(templates_list_pages_and_create, meta_routes_fixture) {
  auto first = client.call(alice, "GET", at("/templates?limit=2"));
  BOOST_REQUIRE_MESSAGE(first.status == 200u, first.body);
  auto p1 = body_of(first);
  BOOST_TEST(p1.at("data").as_array().size() == 2u);
  BOOST_REQUIRE(p1.at("paging").at("after").is_string());
  const std::string after(p1.at("paging").at("after").as_string());
  auto second = client.call(alice, "GET", at("/templates?limit=2&after=" + after));
  BOOST_REQUIRE_EQUAL(second.status, 200u);
  auto p2 = body_of(second);
  BOOST_TEST(p2.at("data").as_array().size() == 2u);
  BOOST_TEST(p2.at("data").at(0).at("name") != p1.at("data").at(0).at("name"));
  BOOST_TEST(p2.at("paging").at("before").is_string());

  json::object tpl{{"name", "spring_sale"},
                   {"language", "en_US"},
                   {"category", "MARKETING"},
                   {"components", json::array{json::object{{"type", "BODY"}, {"text", "Spring is here!"}}}}};
  auto created = client.call(alice, "POST", at("/templates"), json::serialize(tpl));
  BOOST_REQUIRE_MESSAGE(created.status == 201u, created.body);
  BOOST_TEST(!str(body_of(created), "id").empty());
  BOOST_TEST(str(body_of(created), "status") == "PENDING");
  auto found = client.call(alice, "GET", at("/templates?name=spring_sale"));
  BOOST_REQUIRE_EQUAL(found.status, 200u);
  BOOST_TEST(body_of(found).at("data").as_array().size() == 1u);

  // Our checks, each naming the field.
  auto bad = [&](json::object b, const std::string& field) {
    auto r = client.call(alice, "POST", at("/templates"), json::serialize(b));
    BOOST_TEST_CONTEXT(field) {
      BOOST_TEST(r.status == 400u);
      BOOST_TEST(str(body_of(r), "field") == field);
    }
  };
  auto t = tpl;
  t["name"] = "Spring Sale";
  bad(t, "name");
  t = tpl;
  t["category"] = "PROMO";
  bad(t, "category");
  t = tpl;
  t.erase("language");
  bad(t, "language");
  t = tpl;
  t["components"] = json::array{json::object{{"type", "FOOTER"}, {"text", "x"}}};
  bad(t, "components");
  t = tpl;
  t["components"] = json::array{json::object{{"type", "STICKER"}}};
  bad(t, "components[0].type");
  BOOST_TEST(client.call(alice, "GET", at("/templates?limit=500")).status == 400u);
  BOOST_TEST(client.call(alice, "GET", at("/templates?after=a&before=b")).status == 400u);

  // Meta's own refusal (a variable without an example): its code, not its words.
  t = tpl;
  t["components"] = json::array{json::object{{"type", "BODY"}, {"text", "Hi {{1}}"}}};
  auto refused = client.call(alice, "POST", at("/templates"), json::serialize(t));
  BOOST_TEST(refused.status == 502u);
  BOOST_TEST(code_of(refused) == "meta_error");
  BOOST_TEST(body_of(refused).at("meta_code") == 100);
  BOOST_TEST(refused.body.find("sample") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(business_profile_get_and_update, meta_routes_fixture) {
  auto got = client.call(alice, "GET", at("/business-profile"));
  BOOST_REQUIRE_MESSAGE(got.status == 200u, got.body);
  BOOST_TEST(!body_of(got).contains("messaging_product"));
  auto upd =
      client.call(alice, "PATCH", at("/business-profile"),
                  R"({"about":"Succulent specialists","websites":["https://luckyshrub.example"],"vertical":"RETAIL"})");
  BOOST_REQUIRE_MESSAGE(upd.status == 200u, upd.body);
  BOOST_TEST(body_of(upd).at("success") == true);
  auto again = body_of(client.call(alice, "GET", at("/business-profile")));
  BOOST_TEST(str(again, "about") == "Succulent specialists");
  BOOST_TEST(str(again, "vertical") == "RETAIL");
  BOOST_TEST(again.at("websites").at(0) == "https://luckyshrub.example");

  auto bad = [&](const std::string& body, const std::string& field) {
    auto r = client.call(alice, "PATCH", at("/business-profile"), body);
    BOOST_TEST_CONTEXT(body) {
      BOOST_TEST(r.status == 400u);
      BOOST_TEST(str(body_of(r), "field") == field);
    }
  };
  bad(R"({"about":")" + std::string(140, 'a') + R"("})", "about");
  bad(R"({"about":""})", "about");
  bad(R"({"description":")" + std::string(513, 'd') + R"("})", "description");
  bad(R"({"websites":["https://a.example","https://b.example","https://c.example"]})", "websites");
  bad(R"({"websites":["ftp://a.example"]})", "websites");
  bad(R"({"email":"no-at-sign"})", "email");
  bad(R"({"colour":"green"})", "colour");
  bad(R"({})", "");
  // A vertical that looks right to us but Meta does not have: Meta's code, not its words.
  auto refused = client.call(alice, "PATCH", at("/business-profile"), R"({"vertical":"SPACESHIPS"})");
  BOOST_TEST(refused.status == 502u);
  BOOST_TEST(body_of(refused).at("meta_code") == 100);
  BOOST_TEST(refused.body.find("vertical") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(someone_elses_instance_is_404_on_every_route, meta_routes_fixture) {
  auto bob = make_tenant(app.get().database(), "bob@example.com");
  const auto bobs = connect(bob, phone_b, waba_b);
  // Alice's media id, to try through Bob's instance too.
  auto up = client.call(alice, "POST", at("/media"), png(100), "image/png");
  BOOST_REQUIRE_EQUAL(up.status, 201u);
  const auto media_id = str(body_of(up), "id");
  const std::vector<std::tuple<std::string, std::string, std::string>> calls{
      {"POST", "/messages/wamid.X/read", ""},
      {"POST", "/media", "x"},
      {"GET", "/media/" + media_id, ""},
      {"GET", "/media/" + media_id + "/content", ""},
      {"DELETE", "/media/" + media_id, ""},
      {"GET", "/templates", ""},
      {"POST", "/templates", "{}"},
      {"GET", "/business-profile", ""},
      {"PATCH", "/business-profile", R"({"about":"mine"})"},
  };
  for (const auto& [method, rest, body] : calls) {
    BOOST_TEST_CONTEXT(method << " " << rest) {
      auto x = client.call(bob, method, at(rest), body, rest == "/media" ? "image/png" : "application/json");
      BOOST_TEST(x.status == 404u);
      BOOST_TEST(code_of(x) == "instance_not_found");
    }
  }
  // Alice's media id through Bob's own instance (another number): Meta's phone_number_id
  // filter makes it unknown there.
  auto cross = client.call(bob, "GET", "/v1/instances/" + bobs + "/media/" + media_id);
  BOOST_TEST(cross.status == 404u);
  BOOST_TEST(code_of(cross) == "media_not_found");
  BOOST_TEST(client.call(bob, "DELETE", "/v1/instances/" + bobs + "/media/" + media_id).status == 404u);
  BOOST_TEST(client.call(alice, "GET", at("/media/" + media_id)).status == 200u);  // still there

  // A key of Alice's limited to another instance, and a read-only key writing.
  auto scoped = make_tenant(app.get().database(), "scoped@example.com", {"ins_other"});
  BOOST_TEST(client.call(scoped, "GET", at("/templates")).status == 404u);
  auto read_only =
      make_tenant(app.get().database(), "", tenant_options{.read_only = true, .existing_user_id = alice.user_id});
  BOOST_TEST(client.call(read_only, "GET", at("/templates")).status == 200u);
  BOOST_TEST(client.call(read_only, "PATCH", at("/business-profile"), R"({"about":"x"})").status == 403u);
  BOOST_TEST(client.call(read_only, "POST", at("/media"), png(10), "image/png").status == 403u);
}

// Issue 23 finding 6: a media id of another business's number is refused by Meta for this
// instance's token (403, code 10). That means "not yours": a 404 media_not_found on every media
// route, exactly as for an id nobody has, never a 502 meta_error; on the Graph-compatible routes
// Meta's own "does not exist" envelope. The refusal says nothing about the instance's token.
BOOST_FIXTURE_TEST_CASE(another_business_media_id_is_media_not_found, meta_routes_fixture) {
  constexpr const char* token_b = "EAAGotherBUSINESStokenq7Zk2Lw9Xv4Rt6Yp1";
  meta.admin("tokens", {{"token", token_b}, {"waba_ids", json::array{waba_b}}});
  auto bob = make_tenant(app.get().database(), "bob@example.com");
  const auto bobs = connect(bob, phone_b, waba_b, token_b);
  auto up = client.call(alice, "POST", at("/media"), png(100), "image/png");
  BOOST_REQUIRE_EQUAL(up.status, 201u);
  const auto media_id = str(body_of(up), "id");
  const std::string nobodys = "98765432109876";
  const std::string mine = "/v1/instances/" + bobs + "/media/";
  for (const auto& [method, suffix] :
       {std::pair<std::string, std::string>{"GET", ""}, {"GET", "/content"}, {"DELETE", ""}}) {
    BOOST_TEST_CONTEXT(method << " media" << suffix) {
      auto foreign = client.call(bob, method, mine + media_id + suffix);
      auto unknown = client.call(bob, method, mine + nobodys + suffix);
      BOOST_TEST(foreign.status == 404u, foreign.body);
      BOOST_TEST(code_of(foreign) == "media_not_found");
      BOOST_TEST(unknown.status == foreign.status);
      BOOST_TEST(code_of(unknown) == code_of(foreign));
    }
  }
  // The Graph-compatible routes: Meta's "object does not exist" (400, 100/33), as for a bad id.
  for (const auto& method : {"GET", "DELETE"}) {
    BOOST_TEST_CONTEXT(method << " /graph media") {
      auto foreign = client.call(bob, method, "/graph/v23.0/" + media_id + "?phone_number_id=" + phone_b);
      auto unknown = client.call(bob, method, "/graph/v23.0/" + nobodys + "?phone_number_id=" + phone_b);
      BOOST_TEST(foreign.status == 400u, foreign.body);
      auto err = json::parse(foreign.body).at("error").as_object();
      BOOST_TEST(err.at("code") == 100);
      BOOST_TEST(err.at("error_subcode") == 33);
      BOOST_TEST(err.at("message").as_string().find(media_id) != std::string::npos);
      BOOST_TEST(unknown.status == foreign.status);
      auto uerr = json::parse(unknown.body).at("error").as_object();
      BOOST_TEST(uerr.at("code") == err.at("code"));
      BOOST_TEST(uerr.at("error_subcode") == err.at("error_subcode"));
    }
  }
  // Bob's instance is fine, and Alice's media is still there.
  auto bobs_view = client.call(bob, "GET", "/v1/instances/" + bobs);
  BOOST_TEST(str(body_of(bobs_view), "status") == "active");
  BOOST_TEST(client.call(alice, "GET", at("/media/" + media_id)).status == 200u);
}

BOOST_FIXTURE_TEST_CASE(token_refused_by_meta_marks_needs_reauth, meta_routes_fixture) {
  meta.admin("tokens", {{"token", token}, {"state", "expired"}});
  auto r = client.call(alice, "GET", at("/business-profile"));
  BOOST_TEST(r.status == 409u, r.body);
  BOOST_TEST(code_of(r) == "instance_needs_reauth");
  // Stored on the instance, with the reason.
  auto inst = body_of(client.call(alice, "GET", at("")));
  BOOST_TEST(str(inst, "status") == "needs_reauth");
  BOOST_TEST(str(inst, "status_reason").find("190") != std::string::npos);
  // The change is on the event log (and so on the feed and customer webhooks), once.
  auto events = body_of(client.call(alice, "GET", "/v1/events?type=instance.status"));
  const auto& data = events.at("data").as_array();
  BOOST_REQUIRE_EQUAL(data.size(), 1u);
  BOOST_TEST(str(data[0].as_object(), "instance_id") == id);
  BOOST_TEST(str(data[0].at("data").as_object(), "status") == "needs_reauth");
  BOOST_TEST(str(data[0].at("data").as_object(), "reason") == str(inst, "status_reason"));
  // From now on Meta is not bothered until the token is replaced.
  const auto before = meta.requests();
  BOOST_TEST(code_of(client.call(alice, "GET", at("/templates"))) == "instance_needs_reauth");
  BOOST_TEST(client.call(alice, "POST", at("/media"), png(10), "image/png").status == 409u);
  BOOST_TEST(meta.requests() == before + 1);  // +1: the stats call itself
  // Disabled instances are refused the same way, with their own code.
  auto off = client.call(alice, "PATCH", at(""), R"({"status":"disabled"})");
  BOOST_REQUIRE_EQUAL(off.status, 200u);
  BOOST_TEST(code_of(client.call(alice, "GET", at("/business-profile"))) == "instance_disabled");
}

BOOST_FIXTURE_TEST_CASE(meta_unreachable_is_upstream_unavailable, meta_routes_fixture) {
  // Every connection is reset while this runs: a GET on a kept-alive connection is retried once
  // on a fresh one (upstream client), so a single reset is not an outage when the call lands on
  // a reactor with a pooled connection.
  meta.admin("reset_connections", {{"fraction", 1.0}});
  auto r = client.call(alice, "GET", at("/business-profile"));
  meta.admin("reset_connections", {{"count", 0}, {"fraction", 0.0}});
  BOOST_TEST(r.status == 502u, r.body);
  BOOST_TEST(code_of(r) == "upstream_unavailable");
  BOOST_TEST(client.call(alice, "GET", at("/business-profile")).status == 200u);  // it recovers
}

BOOST_FIXTURE_TEST_CASE(media_transfers_in_flight_are_capped, meta_routes_fixture) {
  // This daemon allows 8; a second one allowing 1, on the same fake, shows the cap.
  running_app one([this](config::settings& s) {
    s.meta.base_url = meta.base_url();
    s.media.max_concurrent = 1;
  });
  api c1{one.port()};
  auto t = make_tenant(one.get().database(), "one@example.com");
  const auto base = "/v1/instances/" + str(connect_instance(one.port(), t.key, {phone_b, waba_b, token, secret}), "id");
  // Meta answers slowly: the first upload holds the only slot while the second arrives.
  meta.admin("knobs", {{"latency_ms", 1500}});
  http_result first;
  std::thread slow([&] {
    api c{one.port()};
    first = c.call(t, "POST", base + "/media", png(100), "image/png");
  });
  // A real wait: the first upload is at the slow Meta (nothing to poll on this side).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto busy = c1.call(t, "POST", base + "/media", png(100), "image/png");
  slow.join();
  meta.admin("knobs", {{"latency_ms", 0}});
  BOOST_TEST(first.status == 201u, first.body);
  BOOST_TEST(busy.status == 503u, busy.body);
  BOOST_TEST(code_of(busy) == "media_busy");
  BOOST_TEST(busy.header("retry-after") == "5");
  // The slot is given back.
  BOOST_TEST(c1.call(t, "POST", base + "/media", png(100), "image/png").status == 201u);
}

BOOST_FIXTURE_TEST_CASE(a_slow_reader_gets_the_whole_download, meta_routes_fixture) {
  // JSON answers must be written within 300 ms here; the download route has media.timeout_ms.
  running_app slow_app([this](config::settings& s) {
    s.meta.base_url = meta.base_url();
    s.limits.write_timeout = std::chrono::milliseconds(300);
    s.media.timeout = std::chrono::milliseconds(20'000);
  });
  api c{slow_app.port()};
  auto t = make_tenant(slow_app.get().database(), "slow@example.com");
  const auto base =
      "/v1/instances/" + str(connect_instance(slow_app.port(), t.key, {phone_b, waba_b, token, secret}), "id");
  std::string video(15 * MB, '\0');
  for (std::size_t i = 0; i < video.size(); ++i) video[i] = static_cast<char>(i * 31 % 251);
  auto up = c.call(t, "POST", base + "/media", video, "video/mp4");
  BOOST_REQUIRE_MESSAGE(up.status == 201u, up.body);
  // More than the socket buffers hold, and the reader waits well past 300 ms before reading.
  raw_conn conn(slow_app.port());
  conn.send("GET " + base + "/media/" + str(body_of(up), "id") +
            "/content HTTP/1.1\r\nHost: x\r\n"
            "Authorization: Bearer " +
            t.key + "\r\nConnection: close\r\n\r\n");
  // A real wait: the reader reads nothing for well past the 300 ms write timeout.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto r = conn.read_response(std::chrono::seconds(20));
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 200);
  BOOST_TEST(r->header("content-type") == "video/mp4");
  BOOST_TEST(r->body.size() == video.size());
  BOOST_TEST((r->body == video));
}

BOOST_FIXTURE_TEST_CASE(no_secret_in_any_answer, meta_routes_fixture) {
  const auto wamid = str(meta.admin("inbound", {{"phone_number_id", phone_a}, {"type", "text"}}), "id");
  client.call(alice, "POST", at("/messages/" + wamid + "/read"));
  auto up = client.call(alice, "POST", at("/media"), png(64), "image/png");
  client.call(alice, "GET", at("/media/" + str(body_of(up), "id")));
  client.call(alice, "GET", at("/templates"));
  client.call(alice, "GET", at("/business-profile"));
  meta.admin("tokens", {{"token", token}, {"state", "revoked"}});
  client.call(alice, "GET", at("/templates"));
  BOOST_TEST(client.seen.find(token) == std::string::npos);
  BOOST_TEST(client.seen.find(secret) == std::string::npos);
  BOOST_TEST(client.seen.find("fbsbx") == std::string::npos);
  BOOST_TEST(client.seen.find("/_media/download") == std::string::npos);  // Meta's URL stays inside
}

BOOST_AUTO_TEST_SUITE_END()
