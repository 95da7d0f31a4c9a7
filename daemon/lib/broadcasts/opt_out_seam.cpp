// broadcasts::opted_out: a broadcast message's recipient on the instance's do-not-contact
// list (optouts/list.hpp), asked in the write that leases the message.
#include <enfinito/broadcasts/opt_out_seam.hpp>
#include <enfinito/optouts/list.hpp>

namespace enfinito::broadcasts {

// A read error counts as listed: the message is skipped rather than sent to someone who may
// have written STOP (the broadcast's counts show it).
bool opted_out(store::connection& c, std::string_view instance_id, std::string_view peer) {
  auto listed = optouts::is_opted_out(c, instance_id, peer);
  return !listed || *listed;
}

}  // namespace enfinito::broadcasts
