// The vault: versioned-key AES-256-GCM blobs bound to (table, row id, field); lookup hashes.
#include <enfinito/crypto/vault.hpp>

#include <enfinito/crypto/aead.hpp>
#include <enfinito/crypto/encoding.hpp>
#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/hash.hpp>

#include "crypto/detail/openssl.hpp"

#include <boost/assert.hpp>

#include <openssl/crypto.h>

#include <climits>
#include <cstdint>

namespace enfinito::crypto {
namespace {

constexpr std::size_t header_size = 1 + 4;

void put_u32(std::string& out, std::uint32_t v) {
  out += static_cast<char>((v >> 24) & 0xff);
  out += static_cast<char>((v >> 16) & 0xff);
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

std::uint32_t get_u32(std::string_view s) noexcept {
  const auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

void put_field(std::string& out, std::string_view v) {
  // Table, row and field names are short; a 4 GiB name is a programming error.
  detail::check(v.size() <= UINT32_MAX);
  put_u32(out, static_cast<std::uint32_t>(v.size()));
  out.append(v);
}

// The associated data; see vault.hpp. Built per call: it is a few dozen bytes.
std::string make_aad(std::uint32_t key_id, const field_ref& where) {
  std::string aad;
  aad.reserve(header_size + 12 + where.table.size() + where.row_id.size() + where.field.size());
  aad += static_cast<char>(vault_format_version);
  put_u32(aad, key_id);
  put_field(aad, where.table);
  put_field(aad, where.row_id);
  put_field(aad, where.field);
  return aad;
}

aead_key key_view(const core::secret_bytes& k) noexcept {
  // keyring::make guarantees every key is exactly key_size bytes.
  return aead_key(k.reveal().data(), key_size);
}

}  // namespace

vault::vault(keyring keys) : keys_(std::move(keys)) {}

std::optional<std::uint32_t> vault::blob_key_id(std::string_view blob) noexcept {
  if (blob.size() < vault_overhead || static_cast<unsigned char>(blob[0]) != vault_format_version) return std::nullopt;
  return get_u32(blob.substr(1, 4));
}

std::string vault::encrypt(std::string_view plaintext, const field_ref& where) const {
  const std::uint32_t id = keys_.active_id();
  std::string blob;
  blob.reserve(vault_overhead + plaintext.size());
  blob += static_cast<char>(vault_format_version);
  put_u32(blob, id);
  seal_append(key_view(keys_.active_key()), make_aad(id, where), plaintext, blob);
  return blob;
}

core::result<core::secret_string> vault::decrypt(std::string_view blob, const field_ref& where) const {
  const auto id = blob_key_id(blob);
  if (!id) return error::decrypt_failed;
  const core::secret_bytes* key = keys_.find(*id);
  if (!key) return error::unknown_key_id;
  return open(key_view(*key), make_aad(*id, where), blob.substr(header_size));
}

bool vault::needs_rekey(std::string_view blob) const noexcept {
  const auto id = blob_key_id(blob);
  return !id || *id != keys_.active_id();
}

std::string vault::lookup_hash(std::string_view purpose, std::string_view value) const {
  // purpose || 0x00 || value: purposes never contain NUL, so the split point is unambiguous.
  BOOST_ASSERT(purpose.find('\0') == std::string_view::npos);
  std::string msg;
  msg.reserve(purpose.size() + 1 + value.size());
  msg.append(purpose);
  msg += '\0';
  msg.append(value);
  std::string out = hmac_sha256_hex(std::span<const unsigned char>(keys_.lookup_key().reveal()), msg);
  OPENSSL_cleanse(msg.data(), msg.size());  // `value` may be a credential
  return out;
}

}  // namespace enfinito::crypto
