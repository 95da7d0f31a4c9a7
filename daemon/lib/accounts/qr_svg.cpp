// accounts qr_svg: QR symbols by libqrencode, drawn as SVG (see accounts/qr_svg.hpp).
#include <enfinito/accounts/qr_svg.hpp>

#include <qrencode.h>

#include <memory>

namespace enfinito::accounts {

std::optional<qr_matrix> qr_encode(std::string_view text) {
  // libqrencode takes a C string: a text with NUL in it is not ours to encode.
  const std::string z(text);
  if (z.size() != text.size() || z.find('\0') != std::string::npos) return std::nullopt;
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(QRcode_encodeString8bit(z.c_str(), 0, QR_ECLEVEL_M),
                                                       &QRcode_free);
  if (!code || code->width <= 0) return std::nullopt;
  qr_matrix m;
  m.width = code->width;
  const auto n = static_cast<std::size_t>(m.width) * static_cast<std::size_t>(m.width);
  m.dark.resize(n);
  for (std::size_t i = 0; i < n; ++i) m.dark[i] = (code->data[i] & 1) != 0;  // bit 0: dark module
  return m;
}

std::string qr_svg(const qr_matrix& m) {
  const int side = m.width + 2 * qr_quiet_zone;
  const std::string s = std::to_string(side);
  std::string out;
  out.reserve(static_cast<std::size_t>(m.width * m.width) * 8 + 400);
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + s + " " + s + "\" width=\"" +
         std::to_string(side * 6) + "\" height=\"" + std::to_string(side * 6) +
         "\" shape-rendering=\"crispEdges\" role=\"img\">";
  out += "<rect width=\"" + s + "\" height=\"" + s + "\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
  for (int y = 0; y < m.width; ++y)
    for (int x = 0; x < m.width; ++x)
      if (m.dark[static_cast<std::size_t>(y) * static_cast<std::size_t>(m.width) + static_cast<std::size_t>(x)])
        out += "M" + std::to_string(x + qr_quiet_zone) + " " + std::to_string(y + qr_quiet_zone) + "h1v1h-1z";
  out += "\"/></svg>\n";
  return out;
}

}  // namespace enfinito::accounts
