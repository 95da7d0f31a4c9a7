// framing_probe: prints, for each raw request file named on the command line, what the
// server's admission (replay.hpp: Beast's parser + http::admit_head) makes of its bytes, one
// JSON line per file: the accepted requests (method, target and body, hex-encoded) and how the
// connection ends. differential.mjs compares this with Node's llhttp.
#include "replay.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <iostream>
#include <iterator>

namespace {
std::string hex(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::cerr << "framing_probe: cannot read " << argv[i] << "\n";
      return 2;
    }
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const auto r = enfinito::test::replay_admission(bytes);
    boost::json::array requests;
    for (const auto& q : r.requests)
      requests.push_back(
          {{"method", hex(q.method)}, {"target", hex(q.target)}, {"body", hex(q.body)}, {"keep_alive", q.keep_alive}});
    boost::json::object line{{"file", argv[i]},
                             {"requests", std::move(requests)},
                             {"end", enfinito::test::to_string(r.end)},
                             {"status", r.status},
                             {"reason", r.reason}};
    std::cout << boost::json::serialize(line) << "\n";
  }
  return 0;
}
