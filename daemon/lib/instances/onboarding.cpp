// instances::onboarding: the token inspection (debug_token) and the app's subscription to the
// WABA with the callback override (include/enfinito/instances/onboarding.hpp).
#include <enfinito/instances/onboarding.hpp>

#include <enfinito/core/ip_policy.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/meta/client.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <ctime>

namespace enfinito::instances {
namespace {

namespace json = boost::json;

std::string utc_date(std::int64_t unix_s) {
  char buf[32];
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

bool has(const std::vector<std::string>& v, std::string_view x) { return std::find(v.begin(), v.end(), x) != v.end(); }

std::int64_t int_of(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_string()) return std::strtoll(std::string(v->get_string()).c_str(), nullptr, 10);
  return 0;
}

std::string str_of(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

json::array problems_json(const std::vector<token_problem>& ps) {
  json::array a;
  for (const auto& p : ps) {
    json::object o{{"code", p.code}, {"detail", p.detail}, {"blocks_sending", p.blocks_sending}};
    if (!p.scope.empty()) o["scope"] = p.scope;
    a.push_back(std::move(o));
  }
  return a;
}

// Our words for a failed subscription call.
std::string subscription_failure(const meta::graph_error& e) {
  if (e.code == 2200)
    return "Meta could not verify the callback URL (error 2200): it must be reachable from the internet over "
           "https and answer Meta's handshake";
  if (e.code == 200 || e.code == 10)
    return "the token may not manage this WhatsApp Business Account: it needs whatsapp_business_management";
  if (e.code == 190) return "Meta refused the access token (error 190)";
  return "Meta refused the subscription (error " + std::to_string(e.code) + ")";
}

}  // namespace

std::optional<token_info> parse_debug_token(std::string_view body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto* d = v.get_object().if_contains("data");
  if (!d || !d->is_object()) return std::nullopt;
  const auto& data = d->get_object();
  token_info t;
  if (const auto* valid = data.if_contains("is_valid"); valid && valid->is_bool()) t.valid = valid->get_bool();
  t.type = str_of(data, "type");
  if (data.contains("expires_at")) t.expires_at = int_of(data, "expires_at");
  if (const auto* s = data.if_contains("scopes"); s && s->is_array())
    for (const auto& e : s->get_array())
      if (e.is_string() && t.scopes.size() < 100) t.scopes.emplace_back(e.get_string());
  if (const auto* g = data.if_contains("granular_scopes"); g && g->is_array())
    for (const auto& e : g->get_array()) {
      if (!e.is_object() || t.granular.size() >= 100) continue;
      std::vector<std::string> ids;
      if (const auto* ti = e.get_object().if_contains("target_ids"); ti && ti->is_array())
        for (const auto& id : ti->get_array())
          if (id.is_string() && ids.size() < 1000) ids.emplace_back(id.get_string());
      t.granular.emplace_back(str_of(e.get_object(), "scope"), std::move(ids));
    }
  if (const auto* err = data.if_contains("error"); err && err->is_object()) {
    t.error_code = int_of(err->get_object(), "code");
    t.error_subcode = int_of(err->get_object(), "subcode");
  }
  return t;
}

std::vector<token_problem> inspect_token(const token_info& t, std::string_view waba_id, std::int64_t now_s,
                                         std::int64_t warn_before_s) {
  std::vector<token_problem> out;
  if (!t.valid) {
    std::string why = t.error_subcode == 463   ? "it has expired"
                      : t.error_subcode == 460 ? "it was revoked"
                                               : "it is not valid";
    out.push_back({"token_invalid", "",
                   "Meta says the access token cannot be used: " + why +
                       " (error 190). Create a new system-user token in Meta Business Settings",
                   true});
    return out;
  }
  if (!t.type.empty() && t.type != "SYSTEM_USER" && t.type != "USER")
    out.push_back({"token_type", "",
                   "this is a " + t.type + " token: WhatsApp needs a system-user (or user) access token", true});
  for (const auto scope : {scope_messaging, scope_management}) {
    const bool sending = scope == scope_messaging;
    if (!has(t.scopes, scope)) {
      out.push_back(
          {"scope_missing", std::string(scope),
           "the token lacks the " + std::string(scope) + " permission" +
               (sending ? " (needed to send messages)" : " (needed to subscribe to webhooks and manage templates)"),
           sending});
      continue;
    }
    for (const auto& [name, targets] : t.granular)
      if (name == scope && !targets.empty() && !has(targets, waba_id))
        out.push_back({"waba_not_granted", std::string(scope),
                       "the token's " + std::string(scope) + " permission does not cover WhatsApp Business Account " +
                           std::string(waba_id) + ": add the account to the system user's assets",
                       sending});
  }
  if (t.expires_at && *t.expires_at > 0) {
    const bool soon = *t.expires_at - now_s <= warn_before_s;
    out.push_back({soon ? "token_expires_soon" : "token_expires", "",
                   "the token expires on " + utc_date(*t.expires_at) +
                       ": a system-user token that never expires avoids an interruption",
                   false});
  }
  return out;
}

bool reachable_by_meta(std::string_view public_url) {
  auto u = boost::urls::parse_uri(public_url);
  if (!u || u->scheme() != "https") return false;
  const std::string host(u->encoded_host());
  if (host.empty()) return false;
  if (u->host_type() == boost::urls::host_type::ipv4 || u->host_type() == boost::urls::host_type::ipv6) {
    boost::system::error_code ec;
    std::string literal = host;
    if (literal.size() > 2 && literal.front() == '[') literal = literal.substr(1, literal.size() - 2);
    auto a = boost::asio::ip::make_address(literal, ec);
    return !ec && core::is_public(a);
  }
  std::string lower = host;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "localhost" || lower.ends_with(".localhost") || lower.ends_with(".local") ||
      lower.ends_with(".internal") || lower.ends_with(".lan") || lower.find('.') == std::string::npos)
    return false;
  return true;
}

override_decision decide_override(std::string_view mode, std::string_view public_url) {
  if (mode == "never")
    return {false, "onboarding.callback_override is never: set the callback URL in the app's dashboard"};
  if (mode == "always") return {true, {}};
  if (reachable_by_meta(public_url)) return {true, {}};
  return {false,
          "server.public_url is not reachable from the internet over https, so Meta cannot call it: "
          "set public_url to the public https address (or set the callback URL yourself)"};
}

meta::request debug_token_request(std::string_view version, const core::secret_string& token) {
  meta::request r;
  r.method = "GET";
  r.target = "/" + std::string(version) +
             "/debug_token?input_token=" + boost::urls::encode(token.reveal(), boost::urls::unreserved_chars);
  return r;
}

meta::request subscribe_request(std::string_view version, std::string_view waba_id, std::string_view callback,
                                const core::secret_string* verify_token) {
  meta::request r;
  r.method = "POST";
  r.target = "/" + std::string(version) + "/" + std::string(waba_id) + "/subscribed_apps";
  if (!callback.empty() && verify_token) {
    r.body =
        json::serialize(json::object{{"override_callback_uri", callback}, {"verify_token", verify_token->reveal()}});
    r.content_type = "application/json";
  }
  return r;
}

std::string callback_url(std::string_view public_url, std::string_view instance_id) {
  std::string base(public_url);
  while (base.ends_with('/')) base.pop_back();
  return base + "/webhooks/meta/" + std::string(instance_id);
}

net::awaitable<token_check> check_token(const meta::client& meta, const core::secret_string& token, std::string waba_id,
                                        std::int64_t now_s, std::int64_t warn_before_s) {
  token_check out;
  meta::request req = debug_token_request(meta.version(), token);
  auto got = co_await meta.send(req, token);
  core::detail::secure_wipe(req.target.data(), req.target.size());
  if (!got) {
    out.failure = "Meta could not be reached to inspect the token";
  } else if (!got->ok()) {
    const auto e = meta::parse_error(got->status, got->body);
    out.failure = "Meta did not inspect the token (error " + std::to_string(e.code) + ")";
    if (e.code == 190) {
      token_info dead;
      dead.error_subcode = e.subcode;
      out.inspected = true;
      out.info = dead;
      out.problems = inspect_token(dead, waba_id, now_s, warn_before_s);
      out.failure.clear();
    }
  } else if (auto info = parse_debug_token(got->body)) {
    out.inspected = true;
    out.info = std::move(*info);
    out.problems = inspect_token(out.info, waba_id, now_s, warn_before_s);
  } else {
    out.failure = "Meta's token inspection could not be read";
  }
  co_return out;
}

net::awaitable<void> subscribe(const meta::client& meta, const core::secret_string& token, std::string waba_id,
                               std::string instance_id, const core::secret_string& verify_token,
                               const onboarding_options& o, store::instance_health::row& row) {
  row.callback_override.reset();
  row.subscription_code.reset();
  // 1. The app on the WABA (Meta needs it before an override).
  meta::request req = subscribe_request(meta.version(), waba_id);
  auto got = co_await meta.send(req, token);
  const auto decision = decide_override(o.callback_override, o.public_url);
  if (got && got->ok() && decision.use) {
    // 2. The override: Meta runs the handshake against our own URL before answering.
    const std::string url = callback_url(o.public_url, instance_id);
    req = subscribe_request(meta.version(), waba_id, url, &verify_token);
    got = co_await meta.send(req, token);
    core::detail::secure_wipe(req.body.data(), req.body.size());
    if (got && got->ok()) row.callback_override = url;
  }
  if (!got) {
    row.subscription = "failed";
    row.subscription_detail = "Meta could not be reached to subscribe the app to the WhatsApp Business Account";
  } else if (!got->ok()) {
    const auto e = meta::parse_error(got->status, got->body);
    row.subscription = "failed";
    row.subscription_code = e.code;
    row.subscription_detail = subscription_failure(e);
    core::log::warn("instances.subscription_failed",
                    {{"instance", instance_id}, {"meta_code", e.code}, {"fbtrace_id", e.fbtrace_id}});
  } else if (row.callback_override) {
    row.subscription = "overridden";
    row.subscription_detail = "Meta sends this WhatsApp Business Account's webhooks to the instance's callback URL";
  } else {
    row.subscription = "subscribed";
    row.subscription_detail = "the app is subscribed; the callback URL was not overridden: " + decision.why_not;
  }
}

void record_token_check(const token_check& t, store::instance_health::row& row) {
  row.token_type = t.inspected ? t.info.type : std::string();
  row.token_expires_at = t.inspected ? t.info.expires_at : std::nullopt;
  json::array a = problems_json(t.problems);
  if (!t.inspected && !t.failure.empty())
    a.push_back(json::object{{"code", "token_not_inspected"}, {"detail", t.failure}, {"blocks_sending", false}});
  row.token_problems = json::serialize(a);
}

json::object onboarding_view(const store::instance_health::row& row) {
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); };
  boost::system::error_code ec;
  auto problems = json::parse(row.token_problems, ec);
  auto off = json::parse(row.alerts_off, ec);
  json::object subscription{
      {"state", row.subscription},
      {"detail", row.subscription_detail},
      {"meta_error_code", opt(row.subscription_code)},
      {"callback_override", row.callback_override ? json::value(*row.callback_override) : json::value(nullptr)}};
  json::object token{{"type", row.token_type.empty() ? json::value(nullptr) : json::value(row.token_type)},
                     {"expires_at", opt(row.token_expires_at)},
                     {"problems", problems.is_array() ? problems : json::array{}}};
  json::object webhooks{{"last_received_at", opt(row.last_webhook_at)},
                        {"last_status_at", opt(row.last_status_at)},
                        {"silent", row.webhooks_silent},
                        {"silent_since", opt(row.silent_since)}};
  return json::object{{"checked_at", opt(row.checked_at)},
                      {"subscription", std::move(subscription)},
                      {"token", std::move(token)},
                      {"webhooks", std::move(webhooks)},
                      {"alerts_off", off.is_array() ? off : json::array{}}};
}

}  // namespace enfinito::instances
