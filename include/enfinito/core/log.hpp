#pragma once
/**
 * @file One line per event, `key=value` pairs, to stderr (journald captures it).
 *
 * A line is assembled in a local buffer and written with one write(2), so lines from
 * different threads never interleave. Values are quoted when they contain spaces, quotes or
 * control characters, and control characters are escaped: client input cannot forge lines.
 * `secret<T>` has no overload here on purpose.
 *
 * Every line also goes through `redact_secrets`: Enfinito's own keys and tokens, recognised by
 * their shape, become `[redacted]` wherever they appear (a query string, a path, an upstream
 * error text), so a secret a client put in the wrong place never reaches the log.
 */
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace enfinito::core::log {

enum class level { debug = 0, info = 1, warn = 2, error = 3 };

/** A field value: text or a number, copied (short values fit the small-string buffer). */
struct value {
  value(std::string_view s) : text(s) {}
  value(const std::string& s) : text(s) {}
  value(const char* s) : text(s ? s : "") {}
  value(bool b) : text(b ? "true" : "false") {}
  template <class N>
  requires std::is_arithmetic_v<N> value(N n) : text(std::to_string(n)) {}
  std::string text;
};

struct field {
  std::string_view key;
  value val;
};

void set_level(level l) noexcept;
level get_level() noexcept;
bool enabled(level l) noexcept;

/** Sends lines to a file descriptor (tests use a pipe or file). Default: 2 (stderr). */
void set_fd(int fd) noexcept;

/** Formats one line: `level=info event=<event> k=v ...`. Exposed for tests. */
std::string format(level l, std::string_view event, std::initializer_list<field> fields);

/** Replaces, in place, every Enfinito secret recognisable by its shape with `[redacted]`: API
    keys (`enf_live_…`), webhook signing secrets (`whsec_…`) and runs of exactly 43 base64url
    characters (session cookies, password-reset tokens, feed tickets: crypto::random_token(32)).
    One pass; no allocation when nothing matches. `format` applies it to every line. */
void redact_secrets(std::string& line);

void write(level l, std::string_view event, std::initializer_list<field> fields);

inline void debug(std::string_view e, std::initializer_list<field> f = {}) { write(level::debug, e, f); }
inline void info(std::string_view e, std::initializer_list<field> f = {}) { write(level::info, e, f); }
inline void warn(std::string_view e, std::initializer_list<field> f = {}) { write(level::warn, e, f); }
inline void error(std::string_view e, std::initializer_list<field> f = {}) { write(level::error, e, f); }

}  // namespace enfinito::core::log
