// instances::meta_access: an instance's status checked and credentials opened before a relayed
// Graph call, and Meta's refusal of its token recorded (include/enfinito/instances/meta_access.hpp).
#include <enfinito/instances/meta_access.hpp>

#include <enfinito/instances/status.hpp>
#include <enfinito/meta/graph.hpp>
#include <enfinito/store/store.hpp>

namespace enfinito::instances {

net::awaitable<meta_access> open_for_meta(crypto::vault_source& vault, net::thread_pool& blocking,
                                          const store::instances::instance& row) {
  meta_access out;
  if (row.status == "needs_reauth")
    out.what = meta_access::kind::needs_reauth;
  else if (row.status != "active")
    out.what = meta_access::kind::disabled;
  if (out.what != meta_access::kind::ready) co_return out;
  auto creds = co_await crypto::open_graph_credentials(vault, blocking, row);
  if (!creds)
    out.what = meta_access::kind::vault_failed;
  else
    out.creds = std::move(*creds);
  co_return out;
}

net::awaitable<bool> note_meta_error(store::store& db, const std::string& instance_id, const meta::graph_error& e) {
  if (meta::classify(e) != meta::disposition::needs_reauth) co_return false;
  co_await mark_needs_reauth(db, instance_id, e);
  co_return true;
}

net::awaitable<core::result<meta::response>> call_meta(store::store& db, const meta::client& meta,
                                                       const std::string& instance_id, const core::secret_string& token,
                                                       meta::request rq, meta::call_options o) {
  auto got = co_await meta.send(std::move(rq), token, o);
  if (got && !got->ok()) co_await note_meta_error(db, instance_id, meta::parse_error(got->status, got->body));
  co_return got;
}

net::awaitable<core::result<waba_instances>> find_on_waba(store::store& db, crypto::vault_source& vault,
                                                          net::thread_pool& blocking, std::string user_id,
                                                          std::string waba_id, std::size_t max_instances,
                                                          std::function<bool(std::string_view)> visible) {
  std::vector<store::instances::instance> rows;
  auto list = [&](store::connection& c) { return store::instances::list(c, user_id, "", max_instances, rows); };
  auto ec = co_await db.read(list);
  if (ec) co_return ec;
  waba_instances found;
  for (auto& r : rows) {
    if (!visible(r.id)) continue;
    auto opened = co_await crypto::open_graph_credentials(vault, blocking, r);
    if (!opened || opened->waba_id != waba_id) continue;
    found.phone_numbers.push_back(opened->phone_number_id);
    found.rows.push_back(std::make_shared<const store::instances::instance>(std::move(r)));
  }
  co_return found;
}

}  // namespace enfinito::instances
