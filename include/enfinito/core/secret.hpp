#pragma once
/**
 * @file secret<T>: a value that cannot be logged, formatted or implicitly converted.
 *
 * Tokens, passwords, API keys and keys become `secret` the moment they are parsed. The only way
 * to the value is `.reveal()`, called at the point of use. Streaming a secret is a compile-time
 * error, and the destructor wipes string and byte storage so plaintext does not linger.
 */
#include <cstring>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace enfinito::core {

namespace detail {
/** Overwrites memory in a way the optimiser may not remove. */
inline void secure_wipe(void* p, std::size_t n) noexcept {
  volatile unsigned char* v = static_cast<volatile unsigned char*>(p);
  while (n--) *v++ = 0;
}
template <class T>
struct always_false : std::false_type {};
}  // namespace detail

template <class T>
class secret {
 public:
  secret() = default;
  explicit secret(T value) : value_(std::move(value)) {}
  secret(const secret&) = default;
  secret(secret&&) noexcept = default;
  secret& operator=(const secret&) = default;
  secret& operator=(secret&&) noexcept = default;
  ~secret() { wipe(); }

  /** The plaintext. Call only where the value is used (a request, a comparison). */
  const T& reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

  /** Always redacted: safe to put in a log line or an error message. */
  static constexpr const char* redacted() noexcept { return "[redacted]"; }

  template <class Stream>
  friend Stream& operator<<(Stream&, const secret&) {
    static_assert(detail::always_false<Stream>::value, "secret<T> must never be formatted");
  }

 private:
  void wipe() noexcept {
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::vector<unsigned char>>) {
      if (!value_.empty()) detail::secure_wipe(value_.data(), value_.size());
    }
  }
  T value_{};
};

using secret_string = secret<std::string>;
using secret_bytes = secret<std::vector<unsigned char>>;

}  // namespace enfinito::core
