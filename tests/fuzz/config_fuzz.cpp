// Fuzz harness: the TOML configuration parser and the key table's validation.
#include <enfinito/config/settings.hpp>

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)enfinito::config::parse(text);
  } catch (const enfinito::config::config_error&) {
    // expected for most inputs: a clear message, never a crash
  }
  return 0;
}
