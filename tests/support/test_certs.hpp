#pragma once
// Self-signed TLS material generated at test time (never committed): CN=localhost with
// SAN DNS:localhost and IP:127.0.0.1, so clients can trust exactly this file.
#include <filesystem>

namespace enfinito::test {

struct cert_files {
  std::filesystem::path cert_path;  // PEM certificate (also the CA to trust)
  std::filesystem::path key_path;   // PEM private key (P-256), mode 0600
};

/** Writes cert.pem and key.pem into dir. Throws std::runtime_error on an OpenSSL failure. */
cert_files write_self_signed(const std::filesystem::path& dir);

}  // namespace enfinito::test
