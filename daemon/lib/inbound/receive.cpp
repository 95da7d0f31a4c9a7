// inbound::receive: Meta's webhooks in, from the raw bytes to the committed rows (the flow is
// drawn in include/enfinito/inbound/receive.hpp).
#include <enfinito/inbound/receive.hpp>

#include <enfinito/core/clock.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/inbound/mapping.hpp>
#include <enfinito/instances/status.hpp>
#include <enfinito/instances/webhook_health.hpp>
#include <enfinito/meta/message_rules.hpp>
#include <enfinito/meta/webhook.hpp>
#include <enfinito/optouts/list.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/hooks.hpp>
#include <enfinito/store/inbound.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/store/templates.hpp>

#include <boost/json.hpp>

namespace enfinito::inbound {
namespace {

// What the commit reports back to the reactor.
struct committed {
  store::inbound::outcome out;
  bool throughput_changed = false;
  bool limit_changed = false;
};

// Meta changed the number's messaging limit tier (a phone_number_quality_update naming it):
// the row follows, and an `instance.messaging_limit` event says so when the tier moved
// (instances::set_messaging_limit, shared with the phone-number read at verification).
core::error_code note_messaging_limit(store::connection& c, const batch& b, std::int64_t now, committed& done) {
  if (auto ec = instances::set_messaging_limit(c, b.owner.instance_id, b.owner.user_id, b.messaging_limit_tier,
                                               b.messaging_limit_event, now, done.limit_changed))
    return ec;
  if (done.limit_changed) ++done.out.events;
  return {};
}

// Keeps Meta's exact bytes for customer webhooks of format `meta` when this write appended
// events for an instance that has such an endpoint; the range of event ids ties them.
core::error_code keep_meta_payload(store::connection& c, const batch& b, std::string_view raw, std::int64_t before,
                                   std::int64_t now) {
  std::int64_t after = 0;
  if (auto ec = store::hooks::max_event_id(c, after)) return ec;
  if (after <= before) return {};
  return store::hooks::store_meta_payload(c, b.owner.instance_id, before + 1, after, raw, now);
}

// The one store write of a POST: throughput, messages (with the opt-out keywords they carry),
// statuses, events, the raw payload. `replies`: optouts::inbound_candidates(b.messages).
core::error_code commit(store::connection& c, const batch& b, const std::vector<std::vector<std::string>>& replies,
                        std::string_view raw, committed& done) {
  const auto now = core::wall_ms();
  if (!b.throughput_level.empty())
    if (auto ec =
            store::instances::set_throughput(c, b.owner.instance_id, b.throughput_level, now, done.throughput_changed))
      return ec;
  if (auto ec = note_messaging_limit(c, b, now, done)) return ec;
  bool passthrough = false;
  std::int64_t before = 0;
  if (auto ec = store::hooks::has_meta_endpoint(c, b.owner.instance_id, passthrough)) return ec;
  if (passthrough)
    if (auto ec = store::hooks::max_event_id(c, before)) return ec;
  for (std::size_t i = 0; i < b.messages.size(); ++i) {
    const auto stored_before = done.out.stored;
    if (auto ec = store::inbound::store_message(c, b.owner, b.messages[i], now, done.out)) return ec;
    if (done.out.stored > stored_before)  // new, not a redelivery: a keyword counts once
      if (auto ec = optouts::on_inbound(c, b.owner, b.messages[i], replies[i], now, done.out)) return ec;
  }
  for (const auto& st : b.statuses)
    if (auto ec = store::inbound::apply_status(c, b.owner, st, meta::status_advances, now, done.out)) return ec;
  // The local template copy follows Meta's template webhooks; the first POST starts the
  // instance's webhook history (the window policy `auto`: templates/checks.hpp).
  if (auto ec = store::templates::note_webhooks(c, b.owner.instance_id, now)) return ec;
  for (const auto& t : b.template_updates) {
    bool applied = false;
    if (auto ec = store::templates::apply(c, b.owner.instance_id, t, now, applied)) return ec;
  }
  for (const auto& e : b.events) {
    auto ec = e.digest.empty() ? store::inbound::append_event(c, b.owner, e.type, e.data, done.out)
                               : store::inbound::append_event_once(c, b.owner, e.digest, e.type, e.data, now, done.out);
    if (ec) return ec;
  }
  if (passthrough && done.out.events > 0) return keep_meta_payload(c, b, raw, before, now);
  return {};
}

void log_stored(const origin& from, const store::inbound::outcome& out) {
  core::log::info("inbound.webhook_stored", {{"request_id", from.request_id},
                                             {"instance", from.instance_id},
                                             {"messages", out.stored},
                                             {"duplicates", out.duplicates},
                                             {"statuses_applied", out.applied},
                                             {"statuses_ignored", out.ignored},
                                             {"statuses_pending", out.pending},
                                             {"events", out.events}});
}

// Maps and commits a verified, parsed notification.
net::awaitable<receipt> store_notification(receiver& rx, const origin& from, meta::notification& parsed,
                                           const identity& who, std::string_view raw) {
  const batch b = map_updates(parsed, who);
  if (b.misrouted)
    core::log::warn(
        "inbound.webhook_misrouted",
        {{"request_id", from.request_id}, {"instance", from.instance_id}, {"dropped_updates", b.misrouted}});
  const auto replies = optouts::inbound_candidates(b.messages);  // parsed here, not on the writer
  committed done;
  auto write = [&](store::connection& c) { return commit(c, b, replies, raw, done); };
  auto ec = co_await rx.source().db.write(write);
  auto answer = receipt::accepted;
  if (!ec && done.throughput_changed) {
    core::log::info(
        "inbound.instance_throughput_raised",
        {{"request_id", from.request_id}, {"instance", from.instance_id}, {"throughput", b.throughput_level}});
  }
  if (!ec && done.limit_changed)
    core::log::info(
        "inbound.instance_messaging_limit",
        {{"request_id", from.request_id}, {"instance", from.instance_id}, {"tier", b.messaging_limit_tier}});
  if (ec) {
    core::log::error("inbound.webhook_store_failed",
                     {{"request_id", from.request_id}, {"instance", from.instance_id}, {"error", ec.message()}});
    answer = ec == store::error::full ? receipt::unavailable : receipt::store_failed;
  } else {
    log_stored(from, done.out);
    // In memory only: the instance watch flushes it with everyone else's (no write per POST).
    if (rx.activity()) rx.activity()->note_webhook(from.instance_id, core::wall_ms(), !b.statuses.empty());
  }
  co_return answer;
}

// Parses a verified body; stores it when it is Meta's WABA object.
net::awaitable<receipt> parse_and_store(receiver& rx, const origin& from, const identity& who, std::string_view body) {
  meta::parse_limits limits;
  limits.max_bytes = rx.max_body_bytes();
  auto parsed = meta::parse_notification(body, limits);
  auto answer = receipt::accepted;
  if (!parsed) {
    core::log::warn("inbound.webhook_unparsable",
                    {{"request_id", from.request_id}, {"instance", from.instance_id}, {"bytes", body.size()}});
    answer = receipt::unparsable;
  } else if (parsed->object != "whatsapp_business_account") {
    core::log::warn("inbound.webhook_ignored",
                    {{"request_id", from.request_id}, {"instance", from.instance_id}, {"reason", "object"}});
  } else {
    auto stored = co_await store_notification(rx, from, *parsed, who, body);
    answer = stored;
  }
  co_return answer;
}

}  // namespace

receiver::receiver(credential_source src, const receiver_options& opts)
    : src_(std::move(src)),
      cache_(opts.reactors, src_.db.changes(), opts.credential_ttl),
      max_body_bytes_(opts.max_body_bytes),
      activity_(opts.activity) {}

net::awaitable<handshake_answer> verify_subscription(receiver& rx, const origin& from, const handshake_query& q) {
  handshake_answer answer;
  answer.verdict = decide_handshake(q, from.instance_id, nullptr);
  if (answer.verdict == handshake_verdict::look_up) {
    auto found = co_await look_up(rx.source(), rx.cache(), from.reactor, from.instance_id);
    answer.verdict = decide_handshake(q, from.instance_id, &found);
    if (answer.verdict == handshake_verdict::forbidden)
      core::log::warn("inbound.webhook_handshake_refused",
                      {{"request_id", from.request_id}, {"instance", from.instance_id}});
    if (answer.verdict == handshake_verdict::accepted) {
      core::log::info("inbound.webhook_handshake", {{"request_id", from.request_id}, {"instance", from.instance_id}});
      answer.challenge = *q.challenge;
    }
  }
  co_return answer;
}

net::awaitable<receipt> receive(receiver& rx, const origin& from, std::optional<std::string_view> signature,
                                std::string_view body) {
  auto admitted = decide_admission(signature, from.instance_id, body, nullptr);
  lookup found;
  if (admitted.verdict == admission_verdict::look_up) {
    auto looked = co_await look_up(rx.source(), rx.cache(), from.reactor, from.instance_id);
    found = std::move(looked);
    admitted = decide_admission(signature, from.instance_id, body, &found);
  }
  auto answer = receipt::refused;
  if (admitted.verdict == admission_verdict::refused)
    core::log::warn("inbound.webhook_refused",
                    {{"request_id", from.request_id}, {"instance", from.instance_id}, {"reason", admitted.reason}});
  if (admitted.verdict == admission_verdict::unavailable) answer = receipt::unavailable;
  if (admitted.verdict == admission_verdict::admitted) {
    auto accepted = co_await parse_and_store(rx, from, found.found->who, body);
    answer = accepted;
  }
  co_return answer;
}

}  // namespace enfinito::inbound
