// json_bench: the strict (I-JSON) parser against boost::json::parse on the bodies the daemon
// parses most, measured in the same run so the ratio holds across machines.
//
//   json_bench [seconds-per-case]        (default 2.0)
//
// Baseline: boost::json::parse into a per-text arena, then the element-count walk, which is
// what http::parse_json did before issue 23. Ours: core::parse_json_strict into the same
// arena (duplicate names, numbers and the element limit checked while parsing). Ratios below
// 1 mean the strict parser is slower.
#include "timed_loop.hpp"

#include <enfinito/core/json_arena.hpp>
#include <enfinito/core/json_strict.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

namespace {

namespace json = boost::json;

// Baseline and ours in alternating short rounds, keeping each one's best: on a shared machine
// a burst of load then hits both alike instead of skewing the ratio.
template <class Base, class Ours>
std::pair<double, double> run(double seconds, Base base, Ours ours) {
  constexpr int rounds = 10;
  double best_base = 0, best_ours = 0;
  for (int i = 0; i < rounds; ++i) {
    best_base = std::max(best_base, enfinito::bench::calls_per_second(seconds / rounds, base));
    best_ours = std::max(best_ours, enfinito::bench::calls_per_second(seconds / rounds, ours));
  }
  return {best_base, best_ours};
}

// The old http::parse_json's second pass.
bool within_elements(const json::value& v, std::size_t& budget) {
  if (budget == 0) return false;
  --budget;
  if (const auto* o = v.if_object()) {
    for (const auto& kv : *o)
      if (!within_elements(kv.value(), budget)) return false;
  } else if (const auto* a = v.if_array()) {
    for (const auto& e : *a)
      if (!within_elements(e, budget)) return false;
  }
  return true;
}

volatile std::size_t sink;

struct body_case {
  const char* name;
  std::string text;
};

}  // namespace

int main(int argc, char** argv) {
  const double secs = argc > 1 ? std::atof(argv[1]) : 2.0;
  std::printf("json_bench: %.1f s per case, one thread\n", secs);
  const body_case cases[] = {
      {"text send (107 B)",
       R"({"messaging_product":"whatsapp","to":"4915112345678","type":"text","text":{"body":"Your order 1234 has shipped"}})"},
      {"template send (~500 B)",
       R"({"messaging_product":"whatsapp","recipient_type":"individual","to":"+49 151 1234 5678","type":"template",)"
       R"("template":{"name":"order_update","language":{"code":"de","policy":"deterministic"},"components":[)"
       R"({"type":"header","parameters":[{"type":"image","image":{"link":"https://shop.example/img/1234.jpg"}}]},)"
       R"({"type":"body","parameters":[{"type":"text","text":"Anna"},{"type":"text","text":"1234"},)"
       R"({"type":"currency","currency":{"fallback_value":"EUR 12.50","code":"EUR","amount_1000":12500}}]},)"
       R"({"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"1234"}]}]}})"},
  };
  for (const auto& c : cases) {
    // Both parsers must build the same value before they are timed.
    const auto strict = enfinito::core::parse_json_strict(c.text);
    if (!strict.value || *strict.value != json::parse(c.text)) {
      std::fprintf(stderr, "%s: the parsers disagree\n", c.name);
      return 1;
    }
    std::printf("%s\n", c.name);
    const auto [base, ours] = run(
        secs,
        [&] {
          json::error_code ec;
          json::parse_options opts;
          opts.max_depth = 32;
          auto v = json::parse(c.text, ec, enfinito::core::json_arena_for(c.text.size()), opts);
          std::size_t budget = 100'000;
          sink = !ec && within_elements(v, budget);
        },
        [&] {
          auto r = enfinito::core::parse_json_strict(c.text, enfinito::core::json_arena_for(c.text.size()),
                                                     {.max_depth = 32, .max_elements = 100'000});
          sink = r.value.has_value();
        });
    std::printf("  %-52s %12.0f ops/s\n", "baseline: boost::json::parse + element walk", base);
    std::printf("  %-52s %12.0f ops/s\n", "enfinito: core::parse_json_strict", ours);
    std::printf("  %-52s %12.2fx  (%.0f ns vs %.0f ns per body)\n", "strict / baseline", ours / base, 1e9 / ours,
                1e9 / base);
  }
  return 0;
}
