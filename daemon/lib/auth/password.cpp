// auth::password: Argon2id via libsodium, and the dummy verification for absent users.
#include <enfinito/auth/password.hpp>

#include <sodium.h>

#include <cstdlib>
#include <mutex>

namespace enfinito::auth {
namespace {

void init_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();  // no CSPRNG: nothing here is safe to run
  });
}

const std::string& dummy_hash() {
  static const std::string h = hash_password("enfinito-dummy-password-for-timing");
  return h;
}

}  // namespace

std::string hash_password(std::string_view password) {
  init_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), argon2_opslimit, argon2_memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return {};
  return out;
}

bool verify_password(std::string_view stored, std::string_view password) {
  init_sodium();
  if (stored.empty() || stored.size() >= crypto_pwhash_STRBYTES) return false;
  std::string z(stored);  // NUL-terminated copy
  return crypto_pwhash_str_verify(z.c_str(), password.data(), password.size()) == 0;
}

bool needs_rehash(std::string_view stored) {
  init_sodium();
  if (stored.empty() || stored.size() >= crypto_pwhash_STRBYTES) return true;
  std::string z(stored);
  return crypto_pwhash_str_needs_rehash(z.c_str(), argon2_opslimit, argon2_memlimit) != 0;
}

void verify_dummy(std::string_view password) { (void)verify_password(dummy_hash(), password); }

bool password_length_ok(std::string_view password) {
  if (password.size() > password_max_bytes) return false;
  std::size_t code_points = 0;
  for (unsigned char ch : password)
    if ((ch & 0xC0) != 0x80) ++code_points;
  return code_points >= password_min_chars;
}

}  // namespace enfinito::auth
