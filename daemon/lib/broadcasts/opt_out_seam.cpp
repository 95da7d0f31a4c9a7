// broadcasts::opted_out: the seam to the do-not-contact list (see opt_out_seam.hpp).
#include <enfinito/broadcasts/opt_out_seam.hpp>

namespace enfinito::broadcasts {

// SEAM(optouts): nobody is opted out until daemon/lib/optouts/ is wired here at merge.
bool opted_out(store::connection&, std::string_view, std::string_view) { return false; }

}  // namespace enfinito::broadcasts
