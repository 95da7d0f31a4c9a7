// Fuzz harness: Meta webhook signature check and notification parsing of arbitrary bytes.
#include <enfinito/meta/webhook.hpp>

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  // The first line, if any, doubles as a signature header.
  auto nl = raw.find('\n');
  (void)enfinito::meta::verify_signature(raw, raw.substr(0, nl), "fuzz-secret");
  auto n = enfinito::meta::parse_notification(raw);
  if (n)
    for (const auto& u : n->updates) (void)enfinito::meta::status_advances("sent", u.type);
  return 0;
}
