#pragma once
// Private helpers shared by the fake's translation units: randomness, hashing, multipart
// parsing and the request validator's interface. Nothing here touches sockets.
#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::fake_graph::detail {

/** Random bytes from OpenSSL's CSPRNG (ids must not collide across runs). */
std::string random_bytes(std::size_t n);
/** n random characters of [A-Za-z0-9_-] (fbtrace ids, request ids). */
std::string random_token(std::size_t n);
/** base64 of the SHA-256 of data (media `sha256` field). */
std::string sha256_base64(std::string_view data);
/** n pseudo-random bytes that depend only on n (xorshift64*): large generated media. */
std::string generated_bytes(std::size_t n);

struct multipart_part {
  std::string name;
  std::string filename;
  std::string content_type;
  std::string data;
};
/** Parses a multipart/form-data body; nullopt when malformed. Bounded: at most 32 parts. */
std::optional<std::vector<multipart_part>> parse_multipart(std::string_view content_type, std::string_view body);

/** A Graph error before it is put in the envelope. */
struct graph_error {
  int code = 0;
  int subcode = 0;
  std::string details;       // error_data.details
  std::string message;       // overrides "(#code) title" when set
  std::string type;          // overrides "OAuthException" when set
  unsigned http_status = 0;  // overrides the code's default status when set
  bool transient = false;
};

/** Title and default HTTP status of a code, per REFERENCE §2.3 / §2.2. */
struct code_info {
  std::string_view title;
  unsigned http_status;
};
code_info info_for(int code);

/** Number of Unicode code points in UTF-8 text (Meta's limits count characters). */
std::size_t utf8_length(std::string_view s);

/** Validates a send request body against §1.1/§1.2 (not templates' existence, not rate
 *  limits). Returns the first problem found. */
std::optional<graph_error> validate_send(const boost::json::object& msg);

/** Strips +, -, (, ), spaces and dots; nullopt when what is left is not 5..20 digits. */
std::optional<std::string> digits_of_phone(std::string_view to);

}  // namespace enfinito::fake_graph::detail
