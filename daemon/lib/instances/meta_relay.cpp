// instances::meta_relay: the Graph calls relayed for an instance, each read into a value or a
// failure (include/enfinito/instances/meta_relay.hpp).
#include <enfinito/core/json_strict.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/instances/meta_access.hpp>
#include <enfinito/instances/meta_relay.hpp>
#include <enfinito/store/conversations.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>

namespace enfinito::instances {
namespace {

namespace json = boost::json;

relay_failure unexpected() { return relay_failure{}; }

// One Graph call: Meta's 2xx answer, or the failure (logged; a token refusal recorded).
net::awaitable<relayed<meta::response>> call(const relay_target& t, meta::request rq, std::string_view op,
                                             meta::call_options o = {}) {
  auto res = co_await t.meta.send(std::move(rq), t.creds.access_token, o);
  if (!res) {
    core::log::warn("instances.meta_unreachable",
                    {{"instance", t.instance_id}, {"op", op}, {"error", res.error().message()}});
    co_return relay_failure{.what = relay_failure::kind::unreachable, .transport = res.error()};
  }
  if (res->ok()) co_return std::move(*res);
  co_return co_await meta_failed(t.db, t.instance_id, op, meta::parse_error(res->status, res->body));
}

// A call whose 2xx answer is Graph's `{"success": true}`.
net::awaitable<relayed<std::monostate>> call_for_success(const relay_target& t, meta::request rq, std::string_view op) {
  auto a = co_await call(t, std::move(rq), op);
  if (auto* f = std::get_if<relay_failure>(&a)) co_return std::move(*f);
  if (!meta::parse_success(std::get<meta::response>(a).body)) co_return unexpected();
  co_return std::monostate{};
}

}  // namespace

net::awaitable<relay_failure> meta_failed(store::store& db, const std::string& instance_id, std::string_view op,
                                          const meta::graph_error& e) {
  core::log::info("instances.meta_call_failed", {{"instance", instance_id},
                                                 {"op", op},
                                                 {"http_status", e.http_status},
                                                 {"meta_code", e.code},
                                                 {"meta_subcode", e.subcode},
                                                 {"fbtrace_id", e.fbtrace_id}});
  relay_failure f{.what = relay_failure::kind::meta_error, .error = e};
  f.token_refused = co_await note_meta_error(db, instance_id, e);  // marks it, with its event
  co_return f;
}

bool media_not_found(const meta::graph_error& e) noexcept {
  if (!e.envelope) return false;
  // Graph's "object does not exist, cannot be loaded due to missing permissions, or does not
  // support this operation" (100, subcode 33; a media id of another number on the same token
  // answers the same through the phone_number_id filter).
  if (e.code == 100 && (e.subcode == 33 || e.subcode == 0)) return true;
  // A media id of another business's number: Meta refuses our token on it (403, code 10
  // "Permission denied", or an API permission error 200-299). On a lookup by id that only
  // means "not this instance's": nothing about the instance's token follows from it.
  return e.code == 10 || (e.code >= 200 && e.code <= 299);
}

net::awaitable<relayed<std::monostate>> mark_read(const relay_target& t, std::string_view wamid, bool typing) {
  co_return co_await call_for_success(t, meta::mark_read(t.meta.version(), t.creds.phone_number_id, wamid, typing),
                                      "mark_read");
}

net::awaitable<conversation_read> read_conversation(const relay_target& t, const std::string& user_id,
                                                    const std::string& peer) {
  conversation_read out;
  std::string wamid;
  const std::string& iid = t.instance_id;
  auto write = [&](store::connection& c) { return store::conversations::mark_read(c, user_id, iid, peer, wamid); };
  out.stored = co_await t.db.write(write);
  if (out.stored || wamid.empty()) co_return out;
  // The local mark has moved: a 2xx from Meta in any shape is enough.
  auto a = co_await mark_read(t, wamid, false);
  if (auto* f = std::get_if<relay_failure>(&a); f && f->what != relay_failure::kind::unexpected) out.failure = *f;
  co_return out;
}

net::awaitable<relayed<meta::template_page>> list_templates(const relay_target& t, const meta::template_query& q) {
  auto a = co_await call(t, meta::list_templates(t.meta.version(), t.creds.waba_id, q), "templates_list");
  if (auto* f = std::get_if<relay_failure>(&a)) co_return std::move(*f);
  auto page = meta::parse_template_page(std::get<meta::response>(a).body);
  if (!page) co_return unexpected();
  co_return std::move(*page);
}

net::awaitable<relayed<json::object>> create_template(const relay_target& t, std::string definition_json) {
  auto a = co_await call(t, meta::create_template(t.meta.version(), t.creds.waba_id, std::move(definition_json)),
                         "template_create");
  if (auto* f = std::get_if<relay_failure>(&a)) co_return std::move(*f);
  // Strict (I-JSON): an answer whose members repeat or whose numbers would change is not
  // relayed with a meaning Meta may not have sent.
  auto parsed = core::parse_json_strict(std::get<meta::response>(a).body);
  if (!parsed.value || !parsed.value->is_object() || !parsed.value->as_object().if_contains("id"))
    co_return unexpected();
  // Meta's answer: id, status (PENDING, or APPROVED for some utility templates), category.
  json::object out;
  for (const char* k : {"id", "status", "category"})
    if (const auto* v = parsed.value->as_object().if_contains(k)) out[k] = *v;
  co_return out;
}

net::awaitable<relayed<json::object>> get_business_profile(const relay_target& t) {
  auto a =
      co_await call(t, meta::get_business_profile(t.meta.version(), t.creds.phone_number_id), "business_profile_get");
  if (auto* f = std::get_if<relay_failure>(&a)) co_return std::move(*f);
  auto profile = meta::parse_business_profile(std::get<meta::response>(a).body);
  if (!profile) co_return unexpected();
  co_return std::move(*profile);
}

net::awaitable<relayed<std::monostate>> update_business_profile(const relay_target& t, json::object fields) {
  co_return co_await call_for_success(
      t, meta::update_business_profile(t.meta.version(), t.creds.phone_number_id, std::move(fields)),
      "business_profile_update");
}

net::awaitable<relayed<std::string>> upload_media(const relay_target& t, std::string_view mime,
                                                  std::string_view filename, std::string_view bytes,
                                                  meta::call_options o) {
  // A boundary that cannot occur in the file (a random 32-byte token almost never does).
  std::string boundary = "enfinito-" + crypto::random_token(32);
  while (bytes.find(boundary) != std::string_view::npos) boundary = "enfinito-" + crypto::random_token(32);
  auto rq = meta::upload_media(t.meta.version(), t.creds.phone_number_id, mime, filename, bytes, boundary);
  auto a = co_await call(t, std::move(rq), "media_upload", o);
  if (auto* f = std::get_if<relay_failure>(&a)) co_return std::move(*f);
  auto id = meta::parse_id(std::get<meta::response>(a).body);
  if (!id) co_return unexpected();
  co_return std::move(*id);
}

net::awaitable<relayed<meta::media_info>> media_info(const relay_target& t, std::string_view media_id) {
  auto a = co_await call(t, meta::get_media(t.meta.version(), media_id, t.creds.phone_number_id), "media_get");
  if (auto* f = std::get_if<relay_failure>(&a)) co_return std::move(*f);
  auto info = meta::parse_media_info(std::get<meta::response>(a).body);
  if (!info) co_return unexpected();
  co_return std::move(*info);
}

net::awaitable<relayed<std::monostate>> delete_media(const relay_target& t, std::string_view media_id) {
  co_return co_await call_for_success(t, meta::delete_media(t.meta.version(), media_id, t.creds.phone_number_id),
                                      "media_delete");
}

}  // namespace enfinito::instances
