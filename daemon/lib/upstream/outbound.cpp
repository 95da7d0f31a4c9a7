// upstream::outbound: the closed list of reasons to connect out and the record of where the
// daemon connected (see include/enfinito/upstream/outbound.hpp).
#include <enfinito/core/log.hpp>
#include <enfinito/upstream/outbound.hpp>

#include <array>
#include <map>
#include <mutex>
#include <tuple>

namespace enfinito::upstream {
namespace {

constexpr std::array<purpose_info, 6> list{{
    {purpose::meta_graph, "meta_graph"},
    {purpose::meta_media, "meta_media"},
    {purpose::google, "google"},
    {purpose::smtp, "smtp"},
    {purpose::customer_webhook, "customer_webhook"},
    {purpose::dev_sandbox, "dev_sandbox"},
}};

struct record {
  std::mutex mu;
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> endpoints;
  std::uint64_t not_itemised = 0;
};

record& the_record() {
  static record r;
  return r;
}

void count(std::string_view what, std::string_view host, std::string_view port) {
  auto& r = the_record();
  std::lock_guard lk(r.mu);
  auto key = std::make_tuple(std::string(what), std::string(host), std::string(port));
  auto it = r.endpoints.find(key);
  if (it != r.endpoints.end())
    ++it->second;
  else if (r.endpoints.size() < max_endpoints)
    r.endpoints.emplace(std::move(key), 1);
  else
    ++r.not_itemised;
}

}  // namespace

std::span<const purpose_info> purposes() noexcept { return list; }

std::string_view name(purpose p) noexcept {
  for (const auto& x : list)
    if (x.what == p) return x.name;
  return "unnamed";
}

void note_connect(purpose p, std::string_view host, std::string_view port) {
  count(name(p), host, port);
  if (core::log::enabled(core::log::level::debug))
    core::log::debug("upstream.connect", {{"purpose", name(p)}, {"host", host}, {"port", port}});
}

void note_unnamed_connect(std::string_view host, std::string_view port) {
  count("unnamed", host, port);
  // Debug, not warn: the test tools (the fake Graph API's webhooks) use this client too.
  if (core::log::enabled(core::log::level::debug))
    core::log::debug("upstream.connect_unnamed", {{"host", host}, {"port", port}});
}

std::vector<endpoint_count> connections() {
  auto& r = the_record();
  std::lock_guard lk(r.mu);
  std::vector<endpoint_count> out;
  for (const auto& [k, n] : r.endpoints) out.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), n});
  return out;
}

std::uint64_t connections_not_itemised() {
  auto& r = the_record();
  std::lock_guard lk(r.mu);
  return r.not_itemised;
}

void forget_connections() {
  auto& r = the_record();
  std::lock_guard lk(r.mu);
  r.endpoints.clear();
  r.not_itemised = 0;
}

}  // namespace enfinito::upstream
