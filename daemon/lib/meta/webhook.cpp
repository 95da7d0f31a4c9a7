// meta::webhook: signature check over raw bytes, envelope parsing, status ordering.
#include <enfinito/core/json_strict.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/meta/graph.hpp>
#include <enfinito/meta/webhook.hpp>

#include <boost/json.hpp>

#include <cerrno>
#include <cstdlib>

namespace enfinito::meta {

namespace {
bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string str(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return std::string(it->value().get_string());
}

// Meta sends timestamps as decimal strings; accept numbers too, anything else is 0.
std::int64_t timestamp_of(const boost::json::object& o) {
  auto it = o.find("timestamp");
  if (it == o.end()) return 0;
  if (it->value().is_int64()) return it->value().get_int64();
  if (!it->value().is_string()) return 0;
  std::string s(it->value().get_string());
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno || end == s.c_str() || *end) return 0;
  return v;
}

void first_error(const boost::json::object& o, update& u) {
  auto it = o.find("errors");
  if (it == o.end() || !it->value().is_array() || it->value().get_array().empty()) return;
  const auto& e = it->value().get_array()[0];
  if (!e.is_object()) return;
  const auto& eo = e.get_object();
  if (auto c = eo.find("code"); c != eo.end() && c->value().is_int64()) u.error_code = c->value().get_int64();
  u.error_title = str(eo, "title");
}

core::error_code bad() { return std::make_error_code(std::errc::invalid_argument); }
}  // namespace

bool verify_signature(std::string_view raw_body, std::string_view header, std::string_view app_secret) noexcept {
  constexpr std::string_view prefix = "sha256=";
  if (app_secret.empty() || !header.starts_with(prefix)) return false;
  auto given = header.substr(prefix.size());
  if (given.size() != 64 || !is_lower_hex(given)) return false;
  try {
    auto expected = crypto::hmac_sha256_hex(app_secret, raw_body);
    return crypto::constant_time_equal(expected, given);
  } catch (...) {
    return false;
  }
}

core::result<notification> parse_notification(std::string_view raw, const parse_limits& limits) {
  if (raw.size() > limits.max_bytes) return std::make_error_code(std::errc::message_size);
  // I-JSON only, as for client bodies (core/json_strict.hpp): what we store and forward of a
  // notification must mean what Meta sent.
  auto parsed = core::parse_json_strict(raw, {}, {.max_depth = limits.max_depth});
  if (parsed.error || !parsed.value->is_object()) return bad();
  const auto& root = parsed.value->get_object();
  notification n;
  n.object = str(root, "object");
  auto entries = root.find("entry");
  if (entries == root.end() || !entries->value().is_array()) return bad();
  for (const auto& entry : entries->value().get_array()) {
    if (!entry.is_object()) return bad();
    const auto& eo = entry.get_object();
    std::string waba = str(eo, "id");
    std::int64_t entry_time = 0;
    if (auto t = eo.find("time"); t != eo.end() && t->value().is_int64()) entry_time = t->value().get_int64();
    auto changes = eo.find("changes");
    if (changes == eo.end() || !changes->value().is_array()) continue;
    for (const auto& change : changes->value().get_array()) {
      if (!change.is_object()) return bad();
      const auto& co = change.get_object();
      std::string field = str(co, "field");
      auto vit = co.find("value");
      if (vit == co.end() || !vit->value().is_object()) continue;
      const auto& value = vit->value().get_object();
      auto base = [&] {
        update u;
        u.waba_id = waba;
        u.entry_time = entry_time;
        u.field = field;
        if (auto m = value.find("metadata"); m != value.end() && m->value().is_object()) {
          u.phone_number_id = str(m->value().get_object(), "phone_number_id");
          u.display_phone_number = str(m->value().get_object(), "display_phone_number");
        }
        return u;
      };
      if (field != "messages") {
        auto u = base();
        u.kind = update_kind::other_field;
        u.raw = boost::json::serialize(value);
        n.updates.push_back(std::move(u));
        if (n.updates.size() > limits.max_updates) return std::make_error_code(std::errc::message_size);
        continue;
      }
      // Contacts give the sender's profile name and business-scoped id.
      std::vector<const boost::json::object*> contacts;
      if (auto c = value.find("contacts"); c != value.end() && c->value().is_array())
        for (const auto& x : c->value().get_array())
          if (x.is_object()) contacts.push_back(&x.get_object());
      auto add = [&](update_kind kind, const char* key) -> bool {
        auto it = value.find(key);
        if (it == value.end()) return true;
        if (!it->value().is_array()) return false;
        for (const auto& item : it->value().get_array()) {
          if (!item.is_object()) return false;
          const auto& io = item.get_object();
          auto u = base();
          u.kind = kind;
          u.timestamp = timestamp_of(io);
          first_error(io, u);
          if (kind == update_kind::message) {
            u.id = str(io, "id");
            u.from = str(io, "from");
            u.type = str(io, "type");
            for (const auto* c : contacts) {
              if (str(*c, "wa_id") != u.from) continue;
              if (auto p = c->find("profile"); p != c->end() && p->value().is_object())
                u.contact_name = str(p->value().get_object(), "name");
              u.user_id = str(*c, "user_id");
              u.contact = boost::json::serialize(*c);
            }
          } else if (kind == update_kind::status) {
            u.id = str(io, "id");
            u.type = str(io, "status");
            u.from = str(io, "recipient_id");
            u.user_id = str(io, "recipient_user_id");
            u.tagged_message = std::string(tagged_message_id(str(io, "biz_opaque_callback_data")));
          } else {  // a value-level error is itself {code, title, ...}
            u.type = "error";
            if (auto c = io.find("code"); c != io.end() && c->value().is_int64()) u.error_code = c->value().get_int64();
            u.error_title = str(io, "title");
          }
          if (u.tagged_message.empty()) {
            u.raw = boost::json::serialize(item);
          } else {
            auto untagged = io;  // the tag is ours, not the customer's
            untagged.erase("biz_opaque_callback_data");
            u.raw = boost::json::serialize(untagged);
          }
          n.updates.push_back(std::move(u));
          if (n.updates.size() > limits.max_updates) return false;
        }
        return true;
      };
      if (!add(update_kind::message, "messages") || !add(update_kind::status, "statuses") ||
          !add(update_kind::error, "errors"))
        return n.updates.size() > limits.max_updates ? core::error_code(std::make_error_code(std::errc::message_size))
                                                     : bad();
    }
  }
  return n;
}

std::string strip_callback_tags(std::string_view raw) {
  if (raw.find(callback_tag_prefix) == std::string_view::npos) return std::string(raw);
  auto parsed = core::parse_json_strict(raw);
  if (parsed.error || !parsed.value->is_object()) return std::string(raw);
  auto& v = *parsed.value;
  auto each_object = [](boost::json::value* parent, const char* key, auto&& fn) {
    if (!parent || !parent->is_object()) return;
    auto* a = parent->get_object().if_contains(key);
    if (!a || !a->is_array()) return;
    for (auto& x : a->get_array())
      if (x.is_object()) fn(x);
  };
  each_object(&v, "entry", [&](boost::json::value& entry) {
    each_object(&entry, "changes", [&](boost::json::value& change) {
      each_object(change.get_object().if_contains("value"), "statuses", [](boost::json::value& st) {
        auto& o = st.get_object();
        if (const auto* d = o.if_contains("biz_opaque_callback_data");
            d && d->is_string() && !tagged_message_id(d->get_string()).empty())
          o.erase("biz_opaque_callback_data");
      });
    });
  });
  return boost::json::serialize(v);
}

int status_rank(std::string_view s) noexcept {
  if (s == "sent") return 1;
  if (s == "delivered") return 2;
  if (s == "read") return 3;
  if (s == "played") return 4;
  return 0;
}

bool status_advances(std::string_view current, std::string_view incoming) noexcept {
  if (incoming == current) return false;
  if (incoming == "failed") return status_rank(current) < 2;  // a delivered message did not fail
  if (current == "failed") return false;
  int in = status_rank(incoming);
  return in > 0 && in > status_rank(current);
}

}  // namespace enfinito::meta
