// optouts::list: the do-not-contact list's changes (inbound keyword, API), their events and
// audit entries, the settings, and the checks the send paths call (the flow is drawn in
// include/enfinito/optouts/list.hpp).
#include <enfinito/optouts/list.hpp>

#include <enfinito/core/clock.hpp>
#include <enfinito/meta/message_rules.hpp>
#include <enfinito/optouts/error.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/messages.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/store/templates.hpp>

#include <boost/json.hpp>

#include <algorithm>

namespace enfinito::optouts {
namespace {

namespace json = boost::json;

// A stored keyword list (JSON array of strings); the built-in list when absent or unreadable.
std::vector<std::string> keywords_of(const std::optional<std::string>& stored, const std::vector<std::string>& builtin,
                                     bool& is_default) {
  is_default = true;
  if (!stored) return builtin;
  boost::system::error_code ec;
  const auto v = json::parse(*stored, ec);
  if (ec || !v.is_array()) return builtin;
  std::vector<std::string> out;
  for (const auto& k : v.get_array())
    if (k.is_string()) out.emplace_back(k.get_string());
  is_default = false;
  return out;
}

std::optional<std::string> stored_list(const std::vector<std::string>& words, bool is_default) {
  if (is_default) return std::nullopt;
  json::array a;
  for (const auto& w : words) a.emplace_back(w);
  return json::serialize(a);
}

// optout.added / optout.removed, and its audit entry, in the write that changed the list.
core::error_code record(store::connection& c, std::string_view owner, std::string_view actor, std::string_view address,
                        std::string_view instance_id, const store::optouts::entry& e, bool added) {
  const auto type = added ? std::string("optout.added") : std::string("optout.removed");
  json::object d{{"instance_id", instance_id}, {"wa_id", e.wa_id}, {"source", e.source}};
  d["keyword"] = e.keyword.empty() ? json::value(nullptr) : json::value(e.keyword);
  d["message_id"] = e.message_id.empty() ? json::value(nullptr) : json::value(e.message_id);
  store::events::event ev{0, std::string(owner), std::string(instance_id), type, json::serialize(d), 0};
  if (auto ec = store::events::append(c, ev)) return ec;
  std::string detail = "instance=" + std::string(instance_id) + " wa_id=" + e.wa_id + " by=" + e.source;
  if (!e.message_id.empty()) detail += " message=" + e.message_id;
  return store::accounts::audit(c, owner, actor, type, detail, address);
}

// The template's name and language code in a checked send body; empty when absent.
std::pair<std::string, std::string> template_of(std::string_view body) {
  boost::system::error_code ec;
  const auto v = json::parse(body, ec);
  const auto* t = !ec && v.is_object() ? v.get_object().if_contains("template") : nullptr;
  if (!t || !t->is_object()) return {};
  std::pair<std::string, std::string> out;
  if (const auto* n = t->get_object().if_contains("name"); n && n->is_string()) out.first = n->get_string();
  const auto* l = t->get_object().if_contains("language");
  const auto* code = l && l->is_object() ? l->get_object().if_contains("code") : nullptr;
  if (code && code->is_string()) out.second = code->get_string();
  return out;
}

bool allowed_key_char(char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '.' || ch == '_';
}

}  // namespace

std::optional<enforcement> parse_enforcement(std::string_view s) {
  if (s == "off") return enforcement::off;
  if (s == "marketing_templates") return enforcement::marketing_templates;
  if (s == "all_templates") return enforcement::all_templates;
  return std::nullopt;
}

std::string_view name(enforcement e) {
  switch (e) {
    case enforcement::off:
      return "off";
    case enforcement::marketing_templates:
      return "marketing_templates";
    case enforcement::all_templates:
      return "all_templates";
  }
  return "off";
}

core::error_code read_settings(store::connection& c, std::string_view instance_id, settings& out) {
  store::optouts::settings_row row;
  if (auto ec = store::optouts::get_settings(c, instance_id, row)) return ec;
  out = settings{};
  out.enabled = row.enabled;
  out.keywords.stop = keywords_of(row.stop_keywords, default_stop_keywords(), out.default_stop);
  out.keywords.start = keywords_of(row.start_keywords, default_start_keywords(), out.default_start);
  out.enforce = parse_enforcement(row.enforce).value_or(enforcement::off);
  out.updated_at = row.updated_at;
  return {};
}

bool refuses(enforcement e, bool is_template, bool listed, bool marketing) noexcept {
  if (!is_template || !listed) return false;
  if (e == enforcement::all_templates) return true;
  return e == enforcement::marketing_templates && marketing;
}

bool is_marketing_category(std::optional<std::string_view> category) noexcept {
  if (!category) return true;  // unknown: the conservative reading (see list.hpp)
  return *category == "MARKETING" || *category == "marketing";
}

bool template_is_marketing(store::connection& c, std::string_view instance_id, std::string_view name,
                           std::string_view language) {
  // The category comes from the instance's local template copy (store/templates.hpp); a
  // template the copy does not hold, or a read error, keeps the conservative reading.
  store::templates::row t;
  if (store::templates::get(c, instance_id, name, language, t) || t.category.empty())
    return is_marketing_category(std::nullopt);
  return is_marketing_category(std::string_view(t.category));
}

core::result<bool> is_opted_out(store::connection& c, std::string_view instance_id, std::string_view wa_id) {
  bool listed = false;
  if (auto ec = store::optouts::contains(c, instance_id, wa_id, listed))
    return core::result<bool>(boost::system::in_place_error, ec);
  return listed;
}

core::error_code check_single_send(store::connection& c, const store::messages::message& m) {
  if (m.type != "template") return {};
  store::optouts::settings_row row;
  if (auto ec = store::optouts::get_settings(c, m.instance_id, row)) return ec;
  const auto e = parse_enforcement(row.enforce).value_or(enforcement::off);
  if (e == enforcement::off) return {};
  auto listed = is_opted_out(c, m.instance_id, m.peer);
  if (!listed) return listed.error();
  bool marketing = false;
  if (*listed && e == enforcement::marketing_templates) {
    const auto [tname, language] = template_of(m.body);
    marketing = template_is_marketing(c, m.instance_id, tname, language);
  }
  return refuses(e, true, *listed, marketing) ? make_error_code(error::opted_out) : core::error_code{};
}

std::vector<std::vector<std::string>> inbound_candidates(const std::vector<store::inbound::message>& messages) {
  std::vector<std::vector<std::string>> out;
  out.reserve(messages.size());
  for (const auto& m : messages) out.push_back(candidates(m.type, m.body));
  return out;
}

core::error_code on_inbound(store::connection& c, const store::inbound::owner& o, const store::inbound::message& m,
                            const std::vector<std::string>& texts, std::int64_t now_ms, store::inbound::outcome& out) {
  if (texts.empty() || m.peer.empty()) return {};  // the common case: no read at all
  settings s;
  if (auto ec = read_settings(c, o.instance_id, s)) return ec;
  if (!s.enabled) return {};
  const auto hit = match(texts, s.keywords);
  if (hit.what == verdict::none) return {};
  store::optouts::entry e{m.peer, "keyword", hit.keyword, m.id, now_ms};
  bool changed = false;
  if (hit.what == verdict::opt_out) {
    if (auto ec = store::optouts::add(c, o.instance_id, e, changed)) return ec;
  } else {
    if (auto ec = store::optouts::remove(c, o.instance_id, m.peer, changed)) return ec;
  }
  if (!changed) return {};
  if (auto ec = record(c, o.user_id, "", "", o.instance_id, e, hit.what == verdict::opt_out)) return ec;
  ++out.events;
  return {};
}

std::string wa_id_key(std::string_view given) {
  if (given.size() > 64) return {};
  auto key = meta::recipient_key(given);
  if (key.empty() || key.size() > 64 || !std::all_of(key.begin(), key.end(), allowed_key_char)) return {};
  return key;
}

net::awaitable<change> add(store::store& db, const actor& who, std::string_view instance_id, std::string_view wa_id) {
  change out;
  const std::string iid(instance_id);
  store::optouts::entry e{std::string(wa_id), "api", {}, {}, core::wall_ms()};
  auto write = [&](store::connection& c) -> core::error_code {
    if (auto ec = store::optouts::add(c, iid, e, out.changed)) return ec;
    if (!out.changed) return store::optouts::get(c, iid, e.wa_id, out.entry);
    out.entry = e;
    return record(c, who.user_id, who.user_id, who.client_address, iid, e, true);
  };
  out.ec = co_await db.write(write);
  co_return out;
}

net::awaitable<change> remove(store::store& db, const actor& who, std::string_view instance_id,
                              std::string_view wa_id) {
  change out;
  const std::string iid(instance_id);
  store::optouts::entry e{std::string(wa_id), "api", {}, {}, core::wall_ms()};
  auto write = [&](store::connection& c) -> core::error_code {
    if (auto ec = store::optouts::remove(c, iid, e.wa_id, out.changed)) return ec;
    if (!out.changed) return {};
    return record(c, who.user_id, who.user_id, who.client_address, iid, e, false);
  };
  out.ec = co_await db.write(write);
  co_return out;
}

std::string apply(settings& s, const settings_change& c) {
  if (c.enabled) s.enabled = *c.enabled;
  if (c.enforce) s.enforce = *c.enforce;
  if (c.stop) {
    s.default_stop = !c.stop->has_value();
    s.keywords.stop = s.default_stop ? default_stop_keywords() : **c.stop;
  }
  if (c.start) {
    s.default_start = !c.start->has_value();
    s.keywords.start = s.default_start ? default_start_keywords() : **c.start;
  }
  for (const auto& k : s.keywords.stop)
    if (std::find(s.keywords.start.begin(), s.keywords.start.end(), k) != s.keywords.start.end())
      return "\"" + k + "\" cannot be both a stop and a start keyword";
  return {};
}

net::awaitable<core::error_code> save_settings(store::store& db, const actor& who, std::string_view instance_id,
                                               const settings_change& c, settings& out, std::string& why) {
  const std::string iid(instance_id);
  auto write = [&](store::connection& conn) -> core::error_code {
    if (auto ec = read_settings(conn, iid, out)) return ec;
    why = apply(out, c);
    if (!why.empty()) return {};
    out.updated_at = core::wall_ms();
    store::optouts::settings_row row;
    row.enabled = out.enabled;
    row.stop_keywords = stored_list(out.keywords.stop, out.default_stop);
    row.start_keywords = stored_list(out.keywords.start, out.default_start);
    row.enforce = std::string(name(out.enforce));
    row.updated_at = out.updated_at;
    if (auto ec = store::optouts::put_settings(conn, iid, row)) return ec;
    const std::string detail = "instance=" + iid + " enabled=" + (out.enabled ? "true" : "false") +
                               " enforce=" + row.enforce + " stop=" + (out.default_stop ? "default" : "custom") +
                               " start=" + (out.default_start ? "default" : "custom");
    return store::accounts::audit(conn, who.user_id, who.user_id, "optout.settings_updated", detail,
                                  who.client_address);
  };
  auto ec = co_await db.write(write);
  co_return ec;
}

}  // namespace enfinito::optouts
