// store::pg::notice: the NOTIFY payload of a committed group, encoded and decoded (see the header).
#include <enfinito/store/pg/notice.hpp>

#include <boost/json.hpp>

#include <algorithm>

namespace enfinito::store::pg {

notice describe(std::string_view node, const change_set& cs) {
  notice n;
  n.node = std::string(node);
  n.changed = cs.changed;
  if (!cs.events.empty()) {
    n.first_event = cs.events.front().id;
    n.last_event = cs.events.back().id;
  }
  n.instances = cs.instances;
  std::sort(n.instances.begin(), n.instances.end());
  n.instances.erase(std::unique(n.instances.begin(), n.instances.end()), n.instances.end());
  return n;
}

namespace {
boost::json::object to_json(const notice& n, bool with_instances) {
  boost::json::object o;
  o["node"] = n.node;
  o["changed"] = static_cast<std::int64_t>(n.changed);
  o["first"] = n.first_event;
  o["last"] = n.last_event;
  if (with_instances) {
    boost::json::array ids;
    for (auto& id : n.instances) ids.emplace_back(id);
    o["instances"] = std::move(ids);
  } else {
    o["reload"] = true;
  }
  return o;
}
}  // namespace

std::string encode(const notice& n) {
  if (!n.reload) {
    auto full = boost::json::serialize(to_json(n, true));
    if (full.size() <= notice_max_bytes) return full;
  }
  return boost::json::serialize(to_json(n, false));
}

std::optional<notice> decode(std::string_view payload) {
  boost::system::error_code ec;
  auto v = boost::json::parse(payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  auto& o = v.as_object();
  const auto* node = o.if_contains("node");
  const auto* changed = o.if_contains("changed");
  const auto* first = o.if_contains("first");
  const auto* last = o.if_contains("last");
  if (!node || !node->is_string() || !changed || !changed->is_int64() || !first || !first->is_int64() || !last ||
      !last->is_int64())
    return std::nullopt;
  notice n;
  n.node = std::string(node->as_string());
  n.changed = static_cast<change_mask>(changed->as_int64());
  n.first_event = first->as_int64();
  n.last_event = last->as_int64();
  if (const auto* r = o.if_contains("reload"); r && r->is_bool()) n.reload = r->as_bool();
  if (const auto* ids = o.if_contains("instances"); ids && ids->is_array()) {
    for (auto& id : ids->as_array())
      if (id.is_string()) n.instances.emplace_back(id.as_string());
  }
  return n;
}

void local_events::add(const std::vector<store::events::event>& appended) {
  std::lock_guard lk(mu_);
  for (auto& e : appended) ids_.insert(e.id);
}

bool local_events::contains(std::int64_t id) {
  std::lock_guard lk(mu_);
  return ids_.contains(id);
}

void local_events::forget_through(std::int64_t id) {
  std::lock_guard lk(mu_);
  ids_.erase(ids_.begin(), ids_.upper_bound(id));
}

}  // namespace enfinito::store::pg
