// outbound::accept: the send accept shared by the REST and the Graph-compatible routes
// (validate → idempotency → durable insert of message + job → notify the queue → answer);
// the flow is drawn in include/enfinito/outbound/accept.hpp.
#include <enfinito/outbound/accept.hpp>

#include <enfinito/core/clock.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/meta/graph.hpp>
#include <enfinito/optouts/error.hpp>
#include <enfinito/optouts/list.hpp>
#include <enfinito/outbound/queue.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/templates/send_checks.hpp>

#include <boost/json.hpp>

namespace enfinito::outbound {
namespace {

namespace json = boost::json;

// The message id inside a stored accept record (REST's 202 body); empty if unreadable.
std::string id_of(std::string_view answer) {
  boost::system::error_code ec;
  auto v = json::parse(answer, ec);
  if (ec || !v.is_object()) return {};
  const auto* id = v.as_object().if_contains("id");
  return id && id->is_string() ? std::string(id->as_string()) : std::string();
}

// The key's first answer again, or "reused" when `earlier` was for a different request.
accept_result replay_or_reused(const store::messages::idempotent_answer& earlier, const std::string& hash) {
  accept_result r;
  if (earlier.request_hash != hash) {
    r.what = accept_result::kind::key_reused;
    return r;
  }
  r.what = accept_result::kind::replayed;
  r.status = earlier.status;
  r.answer = earlier.response;
  r.message_id = id_of(earlier.response);
  return r;
}

// The accept record's `warnings`: what was let through that Meta may refuse later.
json::array warnings_json(const std::vector<templates::problem>& warnings) {
  json::array out;
  for (const auto& w : warnings)
    out.push_back(json::object{{"code", w.code}, {"meta_code", w.meta_code}, {"field", w.field}, {"detail", w.detail}});
  return out;
}

accept_result failed(accept_result::kind why, core::error_code ec = {}) {
  accept_result r;
  r.what = why;
  r.ec = ec;
  return r;
}

}  // namespace

store::messages::message new_outbound(std::string_view instance_id, const std::optional<std::string>& api_key_id,
                                      meta::checked_message checked) {
  store::messages::message m;
  m.id = "msg_" + crypto::time_ordered_token(16);  // index locality: see crypto/random.hpp
  m.instance_id = std::string(instance_id);
  m.peer = meta::recipient_key(checked.to);
  m.type = std::move(checked.type);
  m.body = std::move(checked.body);
  m.callback_tagged = !meta::sets_callback_data(m.body);  // statuses find it by id (meta/graph.hpp)
  m.api_key_id = api_key_id;
  m.created_at = core::wall_ms();
  return m;
}

net::awaitable<accept_result> accept(accept_context ctx, send_request rq) {
  const std::string& key = rq.idempotency_key;
  const std::string scope = rq.api_key_id ? *rq.api_key_id : "usr:" + rq.user_id;
  // Hashed only when there is a key to remember it under: most sends carry none.
  const std::string hash =
      key.empty()
          ? std::string()
          : crypto::sha256_hex(std::string(rq.method) + " " + std::string(rq.path) + "\n" + std::string(rq.body));
  const auto not_before = core::wall_ms() / 1000 - ctx.settings.idempotency_retention_s;
  store::messages::idempotent_answer earlier;
  core::error_code ec;
  auto read_earlier = [&](store::connection& c) {
    return store::messages::idempotency_get(c, scope, key, not_before, earlier);
  };

  // Same key: the first answer again (same request, whatever happened since) or "reused".
  if (!key.empty()) {
    ec = co_await ctx.db.read(read_earlier);
    if (!ec) co_return replay_or_reused(earlier, hash);
    if (ec != store::error::not_found) co_return failed(accept_result::kind::store_failed, ec);
  }

  auto checked = rq.check();
  if (!checked) co_return failed(accept_result::kind::body_refused);
  if (rq.instance.status == "needs_reauth") co_return failed(accept_result::kind::needs_reauth);
  if (rq.instance.status != "active") co_return failed(accept_result::kind::disabled);

  std::vector<templates::problem> warnings;
  if (ctx.checks) {
    // The instance's own window policy comes with its cached row: no store read for it.
    const auto own =
        templates::parse_window_policy(rq.instance.window_policy).value_or(templates::window_policy::automatic);
    auto verdict = co_await ctx.checks->check(ctx.db, rq.reactor, rq.instance.id, *checked, core::wall_ms(), own);
    if (verdict.refusal) {
      auto refused = failed(accept_result::kind::check_refused);
      refused.refusal = std::move(*verdict.refusal);
      co_return refused;
    }
    warnings = std::move(verdict.warnings);
  }

  accept_result out;
  out.what = accept_result::kind::accepted;
  out.message = new_outbound(rq.instance.id, rq.api_key_id, std::move(*checked));
  auto& m = out.message;
  json::object record{
      {"id", m.id},     {"object", "message"}, {"status", "accepted"},      {"instance_id", m.instance_id},
      {"peer", m.peer}, {"type", m.type},      {"created_at", m.created_at}};
  if (!warnings.empty()) record["warnings"] = warnings_json(warnings);
  if (rq.when) {
    // Scheduled (issue 21): the queue waits until send_at and gives up after expires_at.
    m.send_at = rq.when->send_at;
    m.expires_at = rq.when->expires_at;
    if (m.send_at > 0) record["send_at"] = m.send_at;
    if (m.expires_at) record["expires_at"] = *m.expires_at;
  }
  const store::messages::idempotent_answer first{hash, 202, json::serialize(record), m.created_at / 1000};
  auto write = [&](store::connection& c) -> core::error_code {
    if (auto e = optouts::check_single_send(c, m)) return e;  // the instance's opt-out rule: nothing stored
    if (auto e = store::messages::insert_outbound(c, m, rq.user_id)) return e;
    if (key.empty()) return {};
    return store::messages::idempotency_put(c, scope, key, rq.user_id, first, not_before);
  };
  ec = co_await ctx.db.write(write);
  if (ec == store::error::constraint && !key.empty()) {
    // A concurrent request with the same key committed first: answer as it did.
    ec = co_await ctx.db.read(read_earlier);
    if (!ec) co_return replay_or_reused(earlier, hash);
  }
  if (ec == optouts::error::opted_out) co_return failed(accept_result::kind::opted_out);
  if (ec) co_return failed(accept_result::kind::store_failed, ec);

  // Durable: hand the job to the instance's reactor.
  // A scheduled one is not handed over (a direct offer is due at once): the queue reads it,
  // with its due time, from the store.
  if (ctx.q) {
    if (m.send_at > 0)
      ctx.q->notify(m.instance_id);
    else
      ctx.q->notify(m.instance_id, m.seq, m.peer);
  }
  out.status = first.status;
  out.answer = first.response;
  out.message_id = m.id;
  out.warnings = std::move(warnings);
  co_return out;
}

}  // namespace enfinito::outbound
