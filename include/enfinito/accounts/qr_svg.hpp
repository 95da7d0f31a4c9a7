#pragma once
/**
 * @file accounts qr_svg: a QR code as SVG, for the TOTP enrolment's otpauth:// URI (issue 20).
 *
 * The symbol is made by Debian's libqrencode (error correction M, 8-bit mode, the smallest
 * version that fits) and drawn here as one SVG path: a 1×1 square per dark module, in module
 * units, inside the standard quiet zone of four modules. The text is a secret (the URI holds
 * the TOTP key): the caller serves it with `Cache-Control: no-store` and never logs it.
 */
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::accounts {

/** Modules of quiet zone around the symbol (ISO/IEC 18004). */
inline constexpr int qr_quiet_zone = 4;

/** The modules of the QR symbol of `text`, row by row (true: dark); nullopt if it cannot be encoded. */
struct qr_matrix {
  int width = 0;           // modules per side, without the quiet zone
  std::vector<bool> dark;  // width * width
};
std::optional<qr_matrix> qr_encode(std::string_view text);

/** The SVG document of a matrix (no script, no external reference, no data: URI). */
std::string qr_svg(const qr_matrix& m);

}  // namespace enfinito::accounts
