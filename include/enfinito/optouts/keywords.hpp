#pragma once
/**
 * @file optouts::keywords: does an inbound message say STOP (or START)? Pure: no I/O, no
 * clock, no store; the inbound flow calls it on the reactor before its store write.
 *
 * ## Normalisation (`normalise`)
 * A customer types "Stop!", " stop ", "ARRÊT", "stop 🙏" or "Opt-out"; a keyword matches the
 * WHOLE message after both are normalised the same way, never a word inside a sentence ("please
 * don't stop" is not an opt-out):
 *  - letters of the Latin script lose their accents and are upper-cased ("Arrêt" → "ARRET",
 *    "ß" → "SS", "Æ" → "AE"); Cyrillic and Greek letters are upper-cased ("стоп" → "СТОП",
 *    Greek without its accents); combining marks (U+0300–U+036F, decomposed input) and Arabic
 *    vowel marks are dropped; other scripts are kept as written (they have no case);
 *  - every run of whitespace, punctuation, symbols and emoji becomes one space, and leading
 *    and trailing ones go ("Opt-out" → "OPT OUT", "stop 🙏" → "STOP");
 *  - text that is not valid UTF-8 normalises to nothing and never matches.
 *
 * ## Defaults
 * `default_stop_keywords` and `default_start_keywords` (listed in docs/api-guide.md). CANCEL,
 * END, QUIT and their translations (CANCELAR, ANNULLA) are left out on purpose: a shop's
 * customer who writes "cancel" means the order, not the channel.
 */
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::optouts {

/** The largest keyword, normalised, in bytes; longer texts are not compared at all. */
inline constexpr std::size_t max_keyword_bytes = 64;
/** The most keywords one list (stop or start) may hold. */
inline constexpr std::size_t max_keywords = 50;

/** `text` normalised as described above; empty for invalid UTF-8 or nothing but separators. */
std::string normalise(std::string_view text);

/** The built-in keyword lists, already normalised. */
const std::vector<std::string>& default_stop_keywords();
const std::vector<std::string>& default_start_keywords();

/** The keywords an instance matches (normalised). */
struct keyword_set {
  std::vector<std::string> stop;
  std::vector<std::string> start;
};

enum class verdict { none, opt_out, opt_in };

struct match_result {
  verdict what = verdict::none;
  std::string keyword;  // the matched keyword (normalised)
};

/** The first of `texts` (already normalised) equal to a stop keyword (opt_out) or a start
    keyword (opt_in); none when no text is. Stop wins for the same text in both lists. */
match_result match(const std::vector<std::string>& texts, const keyword_set& k);

/**
 * The normalised texts of an inbound message that could be a keyword: `text.body`, a template
 * quick-reply button's `payload` and `text`, an interactive reply's `id` and `title`
 * (button_reply, list_reply). Only texts no longer than max_keyword_bytes once normalised;
 * empty for every other type. `type` and `body` as stored (Meta's message object).
 */
std::vector<std::string> candidates(std::string_view type, std::string_view body);

/**
 * Checks and normalises a keyword list given by a customer: each entry a string that
 * normalises to 1..max_keyword_bytes bytes, at most max_keywords distinct ones. Returns the
 * normalised list (duplicates dropped, order kept), or nothing with `why` set.
 */
std::optional<std::vector<std::string>> clean_keywords(const std::vector<std::string>& given, std::string& why);

}  // namespace enfinito::optouts
