// /webhooks/meta/{instance}: Meta's verification handshake and signed notifications in.
//
// A POST, in order:
//  1. The instance's credentials (App Secret, verify token, phone number id, WABA id) come from
//     a per-reactor cache (decrypting four vault fields per webhook would dominate the cost),
//     filled from the store and the vault on a miss. Entries go all at once when a commit
//     changed any instance (the change stream, store/change_cache.hpp) and expire after
//     `webhooks.credential_cache_ttl_ms`, which bounds what enfinitoctl's out-of-process
//     rotate-key/rekey leave stale (as api/instance_cache.hpp).
//  2. `X-Hub-Signature-256` over the exact body bytes, in constant time, before any parsing.
//     Missing, malformed or wrong: 401, nothing stored. An unknown instance gets the same 401,
//     so the endpoint does not tell which instance ids exist.
//  3. Parse into updates (meta::parse_notification), keep those routed to this instance.
//  4. One store write: inbound rows, status changes, template/account events. Only after it
//     committed does Meta get its 200; a failed commit is a 5xx and Meta retries (for days).
//
// Cross-tenant routing. A payload signed with this instance's App Secret may still carry
// updates of another phone number: one Meta app serves every number of the WABAs subscribed
// to it, and an app-level callback URL points at one instance. Such updates are never stored
// under this instance. We answer 200 and drop them (warning log, `webhook.misrouted` event to
// this instance's owner, who owns that Meta app) rather than 4xx: Meta retries a non-2xx for up
// to 7 days and holds back the whole batch, including this instance's own updates in it, and
// a retry cannot succeed until someone changes the configuration anyway.
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/webhooks.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/meta/message_rules.hpp>
#include <enfinito/meta/webhook.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/hooks.hpp>
#include <enfinito/store/inbound.hpp>
#include <enfinito/store/change_cache.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <unordered_map>

namespace enfinito::api {
namespace {

namespace si = store::instances;
namespace in = store::inbound;
using http::response;
using http::status;

// What a webhook needs of its instance. Secrets stay secret_string; ids are routing data.
struct credentials {
  std::string user_id;
  core::secret_string app_secret;
  core::secret_string verify_token;
  std::string phone_number_id;
  std::string waba_id;
  std::string display_phone_number;  // not secret: matches WABA-wide updates that name a number
};

// Per-reactor (only reactor r touches shard r, so no lock), on the instances topic.
class credential_cache {
 public:
  credential_cache(std::size_t reactors, const store::change_stream& changes, std::chrono::milliseconds ttl)
      : entries_(reactors, changes, static_cast<store::change_mask>(store::change::instances), {10'000, ttl}),
        enabled_(ttl.count() > 0) {}

  /** Read before the store read whose result goes into `put`. */
  std::uint64_t generation() const noexcept { return entries_.generation(); }
  std::optional<credentials> get(std::size_t r, const std::string& id) {
    auto* hit = entries_.get(r, id);
    return hit ? std::optional<credentials>(*hit) : std::nullopt;
  }
  void put(std::size_t r, const std::string& id, const credentials& c, std::uint64_t generation) {
    if (enabled_) entries_.put(r, id, c, generation);
  }

 private:
  store::change_cache<credentials> entries_;
  bool enabled_;
};

struct lookup {
  std::optional<credentials> found;
  bool failed = false;  // store or vault error: the caller answers 503 so Meta retries
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

// Instance ids are `ins_` + URL-safe random; anything else cannot exist.
bool plausible_instance_id(std::string_view id) { return core::id_like(id, "ins_"); }

// Decrypts what a webhook needs of `row`; nullopt when the vault cannot open a field.
net::awaitable<std::optional<credentials>> open_credentials(services& s, const si::instance& row) {
  auto secret = co_await crypto::open_instance_field(*s.vault, s.blocking, row, crypto::f_secret);
  auto verify = co_await crypto::open_instance_field(*s.vault, s.blocking, row, crypto::f_verify);
  auto phone = co_await crypto::open_instance_field(*s.vault, s.blocking, row, crypto::f_phone);
  auto waba = co_await crypto::open_instance_field(*s.vault, s.blocking, row, crypto::f_waba);
  std::optional<credentials> c;
  if (secret && verify && phone && waba) {
    c.emplace();
    c->user_id = row.user_id;
    c->app_secret = std::move(*secret);
    c->verify_token = std::move(*verify);
    c->phone_number_id = phone->reveal();
    c->waba_id = waba->reveal();
    c->display_phone_number = row.display_phone_number;
  }
  co_return c;
}

// One co_return at the end: GCC 12 mishandles early returns around several awaits.
net::awaitable<lookup> load(services& s, credential_cache& cache, std::size_t reactor, const std::string& id) {
  lookup out;
  out.found = cache.get(reactor, id);
  if (!out.found) {
    // The generation is read before the lookup: a change racing it leaves the entry stale.
    const auto generation = cache.generation();
    si::instance row;
    auto read = [&](store::connection& c) { return si::get_any(c, id, row); };
    auto ec = co_await s.db.read(read);
    if (ec && ec != store::error::not_found) out.failed = true;
    if (!ec) {
      auto opened = co_await open_credentials(s, row);
      if (opened) {
        cache.put(reactor, id, *opened, generation);
        out.found = std::move(opened);
      } else {
        out.failed = true;
      }
    }
  }
  co_return out;
}

response unauthorized() {
  return http::problem(status::unauthorized, "invalid_signature", "The webhook signature is missing or wrong");
}

response unavailable() {
  auto r = http::problem(status::service_unavailable, "unavailable", "The webhook could not be stored now",
                         "nothing was stored; Meta retries");
  r.set(http::bhttp::field::retry_after, "5");
  return r;
}

response plain(status st, std::string body) {
  response res{st, 11};
  res.set(http::bhttp::field::content_type, "text/plain; charset=utf-8");
  res.set(http::bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// ---- the handshake ------------------------------------------------------------------------

// Meta's challenge is a number; anything long or outside printable ASCII is not Meta's and is
// not echoed (the answer is text/plain and nosniff, but reflect as little as possible).
bool plausible_challenge(std::string_view c) {
  if (c.empty() || c.size() > 128) return false;
  for (char ch : c)
    if (static_cast<unsigned char>(ch) <= 0x20 || static_cast<unsigned char>(ch) >= 0x7f) return false;
  return true;
}

net::awaitable<response> handshake(services& s, credential_cache& cache, http::request& req) {
  const auto mode = req.query_param("hub.mode");
  const auto token = req.query_param("hub.verify_token");
  const auto challenge = req.query_param("hub.challenge");
  if (!mode || *mode != "subscribe" || !token || !challenge || !plausible_challenge(*challenge))
    co_return http::problem(status::bad_request, "invalid_handshake",
                            "Expected hub.mode=subscribe, hub.verify_token and hub.challenge");
  const core::secret_string given{std::string(*token)};
  const std::string id(req.param("instance").substr(0, 80));
  // Unknown instance and wrong token get the same answer.
  auto forbidden = http::problem(status::forbidden, "verify_token_mismatch", "The verify token does not match");
  if (!plausible_instance_id(id)) co_return forbidden;
  auto found = co_await load(s, cache, req.reactor, id);
  if (found.failed) co_return unavailable();
  if (!found.found || !crypto::constant_time_equal(found.found->verify_token.reveal(), given.reveal())) {
    core::log::warn("webhook_handshake_refused", {{"request_id", req.request_id}, {"instance", id}});
    co_return forbidden;
  }
  core::log::info("webhook_handshake", {{"request_id", req.request_id}, {"instance", id}});
  co_return plain(status::ok, *challenge);
}

// ---- notifications ------------------------------------------------------------------------

// The event type of a non-`messages` field. Known ones get a stable name; others keep Meta's
// field name (validated: it becomes part of a type customers filter on).
std::string field_event_type(std::string_view field) {
  static constexpr std::pair<std::string_view, std::string_view> known[] = {
      {"message_template_status_update", "template.status"},
      {"message_template_quality_update", "template.quality"},
      {"message_template_components_update", "template.components"},
      {"template_category_update", "template.category"},
      {"account_update", "account.update"},
      {"account_alerts", "account.alert"},
      {"account_review_update", "account.review"},
      {"business_capability_update", "account.capability"},
      {"phone_number_quality_update", "phone_number.quality"},
      {"phone_number_name_update", "phone_number.name"},
  };
  for (const auto& [f, t] : known)
    if (f == field) return std::string(t);
  const bool plain_name = !field.empty() && field.size() <= 64 &&
                          std::all_of(field.begin(), field.end(), [](char c) {
                            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                          });
  return plain_name ? "meta." + std::string(field) : std::string("meta.unknown");
}

// Everything one POST will write, prepared before the store write (which then only runs SQL).
struct batch {
  in::owner owner;
  std::vector<in::message> messages;
  std::vector<in::status> statuses;
  struct event {
    std::string type;
    std::string data;
    std::string digest;  // non-empty: emitted once per instance (redeliveries are ignored)
  };
  std::vector<event> events;
  std::size_t misrouted = 0;
  std::string throughput_level;  // non-empty: Meta raised this number's throughput to it
};

// What identifies an update that has no id: Meta redelivers the same bytes, so the same
// field, entry time and value. Without an entry time there is nothing to tell a redelivery
// from a new, identical update: no digest, no deduplication.
std::string update_digest(const meta::update& u) {
  if (u.entry_time == 0) return {};
  return crypto::sha256_hex(u.field + '\n' + std::to_string(u.entry_time) + '\n' + u.waba_id + '\n' + u.raw);
}

// Meta's automatic upgrade to higher throughput [D-TP]: a phone_number_quality_update with
// event THROUGHPUT_UPGRADE, sent WABA-wide and naming the number by its display number.
bool throughput_upgrade_for(const meta::update& u, const credentials& cred) {
  if (u.field != "phone_number_quality_update" || cred.display_phone_number.empty()) return false;
  boost::system::error_code ec;
  auto v = json::parse(u.raw, ec);
  if (ec || !v.is_object()) return false;
  const auto& o = v.get_object();
  const auto* event = o.if_contains("event");
  const auto* number = o.if_contains("display_phone_number");
  return event && event->is_string() && event->get_string() == "THROUGHPUT_UPGRADE" && number &&
         number->is_string() &&
         meta::recipient_key(number->get_string()) == meta::recipient_key(cred.display_phone_number);
}

std::string other_field_data(const meta::update& u, std::string_view instance_id) {
  json::object d{{"instance_id", instance_id}, {"waba_id", u.waba_id}, {"field", u.field}};
  std::string s = json::serialize(d);
  s.pop_back();
  s += ",\"value\":";
  s += u.raw.empty() ? std::string_view("null") : std::string_view(u.raw);
  s += '}';
  return s;
}

std::string error_data(const meta::update& u, std::string_view instance_id) {
  json::object d{{"instance_id", instance_id}, {"phone_number_id", u.phone_number_id}};
  if (u.error_code) d["code"] = *u.error_code;
  else d["code"] = nullptr;
  d["title"] = u.error_title;
  std::string s = json::serialize(d);
  s.pop_back();
  s += ",\"error\":";
  s += u.raw.empty() ? std::string_view("null") : std::string_view(u.raw);
  s += '}';
  return s;
}

batch prepare(meta::notification& n, const credentials& cred, std::string_view instance_id) {
  batch b;
  b.owner = {std::string(instance_id), cred.user_id};
  for (auto& u : n.updates) {
    // Route by the number for `messages` (and any field that names one), else by the WABA.
    const bool ours = u.kind != meta::update_kind::other_field || !u.phone_number_id.empty()
                          ? u.phone_number_id == cred.phone_number_id
                          : u.waba_id == cred.waba_id;
    if (!ours) {
      ++b.misrouted;
      continue;
    }
    switch (u.kind) {
      case meta::update_kind::message: {
        in::message m;
        m.id = "msg_" + crypto::time_ordered_token(16);  // index locality: see crypto/random.hpp
        m.wamid = std::move(u.id);
        m.peer = !u.from.empty() ? std::move(u.from) : u.user_id;
        m.type = std::move(u.type);
        m.timestamp = u.timestamp;
        m.body = std::move(u.raw);
        m.contact = std::move(u.contact);
        b.messages.push_back(std::move(m));
        break;
      }
      case meta::update_kind::status: {
        in::status st;
        st.wamid = std::move(u.id);
        st.value = std::move(u.type);
        st.recipient = std::move(u.from);
        st.timestamp = u.timestamp;
        st.error_code = u.error_code;
        st.error_title = std::move(u.error_title);
        st.raw = std::move(u.raw);
        st.tagged_message = std::move(u.tagged_message);
        b.statuses.push_back(std::move(st));
        break;
      }
      case meta::update_kind::error:
        // No id and no time: two identical errors may well be two events. Not deduplicated.
        b.events.push_back({"meta.error", error_data(u, instance_id), {}});
        break;
      case meta::update_kind::other_field:
        if (throughput_upgrade_for(u, cred)) b.throughput_level = "HIGH";
        b.events.push_back({field_event_type(u.field), other_field_data(u, instance_id), update_digest(u)});
        break;
    }
  }
  if (b.misrouted)
    b.events.push_back({"webhook.misrouted",
                        json::serialize(json::object{{"instance_id", instance_id},
                                                     {"dropped_updates", b.misrouted},
                                                     {"reason", "phone number or WhatsApp Business Account "
                                                                "is not this instance's"}}),
                        {}});
  return b;
}

// `raw`: Meta's exact bytes, kept (store::hooks) for customer webhooks of format `meta` when
// the instance has one and this POST produced events; the range of event ids ties them. The
// hooks engine takes Enfinito's status tags out when it sends them (not here: this runs on
// the store writer, which every write waits for).
core::error_code commit(store::connection& c, const batch& b, std::string_view raw, in::outcome& out,
                        bool& throughput_changed) {
  const auto now = now_ms();
  if (!b.throughput_level.empty())
    if (auto ec = si::set_throughput(c, b.owner.instance_id, b.throughput_level, now, throughput_changed)) return ec;
  bool passthrough = false;
  std::int64_t before = 0;
  if (auto ec = store::hooks::has_meta_endpoint(c, b.owner.instance_id, passthrough)) return ec;
  if (passthrough)
    if (auto ec = store::hooks::max_event_id(c, before)) return ec;
  for (const auto& m : b.messages)
    if (auto ec = in::store_message(c, b.owner, m, now, out)) return ec;
  for (const auto& st : b.statuses)
    if (auto ec = in::apply_status(c, b.owner, st, meta::status_advances, now, out)) return ec;
  for (const auto& e : b.events) {
    auto ec = e.digest.empty() ? in::append_event(c, b.owner, e.type, e.data, out)
                               : in::append_event_once(c, b.owner, e.digest, e.type, e.data, now, out);
    if (ec) return ec;
  }
  if (passthrough && out.events > 0) {
    std::int64_t after = 0;
    if (auto ec = store::hooks::max_event_id(c, after)) return ec;
    if (after > before)
      if (auto ec = store::hooks::store_meta_payload(c, b.owner.instance_id, before + 1, after, raw, now)) return ec;
  }
  return {};
}

net::awaitable<response> receive(services& s, credential_cache& cache, http::request& req) {
  const std::string id(req.param("instance").substr(0, 80));  // only ever logged beyond this
  const auto signature = req.header("X-Hub-Signature-256");
  if (!signature || !plausible_instance_id(id)) {
    core::log::warn("webhook_refused", {{"request_id", req.request_id}, {"instance", id},
                                        {"reason", signature ? "unknown instance" : "no signature"}});
    co_return unauthorized();
  }
  auto found = co_await load(s, cache, req.reactor, id);
  if (found.failed) co_return unavailable();
  if (!found.found || !meta::verify_signature(req.msg.body(), *signature, found.found->app_secret.reveal())) {
    core::log::warn("webhook_refused", {{"request_id", req.request_id}, {"instance", id},
                                        {"reason", found.found ? "bad signature" : "unknown instance"}});
    co_return unauthorized();
  }
  meta::parse_limits limits;
  limits.max_bytes = s.cfg.webhooks.max_body_bytes;
  auto parsed = meta::parse_notification(req.msg.body(), limits);
  if (!parsed) {
    // Signed by Meta yet unreadable: a 400 makes Meta keep it for us (retries) while we look.
    core::log::warn("webhook_unparsable", {{"request_id", req.request_id}, {"instance", id},
                                           {"bytes", req.msg.body().size()}});
    co_return http::problem(status::bad_request, "invalid_notification", "The notification is not Meta's format");
  }
  if (parsed->object != "whatsapp_business_account") {
    core::log::warn("webhook_ignored", {{"request_id", req.request_id}, {"instance", id}, {"reason", "object"}});
    co_return plain(status::ok, "");
  }
  const batch b = prepare(*parsed, *found.found, id);
  if (b.misrouted)
    core::log::warn("webhook_misrouted", {{"request_id", req.request_id}, {"instance", id},
                                          {"dropped_updates", b.misrouted}});
  in::outcome out;
  const std::string_view raw = req.msg.body();
  bool throughput_changed = false;
  auto write = [&](store::connection& c) { return commit(c, b, raw, out, throughput_changed); };
  auto ec = co_await s.db.write(write);
  if (!ec && throughput_changed) {
    core::log::info("instance_throughput_raised", {{"request_id", req.request_id}, {"instance", id},
                                                   {"throughput", b.throughput_level}});
  }
  if (ec) {
    core::log::error("webhook_store_failed", {{"request_id", req.request_id}, {"instance", id},
                                              {"error", ec.message()}});
    if (ec == store::error::full) co_return unavailable();
    co_return http::problem(status::internal_server_error, "store_error", "The webhook could not be stored",
                            "nothing was stored; Meta retries");
  }
  core::log::info("webhook_stored", {{"request_id", req.request_id}, {"instance", id},
                                     {"messages", out.stored}, {"duplicates", out.duplicates},
                                     {"statuses_applied", out.applied}, {"statuses_ignored", out.ignored},
                                     {"statuses_pending", out.pending}, {"events", out.events}});
  co_return plain(status::ok, "");
}

}  // namespace

void register_webhook_routes(http::router& r, services& s) {
  using http::verb;
  auto cache = std::make_shared<credential_cache>(s.reactors.size(), s.db.changes(), s.cfg.webhooks.credential_cache_ttl);
  r.add(verb::get, "/webhooks/meta/{instance}", "webhooks.meta.verify",
        [&s, cache](http::request& q) { return handshake(s, *cache, q); });
  http::route_options big;
  big.body_limit = s.cfg.webhooks.max_body_bytes;
  r.add(verb::post, "/webhooks/meta/{instance}", "webhooks.meta.receive",
        [&s, cache](http::request& q) { return receive(s, *cache, q); }, big);
}

}  // namespace enfinito::api
