// hooks::signing: secrets, Standard Webhooks and Meta signatures, backoff, Retry-After.
#include <enfinito/hooks/signing.hpp>

#include <enfinito/crypto/encoding.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>

#include <array>
#include <charconv>
#include <ctime>
#include <iomanip>
#include <locale>
#include <sstream>

namespace enfinito::hooks {

core::secret_string new_secret() {
  std::array<unsigned char, 24> key{};
  crypto::random_bytes(key);
  std::string s(secret_prefix);
  s += crypto::base64_encode(key);
  key.fill(0);
  return core::secret_string(std::move(s));
}

std::optional<std::string> standard_signature(std::string_view secret, std::string_view id, std::int64_t timestamp_s,
                                              std::string_view body) {
  if (!secret.starts_with(secret_prefix)) return std::nullopt;
  auto key = crypto::base64_decode(secret.substr(secret_prefix.size()));
  if (!key || key->empty()) return std::nullopt;
  std::string signed_content;
  signed_content.reserve(id.size() + body.size() + 24);
  signed_content.append(id).append(".").append(std::to_string(timestamp_s)).append(".").append(body);
  auto mac = crypto::hmac_sha256(std::span<const unsigned char>(key->data(), key->size()), signed_content);
  std::fill(key->begin(), key->end(), 0);
  return "v1," + crypto::base64_encode(std::span<const unsigned char>(mac.data(), mac.size()));
}

std::string meta_signature(std::string_view secret, std::string_view body) {
  return "sha256=" + crypto::hmac_sha256_hex(secret, body);
}

std::chrono::milliseconds backoff(unsigned attempt, std::chrono::milliseconds base, std::chrono::milliseconds max) {
  double d = static_cast<double>(base.count());
  for (unsigned i = 1; i < attempt && d < static_cast<double>(max.count()); ++i) d *= 2;
  if (d > static_cast<double>(max.count())) d = static_cast<double>(max.count());
  std::uint32_t r = 0;
  crypto::random_bytes(std::span<unsigned char>(reinterpret_cast<unsigned char*>(&r), sizeof r));
  const double f = 0.75 + 0.25 * (static_cast<double>(r) / 4294967295.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(d * f));
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view v, std::int64_t now_s) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  if (v.front() >= '0' && v.front() <= '9') {
    std::int64_t s = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
    if (ec != std::errc() || p != v.data() + v.size() || s > 365ll * 86400) return std::nullopt;
    return std::chrono::milliseconds(s * 1000);
  }
  // IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT" (the form RFC 9110 requires senders to use).
  std::tm tm{};
  std::istringstream in{std::string(v)};
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
  if (in.fail()) return std::nullopt;
  const std::int64_t at = static_cast<std::int64_t>(timegm(&tm));
  return std::chrono::milliseconds(at > now_s ? (at - now_s) * 1000 : 0);
}

}  // namespace enfinito::hooks
