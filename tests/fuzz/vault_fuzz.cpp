// Fuzz harness: vault decryption of arbitrary bytes must fail closed, never crash.
#include <enfinito/crypto/keyring.hpp>
#include <enfinito/crypto/vault.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace enfinito;

namespace {
const crypto::vault& the_vault() {
  // Fixed test keys (never used anywhere else): key 1 and key 2, and the lookup key.
  static const crypto::vault v = [] {
    auto kr = crypto::parse_keyring(
        "lookup AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "1 ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=\n"
        "2 QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=\n");
    if (!kr) std::abort();
    return crypto::vault(std::move(*kr));
  }();
  return v;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view blob(reinterpret_cast<const char*>(data), size);
  auto r = the_vault().decrypt(blob, {"instances", "ins_fuzz", "access_token"});
  if (r) std::abort();  // forging a valid ciphertext without the key would be a real finding
  (void)the_vault().needs_rekey(blob);
  return 0;
}
