#pragma once
/**
 * @file broadcasts::opted_out: the one question the send queue asks the do-not-contact list
 * before a broadcast message goes to Meta (issue 21). The queue calls it inside the store
 * write that leases the message (store::broadcasts::settle), so the answer and the skip
 * (`skipped_opted_out`, counted in the broadcast) commit together.
 *
 * It is the opt-out list's lookup (optouts::is_opted_out, one key on this connection); `peer`
 * is in meta::recipient_key form (digits only), the list's wa_id form.
 *
 * *Thread safety:* runs on the store writer thread, with its connection.
 */
#include <string_view>

namespace enfinito::store {
class connection;
}

namespace enfinito::broadcasts {

bool opted_out(store::connection& c, std::string_view instance_id, std::string_view peer);

}  // namespace enfinito::broadcasts
