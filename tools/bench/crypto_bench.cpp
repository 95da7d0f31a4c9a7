// crypto_bench: HMAC-SHA256 over webhook-sized (1 KiB) bodies and AES-256-GCM seal/open of
// 64-byte credentials, each against a plain OpenSSL baseline measured in the same run.
//
//   crypto_bench [seconds-per-case]        (default 1.0)
//
// Baselines: the one-shot HMAC() (what most code calls; in OpenSSL 3 it fetches the algorithm
// and allocates a context per call), and AES-256-GCM with a fresh EVP_CIPHER_CTX and the
// implicit EVP_aes_256_gcm() per call. Ratios above 1 mean Enfinito's path is faster.
#include "timed_loop.hpp"

#include <enfinito/crypto/aead.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct result {
  double ops_per_s;
  double mb_per_s;
};

// Calls `op` until `seconds` have passed; `bytes` is the payload per call.
template <class Op>
result run(double seconds, std::size_t bytes, Op op) {
  const double ops = enfinito::bench::calls_per_second(seconds, op);
  return {ops, ops * static_cast<double>(bytes) / 1e6};
}

void print(const char* name, result r) {
  std::printf("  %-48s %12.0f ops/s %10.1f MB/s\n", name, r.ops_per_s, r.mb_per_s);
}

void ratio(const char* what, result ours, result base) {
  std::printf("  %-48s %12.2fx\n", what, ours.ops_per_s / base.ops_per_s);
}

volatile unsigned char sink;

// Baseline GCM: a fresh context and implicit fetch per call, as typical EVP code does.
std::string naive_seal(const unsigned char* key, const std::string& plain) {
  std::string out(12 + plain.size() + 16, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  enfinito::crypto::random_bytes({p, 12});
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key, p);
  EVP_EncryptUpdate(ctx, p + 12, &len, reinterpret_cast<const unsigned char*>(plain.data()),
                    static_cast<int>(plain.size()));
  EVP_EncryptFinal_ex(ctx, p + 12 + plain.size(), &len);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, p + 12 + plain.size());
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

bool naive_open(const unsigned char* key, const std::string& sealed, std::string& plain) {
  const auto* p = reinterpret_cast<const unsigned char*>(sealed.data());
  const std::size_t n = sealed.size() - 28;
  plain.resize(n);
  unsigned char tag[16];
  std::copy_n(p + 12 + n, 16, tag);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key, p);
  EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()), &len, p + 12, static_cast<int>(n));
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag);
  const bool ok = EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(plain.data()) + n, &len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  namespace crypto = enfinito::crypto;
  const double secs = argc > 1 ? std::atof(argv[1]) : 1.0;
  std::printf("crypto_bench: %.1f s per case, one thread\n", secs);

  // --- HMAC-SHA256, 1 KiB body, 32-character app secret (the webhook check) ---------------
  std::string body(1024, '\0');
  crypto::random_bytes({reinterpret_cast<unsigned char*>(body.data()), body.size()});
  const std::string secret = crypto::random_hex(16);

  // Both paths must agree before they are timed.
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), md, &md_len);
  const auto ours_md = crypto::hmac_sha256(secret, body);
  if (md_len != 32 || !std::equal(ours_md.begin(), ours_md.end(), md)) {
    std::fprintf(stderr, "HMAC mismatch between enfinito and OpenSSL\n");
    return 1;
  }

  std::printf("HMAC-SHA256, 1 KiB input\n");
  const result h_base = run(secs, body.size(), [&] {
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), md, &md_len);
    sink = md[0];
  });
  print("baseline: one-shot HMAC()", h_base);
  const result h_ours = run(secs, body.size(), [&] { sink = crypto::hmac_sha256(secret, body)[0]; });
  print("enfinito: crypto::hmac_sha256", h_ours);
  const result h_hex = run(secs, body.size(), [&] {
    const std::string sig = crypto::hmac_sha256_hex(secret, body);
    sink = static_cast<unsigned char>(crypto::constant_time_equal(sig, sig));
  });
  print("enfinito: hmac_sha256_hex + constant_time_equal", h_hex);
  ratio("ratio enfinito / baseline", h_ours, h_base);

  // --- AES-256-GCM, 64-byte credential ------------------------------------------------------
  std::array<unsigned char, 32> key{};
  crypto::random_bytes(key);
  const std::string cred(64, 'c');
  const std::string aad = "instances/inst_42/access_token";

  std::printf("AES-256-GCM, 64-byte credential\n");
  const result s_base = run(secs, cred.size(), [&] { sink = naive_seal(key.data(), cred)[0]; });
  print("baseline: seal, new EVP_CIPHER_CTX per call", s_base);
  const result s_ours = run(secs, cred.size(), [&] { sink = crypto::seal(key, aad, cred)[0]; });
  print("enfinito: crypto::seal", s_ours);
  ratio("ratio enfinito / baseline (seal)", s_ours, s_base);

  const std::string naive_sealed = naive_seal(key.data(), cred);
  std::string naive_plain;
  const result o_base = run(secs, cred.size(), [&] { sink = naive_open(key.data(), naive_sealed, naive_plain); });
  print("baseline: open, new EVP_CIPHER_CTX per call", o_base);
  const std::string sealed = crypto::seal(key, aad, cred);
  if (!crypto::open(key, aad, sealed)) {
    std::fprintf(stderr, "open failed\n");
    return 1;
  }
  const result o_ours = run(secs, cred.size(), [&] { sink = crypto::open(key, aad, sealed).has_value(); });
  print("enfinito: crypto::open (into secret_string)", o_ours);
  ratio("ratio enfinito / baseline (open)", o_ours, o_base);

  // Bulk throughput, for comparison with the machine notes (~1.7 GB/s).
  const std::string big(16 * 1024, 'b');
  std::printf("AES-256-GCM, 16 KiB (bulk throughput)\n");
  print("enfinito: crypto::seal", run(secs, big.size(), [&] { sink = crypto::seal(key, aad, big)[0]; }));
  return 0;
}
