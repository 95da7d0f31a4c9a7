// templates::send_checks: the pre-send checks with their per-reactor caches
// (include/enfinito/templates/send_checks.hpp).
#include <enfinito/templates/send_checks.hpp>

#include <enfinito/store/error.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/store/templates.hpp>

#include <boost/json.hpp>

namespace enfinito::templates {
namespace {

namespace json = boost::json;

std::string text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

definition to_definition(const store::templates::row& r) {
  definition d;
  d.name = r.name;
  d.language = r.language;
  d.status = r.status;
  d.category = r.category;
  d.parameter_format = r.parameter_format;
  if (r.components) {
    boost::system::error_code ec;
    auto v = json::parse(*r.components, ec);
    if (!ec && v.is_array()) d.components = std::move(v.get_array());
  }
  return d;
}

send_checks::send_checks(std::size_t reactors, const store::change_stream& stream, window_policy policy)
    : policy_(policy),
      templates_(reactors, stream, static_cast<store::change_mask>(store::change::templates)),
      windows_(reactors, stream, store::change::windows | store::change::templates) {}

net::awaitable<send_verdict> send_checks::check(store::store& db, std::size_t reactor, const std::string& instance_id,
                                                const meta::checked_message& m, std::int64_t now_ms,
                                                window_policy own) {
  send_verdict v;
  if (m.what != meta::checked_message::kind::message) co_return v;
  if (m.type == "template") {
    auto refused = co_await check_template_send(db, reactor, instance_id, m);
    v.refusal = std::move(refused);
    co_return v;
  }
  auto w = co_await check_window(db, reactor, instance_id, m, now_ms, own);
  co_return w;
}

net::awaitable<std::optional<problem>> send_checks::check_template_send(store::store& db, std::size_t reactor,
                                                                        const std::string& instance_id,
                                                                        const meta::checked_message& m) {
  // The body passed meta::check_message: `template` is an object with name and language.code,
  // kept parsed in `m.template_object` (no second parse on the send path). A message built by
  // hand (no template_object) has its body parsed here rather than escape the check.
  json::value reparsed;
  const json::value* t = &m.template_object;
  if (!t->is_object()) {
    boost::system::error_code ec;
    reparsed = json::parse(m.body, ec);
    if (ec || !reparsed.is_object()) co_return std::nullopt;
    t = reparsed.get_object().if_contains("template");
    if (!t || !t->is_object()) co_return std::nullopt;
  }
  const auto& sent = t->get_object();
  const std::string name = text(sent, "name");
  const auto* lang = sent.if_contains("language");
  const std::string language = lang && lang->is_object() ? text(lang->get_object(), "code") : std::string();

  const std::string key = instance_id + '\x1f' + name + '\x1f' + language;
  std::shared_ptr<const template_entry> entry;
  if (auto* hit = templates_.get(reactor, key)) entry = *hit;
  if (!entry) {
    const auto generation = templates_.generation();  // before the read: see store/change_cache.hpp
    auto fresh = std::make_shared<template_entry>();
    auto read = [&](store::connection& c) -> core::error_code {
      store::templates::copy_state state;
      if (auto e = store::templates::state(c, instance_id, state)) return e;
      fresh->synced = state.synced_at.has_value();
      store::templates::row r;
      auto e = store::templates::get(c, instance_id, name, language, r);
      if (e == store::error::not_found) return {};
      if (e) return e;
      fresh->found = to_definition(r);
      return {};
    };
    auto rec = co_await db.read(read);
    if (rec) co_return std::nullopt;  // the copy unreadable: Meta judges rather than a false refusal
    templates_.put(reactor, key, fresh, generation);
    entry = std::move(fresh);
  }
  co_return check_template(entry->found ? &*entry->found : nullptr, entry->synced, sent);
}

net::awaitable<send_verdict> send_checks::check_window(store::store& db, std::size_t reactor,
                                                       const std::string& instance_id, const meta::checked_message& m,
                                                       std::int64_t now_ms, window_policy own) {
  send_verdict v;
  // `off` (the instance's, or the setting's followed by its auto) needs no window at all.
  if (own == window_policy::off || (own == window_policy::automatic && policy_ == window_policy::off)) co_return v;
  const std::string peer = meta::recipient_key(m.to);
  const std::string key = instance_id + '\x1f' + peer;
  window_entry entry;
  if (auto* hit = windows_.get(reactor, key)) {
    entry = *hit;
  } else {
    const auto generation = windows_.generation();
    auto read = [&](store::connection& c) -> core::error_code {
      store::templates::copy_state state;
      if (auto e = store::templates::state(c, instance_id, state)) return e;
      entry.webhooks_since = state.webhooks_since;
      return store::templates::last_inbound(c, instance_id, peer, entry.last_inbound_at);
    };
    auto rec = co_await db.read(read);
    if (rec) co_return v;  // unreadable: no refusal Meta might not make
    windows_.put(reactor, key, entry, generation);
  }
  if (window_at(entry.last_inbound_at, now_ms).open) co_return v;
  switch (instance_policy(own, policy_, entry.webhooks_since, now_ms)) {
    case window_policy::reject:
      v.refusal = window_closed();
      break;
    case window_policy::warn:
      v.warnings.push_back(window_closed());
      break;
    default:
      break;
  }
  co_return v;
}

}  // namespace enfinito::templates
