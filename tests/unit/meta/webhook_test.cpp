// meta::webhook: signatures over exact bytes, envelope parsing of every update kind, batches,
// unknown types kept, and status ordering. Meta's published samples are used when present.
#include <enfinito/crypto/hash.hpp>
#include <enfinito/meta/graph.hpp>
#include <enfinito/meta/webhook.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace enfinito;

namespace {
const std::filesystem::path fixtures = std::filesystem::path(ENFINITO_SHARED_DIR) / "meta" / "fixtures";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The project's own batch: two entries, a text and an unknown future type, a status, a
// value-level error and a template status update.
const std::string own_batch = R"({"object":"whatsapp_business_account","entry":[
 {"id":"900000000000001","changes":[
  {"field":"messages","value":{"messaging_product":"whatsapp",
   "metadata":{"display_phone_number":"15550001111","phone_number_id":"800000000000001"},
   "contacts":[{"profile":{"name":"Zo\u00eb"},"wa_id":"4915112345678","user_id":"DE.1234"}],
   "messages":[
    {"from":"4915112345678","id":"wamid.own-1","timestamp":"1760000000","type":"text","text":{"body":"hallo"}},
    {"from":"4915112345678","id":"wamid.own-2","timestamp":"1760000001","type":"hologram","hologram":{"depth":3}}]}},
  {"field":"messages","value":{"messaging_product":"whatsapp",
   "metadata":{"display_phone_number":"15550001111","phone_number_id":"800000000000001"},
   "statuses":[{"id":"wamid.out-1","status":"failed","timestamp":"1760000002","recipient_id":"4915112345678",
     "errors":[{"code":131047,"title":"Re-engagement message"}]}],
   "errors":[{"code":130429,"title":"Rate limit hit"}]}}]},
 {"id":"900000000000001","time":1760000003,"changes":[
  {"field":"message_template_status_update","value":{"event":"APPROVED","message_template_name":"order_update"}}]}]})";
}  // namespace

BOOST_AUTO_TEST_SUITE(meta_webhook)

BOOST_AUTO_TEST_CASE(signature_is_checked_over_the_exact_bytes) {
  std::string secret = "own-app-secret-for-tests";
  std::string header = "sha256=" + crypto::hmac_sha256_hex(secret, own_batch);
  BOOST_TEST(meta::verify_signature(own_batch, header, secret));
  std::string flipped = own_batch;
  flipped[10] ^= 1;
  BOOST_TEST(!meta::verify_signature(flipped, header, secret));
  BOOST_TEST(!meta::verify_signature(own_batch, header, "other-secret"));
  std::string upper = header;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  BOOST_TEST(!meta::verify_signature(own_batch, upper, secret));             // SHA256=…, HEX
  BOOST_TEST(!meta::verify_signature(own_batch, header.substr(7), secret));  // no prefix
  BOOST_TEST(!meta::verify_signature(own_batch, header + "00", secret));     // too long
  BOOST_TEST(!meta::verify_signature(own_batch, "sha1=" + header.substr(7), secret));
  BOOST_TEST(!meta::verify_signature(own_batch, "", secret));
  BOOST_TEST(!meta::verify_signature(own_batch, header, ""));  // no secret, no trust
  // An equivalent JSON re-serialisation is different bytes: refused.
  auto reserialised = boost::json::serialize(boost::json::parse(own_batch));
  BOOST_TEST(!meta::verify_signature(reserialised, header, secret));
}

BOOST_AUTO_TEST_CASE(metas_published_signature_examples_verify) {
  for (auto name : {"webhook-signature-example.json", "webhook-signature-example-unicode.json"}) {
    auto path = fixtures / name;
    if (!std::filesystem::exists(path)) {
      BOOST_TEST_MESSAGE("shared fixtures absent: skipped " << name);
      continue;
    }
    BOOST_TEST_CONTEXT(name) {
      auto f = boost::json::parse(slurp(path)).as_object();
      std::string raw(f.at("raw_body").as_string()), secret(f.at("app_secret").as_string()),
          header(f.at("header_value").as_string());
      BOOST_TEST(meta::verify_signature(raw, header, secret));
      BOOST_TEST(!meta::verify_signature(boost::json::serialize(boost::json::parse(raw)), header, secret) ==
                 (raw.find("\\u") != std::string::npos));  // re-serialising unescapes \u: refused
      auto n = meta::parse_notification(raw);
      BOOST_REQUIRE(n);
      BOOST_TEST(n->updates.size() >= 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_update_of_a_batch_is_kept) {
  auto n = meta::parse_notification(own_batch);
  BOOST_REQUIRE(n);
  BOOST_TEST(n->object == "whatsapp_business_account");
  BOOST_REQUIRE(n->updates.size() == 5u);
  auto& text = n->updates[0];
  BOOST_TEST((text.kind == meta::update_kind::message));
  BOOST_TEST(text.id == "wamid.own-1");
  BOOST_TEST(text.type == "text");
  BOOST_TEST(text.from == "4915112345678");
  BOOST_TEST(text.timestamp == 1760000000);
  BOOST_TEST(text.phone_number_id == "800000000000001");
  BOOST_TEST(text.waba_id == "900000000000001");
  BOOST_TEST(text.contact_name == "Zo\xc3\xab");
  BOOST_TEST(text.user_id == "DE.1234");
  auto& future = n->updates[1];
  BOOST_TEST(future.type == "hologram");                            // unknown type: kept
  BOOST_TEST(future.raw.find("\"depth\":3") != std::string::npos);  // with its fields
  auto& status = n->updates[2];
  BOOST_TEST((status.kind == meta::update_kind::status));
  BOOST_TEST(status.type == "failed");
  BOOST_TEST(status.error_code.value_or(0) == 131047);
  BOOST_TEST(status.error_title == "Re-engagement message");
  auto& error = n->updates[3];
  BOOST_TEST((error.kind == meta::update_kind::error));
  BOOST_TEST(error.error_code.value_or(0) == 130429);
  auto& tmpl = n->updates[4];
  BOOST_TEST((tmpl.kind == meta::update_kind::other_field));
  BOOST_TEST(tmpl.field == "message_template_status_update");
  BOOST_TEST(tmpl.raw.find("APPROVED") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_published_webhook_sample_parses) {
  if (!std::filesystem::exists(fixtures)) {
    BOOST_TEST_MESSAGE("shared fixtures absent: skipped");
    return;
  }
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(fixtures)) {
    auto name = e.path().filename().string();
    if (!name.starts_with("webhook-") || name.find("signature") != std::string::npos ||
        name.find("verify") != std::string::npos)
      continue;
    ++files;
    BOOST_TEST_CONTEXT(name) {
      auto n = meta::parse_notification(slurp(e.path()));
      BOOST_REQUIRE(n);
      BOOST_TEST(!n->updates.empty());
      for (auto& u : n->updates) {
        if (u.kind == meta::update_kind::message || u.kind == meta::update_kind::status) {
          BOOST_TEST(u.id.rfind("wamid.", 0) == 0u);
          BOOST_TEST(u.timestamp > 0);
          BOOST_TEST(!u.phone_number_id.empty());
        }
      }
      if (name == "webhook-batch-mixed.json") BOOST_TEST(n->updates.size() == 3u);
      if (name.starts_with("webhook-status-failed")) BOOST_TEST(n->updates[0].error_code.has_value());
    }
  }
  BOOST_TEST(files >= 30);
}

BOOST_AUTO_TEST_CASE(malformed_and_oversized_payloads_are_refused) {
  for (std::string bad : {"", "{", "[]", R"({"object":"x"})", R"({"entry":{}})", R"({"entry":[1]})",
                          R"({"entry":[{"changes":[{"field":"messages","value":{"messages":{}}}]}]})",
                          R"({"entry":[{"changes":[{"field":"messages","value":{"statuses":[7]}}]}]})"}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(!meta::parse_notification(bad)); }
  }
  meta::parse_limits tight;
  tight.max_bytes = 100;
  BOOST_TEST(!meta::parse_notification(own_batch, tight));
  tight = {};
  tight.max_updates = 3;
  BOOST_TEST(!meta::parse_notification(own_batch, tight));
  tight = {};
  tight.max_depth = 4;
  BOOST_TEST(!meta::parse_notification(own_batch, tight));
}

// Issue 23: what is stored and forwarded of a notification must mean what Meta sent, so a
// notification that is not I-JSON (a member twice, a number a double cannot hold) is refused.
BOOST_AUTO_TEST_CASE(notifications_that_are_not_i_json_are_refused) {
  BOOST_TEST_REQUIRE(meta::parse_notification(own_batch).has_value());
  auto with = [](std::string from, std::string to) {
    std::string s = own_batch;
    const auto at = s.find(from);
    BOOST_REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
  };
  const std::string bad[] = {
      with(R"("wa_id":"4915112345678",)", R"("wa_id":"4915112345678","wa_id":"4915199999999",)"),
      with(R"("type":"text","text":{"body":"hallo"})", R"("type":"text","text":{"body":"hallo","body":"x"})"),
      with(R"("hologram":{"depth":3})", R"("hologram":{"depth":1e999999})"),
      with(R"("hologram":{"depth":3})", R"("hologram":{"depth":123456789012345678901234567890})"),
      with(R"("time":1760000003)", R"("time":18446744073709551616)"),
  };
  for (const auto& b : bad) BOOST_TEST(!meta::parse_notification(b));
}

// Enfinito's biz_opaque_callback_data tag (meta/graph.hpp): set on the way out only when the
// customer set none; on the way in it names the message and is taken out of what is kept.
BOOST_AUTO_TEST_CASE(callback_tags_are_ours_only_and_never_kept) {
  const std::string body =
      R"({"messaging_product":"whatsapp","to":"15550001234","type":"text","text":{"body":"say \"biz_opaque_callback_data\""}})";
  BOOST_TEST(!meta::sets_callback_data(body));  // the word inside a string value is not the field
  BOOST_TEST(meta::sets_callback_data(R"({"to":"1","biz_opaque_callback_data":"order-7"})"));
  const auto tagged = meta::with_callback_tag(body, "msg_0193abc");
  auto v = boost::json::parse(tagged).as_object();
  BOOST_TEST(v.at("biz_opaque_callback_data").as_string() == "enfinito:msg_0193abc");
  v.erase("biz_opaque_callback_data");
  BOOST_TEST(v == boost::json::parse(body).as_object());
  BOOST_TEST(meta::with_callback_tag("{}", "msg_1") == R"({"biz_opaque_callback_data":"enfinito:msg_1"})");
  // An id with characters JSON must escape still makes valid JSON carrying it exactly.
  const auto odd = boost::json::parse(meta::with_callback_tag("{}", "a\"b\\c")).as_object();
  BOOST_TEST(odd.at("biz_opaque_callback_data").as_string() == "enfinito:a\"b\\c");
  BOOST_TEST(meta::tagged_message_id("enfinito:msg_1") == "msg_1");
  BOOST_TEST(meta::tagged_message_id("order-7").empty());

  const std::string raw = R"({"object":"whatsapp_business_account","entry":[{"id":"900000000000001","changes":[
   {"field":"messages","value":{"messaging_product":"whatsapp",
    "metadata":{"display_phone_number":"15550001111","phone_number_id":"800000000000001"},
    "statuses":[
     {"id":"wamid.t-1","status":"delivered","timestamp":"1760000002","recipient_id":"4915112345678",
      "biz_opaque_callback_data":"enfinito:msg_0193abc"},
     {"id":"wamid.c-1","status":"read","timestamp":"1760000003","recipient_id":"4915112345678",
      "biz_opaque_callback_data":"order-7"}]}}]}]})";
  auto n = meta::parse_notification(raw);
  BOOST_REQUIRE(n.has_value());
  BOOST_REQUIRE_EQUAL(n->updates.size(), 2u);
  BOOST_TEST(n->updates[0].tagged_message == "msg_0193abc");
  BOOST_TEST(n->updates[0].raw.find("biz_opaque_callback_data") == std::string::npos);
  BOOST_TEST(n->updates[0].raw.find("wamid.t-1") != std::string::npos);
  BOOST_TEST(n->updates[1].tagged_message.empty());
  BOOST_TEST(n->updates[1].raw.find("order-7") != std::string::npos);

  // What a customer webhook of format `meta` forwards: the customer's value stays, ours goes.
  const auto forwarded = meta::strip_callback_tags(raw);
  BOOST_TEST(forwarded.find("enfinito:") == std::string::npos);
  BOOST_TEST(forwarded.find("order-7") != std::string::npos);
  BOOST_TEST(meta::parse_notification(forwarded)->updates.size() == 2u);
  const std::string untouched = R"({"object":"whatsapp_business_account","entry":[]})";
  BOOST_TEST(meta::strip_callback_tags(untouched) == untouched);  // nothing of ours: the exact bytes
}

BOOST_AUTO_TEST_CASE(statuses_never_move_backwards) {
  struct row {
    const char* current;
    const char* incoming;
    bool advances;
  };
  for (auto r : {row{"", "sent", true}, row{"sent", "delivered", true}, row{"delivered", "read", true},
                 row{"sent", "read", true}, row{"read", "delivered", false}, row{"read", "sent", false},
                 row{"delivered", "delivered", false}, row{"read", "played", true}, row{"sent", "failed", true},
                 row{"", "failed", true}, row{"delivered", "failed", false}, row{"read", "failed", false},
                 row{"failed", "sent", false}, row{"failed", "read", false}, row{"sent", "bogus", false}}) {
    BOOST_TEST_CONTEXT(r.current << " -> " << r.incoming) {
      BOOST_TEST(meta::status_advances(r.current, r.incoming) == r.advances);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
