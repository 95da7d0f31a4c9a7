#pragma once
/**
 * @file One line per event, `key=value` pairs, to stderr (journald captures it).
 *
 * A line is assembled in a local buffer and written with one write(2), so lines from
 * different threads never interleave. Values are quoted when they contain spaces, quotes or
 * control characters, and control characters are escaped: client input cannot forge lines.
 * `secret<T>` has no overload here on purpose.
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
    requires std::is_arithmetic_v<N>
  value(N n) : text(std::to_string(n)) {}
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

void write(level l, std::string_view event, std::initializer_list<field> fields);

inline void debug(std::string_view e, std::initializer_list<field> f = {}) { write(level::debug, e, f); }
inline void info(std::string_view e, std::initializer_list<field> f = {}) { write(level::info, e, f); }
inline void warn(std::string_view e, std::initializer_list<field> f = {}) { write(level::warn, e, f); }
inline void error(std::string_view e, std::initializer_list<field> f = {}) { write(level::error, e, f); }

}  // namespace enfinito::core::log
