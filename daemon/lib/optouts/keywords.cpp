// optouts::keywords: the normalisation, the default keyword lists and the match (pure; the
// rules are in include/enfinito/optouts/keywords.hpp).
#include <enfinito/optouts/keywords.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdint>

namespace enfinito::optouts {
namespace {

namespace json = boost::json;

// A raw text longer than this is never compared (a keyword is at most max_keyword_bytes once
// normalised; the slack allows for accents, separators and emoji around it).
constexpr std::size_t max_raw_bytes = 1024;

// The base letter of U+0100..U+017F (Latin Extended-A), 16 per row; '1' is IJ, '2' is OE.
constexpr std::string_view latin_extended_a =
    "AAAAAACCCCCCCCDD"
    "DDEEEEEEEEEEGGGG"
    "GGGGHHHHIIIIIIII"
    "II11JJKKKLLLLLLL"
    "LLLNNNNNNNNNOOOO"
    "OO22RRRRRRSSSSSS"
    "SSTTTTTTUUUUUUUU"
    "UUUUWWYYYZZZZZZS";

// The base letter of U+00C0..U+00FF (Latin-1 letters); '1' AE, '2' TH, '3' SS; × and ÷ (' ') are
// separators (see `separator`).
constexpr std::string_view latin_1 =
    "AAAAAA1CEEEEIIII"
    "DNOOOOO OUUUUY23"
    "AAAAAA1CEEEEIIII"
    "DNOOOOO OUUUUY2Y";

// Decodes one code point at `i` (advancing it); false for invalid UTF-8.
bool next_code_point(std::string_view s, std::size_t& i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    ++i;
    return true;
  }
  if ((b0 & 0xE0) == 0xC0)
    len = 2, cp = b0 & 0x1F, min = 0x80;
  else if ((b0 & 0xF0) == 0xE0)
    len = 3, cp = b0 & 0x0F, min = 0x800;
  else if ((b0 & 0xF8) == 0xF0)
    len = 4, cp = b0 & 0x07, min = 0x10000;
  else
    return false;
  if (i + len > s.size()) return false;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  i += len;
  return cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Marks that vanish without separating: combining diacritics (decomposed input), Arabic vowel
// marks and tatweel, zero-width (non-)joiners inside words.
bool dropped(char32_t cp) {
  return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x064B && cp <= 0x065F) || cp == 0x0670 || cp == 0x0640 ||
         cp == 0x200C || cp == 0x200D;
}

// Whitespace, punctuation, symbols and emoji: they separate words.
bool separator(char32_t cp) {
  if (cp < 0x80) return !((cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z'));
  return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x206F) ||
         (cp >= 0x20A0 && cp <= 0x20CF) || (cp >= 0x2100 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
         (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF || (cp >= 0x1F000 && cp <= 0x1FAFF) ||
         (cp >= 0xE0000 && cp <= 0xE007F);
}

// Greek lower case and accented capitals to plain capitals.
char32_t greek_upper(char32_t cp) {
  switch (cp) {
    case 0x0386:
    case 0x03AC:
      return 0x0391;
    case 0x0388:
    case 0x03AD:
      return 0x0395;
    case 0x0389:
    case 0x03AE:
      return 0x0397;
    case 0x038A:
    case 0x03AF:
    case 0x03CA:
    case 0x0390:
      return 0x0399;
    case 0x038C:
    case 0x03CC:
      return 0x039F;
    case 0x038E:
    case 0x03CD:
    case 0x03CB:
    case 0x03B0:
      return 0x03A5;
    case 0x038F:
    case 0x03CE:
      return 0x03A9;
    case 0x03C2:
      return 0x03A3;  // final sigma
    default:
      break;
  }
  if (cp >= 0x03B1 && cp <= 0x03C9) return cp - 0x20;
  return cp;
}

char32_t cyrillic_upper(char32_t cp) {
  if (cp == 0x0401 || cp == 0x0451) return 0x0415;  // Ё, ё → Е (written either way)
  if (cp >= 0x0430 && cp <= 0x044F) return cp - 0x20;
  if (cp >= 0x0450 && cp <= 0x045F) return cp - 0x50;
  return cp;
}

// Appends the folded form of a letter `cp` (not a separator, not dropped).
void fold(std::string& out, char32_t cp) {
  auto base = [&](char b) {
    if (b == '1')
      out += cp < 0x100 ? "AE" : "IJ";
    else if (b == '2')
      out += cp < 0x100 ? "TH" : "OE";
    else if (b == '3')
      out += "SS";
    else
      out.push_back(b);
  };
  if (cp < 0x80)
    out.push_back(cp >= 'a' && cp <= 'z' ? static_cast<char>(cp - 32) : static_cast<char>(cp));
  else if (cp >= 0xC0 && cp <= 0xFF)
    base(latin_1[cp - 0xC0]);
  else if (cp >= 0x100 && cp <= 0x17F)
    base(latin_extended_a[cp - 0x100]);
  else if (cp >= 0x218 && cp <= 0x21B)
    out.push_back(cp < 0x21A ? 'S' : 'T');  // Romanian Ș ș Ț ț
  else if (cp >= 0x0370 && cp <= 0x03FF)
    append_utf8(out, greek_upper(cp));
  else if (cp >= 0x0400 && cp <= 0x045F)
    append_utf8(out, cyrillic_upper(cp));
  else
    append_utf8(out, cp);
}

std::vector<std::string> normalised(std::initializer_list<std::string_view> words) {
  std::vector<std::string> out;
  for (auto w : words) out.push_back(normalise(w));
  return out;
}

const json::value* member(const json::object& o, std::string_view key) { return o.if_contains(key); }

void add_candidate(std::vector<std::string>& out, const json::value* v) {
  if (!v || !v->is_string() || v->get_string().size() > max_raw_bytes) return;
  auto n = normalise(v->get_string());
  if (!n.empty() && n.size() <= max_keyword_bytes && std::find(out.begin(), out.end(), n) == out.end())
    out.push_back(std::move(n));
}

}  // namespace

std::string normalise(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    if (!next_code_point(text, i, cp)) return {};
    if (dropped(cp)) continue;
    if (separator(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    fold(out, cp);
  }
  return out;
}

const std::vector<std::string>& default_stop_keywords() {
  static const auto words = normalised({
      "STOP",       "STOP ALL",   "STOPALL",     "UNSUBSCRIBE", "OPT OUT", "OPTOUT",  // English
      "PARAR",      "BAJA",       "DETENER",                                          // Spanish (PARAR: Portuguese too)
      "SAIR",       "PARE",                                                           // Portuguese
      "ARRÊT",      "DÉSABONNER", "DÉSINSCRIRE",                                      // French
      "STOPP",      "ABMELDEN",                                                       // German (STOPP: Nordic too)
      "DISISCRIVI",                                                                   // Italian
      "AFMELDEN",                                                                     // Dutch
      "BERHENTI",                                                                     // Indonesian, Malay
      "СТОП",       "ОТПИСАТЬСЯ",                                                     // Russian
  });
  return words;
}

const std::vector<std::string>& default_start_keywords() {
  static const auto words = normalised({
      "START", "UNSTOP", "SUBSCRIBE", "OPT IN", "OPTIN",  // English
      "ALTA", "COMENZAR",                                 // Spanish
      "INICIAR",                                          // Spanish, Portuguese
      "DÉMARRER",                                         // French
      "ANMELDEN",                                         // German
      "ISCRIVIMI",                                        // Italian
      "AANMELDEN",                                        // Dutch
      "MULAI",                                            // Indonesian, Malay
      "СТАРТ",                                            // Russian
  });
  return words;
}

match_result match(const std::vector<std::string>& texts, const keyword_set& k) {
  auto in = [](const std::vector<std::string>& list, const std::string& t) {
    return std::find(list.begin(), list.end(), t) != list.end();
  };
  for (const auto& t : texts) {
    if (in(k.stop, t)) return {verdict::opt_out, t};
    if (in(k.start, t)) return {verdict::opt_in, t};
  }
  return {};
}

std::vector<std::string> candidates(std::string_view type, std::string_view body) {
  std::vector<std::string> out;
  if (type != "text" && type != "button" && type != "interactive") return out;
  boost::system::error_code ec;
  const auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return out;
  const auto* inner = member(v.get_object(), type);
  if (!inner || !inner->is_object()) return out;
  const auto& o = inner->get_object();
  if (type == "text") {
    add_candidate(out, member(o, "body"));
  } else if (type == "button") {
    add_candidate(out, member(o, "payload"));
    add_candidate(out, member(o, "text"));
  } else {
    for (std::string_view reply : {"button_reply", "list_reply"}) {
      const auto* r = member(o, reply);
      if (!r || !r->is_object()) continue;
      add_candidate(out, member(r->get_object(), "id"));
      add_candidate(out, member(r->get_object(), "title"));
    }
  }
  return out;
}

std::optional<std::vector<std::string>> clean_keywords(const std::vector<std::string>& given, std::string& why) {
  std::vector<std::string> out;
  for (const auto& g : given) {
    auto n = g.size() > max_raw_bytes ? std::string() : normalise(g);
    if (n.empty() || n.size() > max_keyword_bytes) {
      why = "each keyword must have a letter or digit and at most 64 bytes once normalised";
      return std::nullopt;
    }
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(std::move(n));
  }
  if (out.size() > max_keywords) {
    why = "at most 50 keywords";
    return std::nullopt;
  }
  return out;
}

}  // namespace enfinito::optouts
