// core::log: key=value lines to a file descriptor, one write(2) per line.
#include <enfinito/core/log.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace enfinito::core::log {
namespace {
std::atomic<int> g_level{static_cast<int>(level::info)};
std::atomic<int> g_fd{2};

const char* name(level l) {
  switch (l) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
  }
  return "info";
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  return false;
}

// Appends a value, escaping control characters so that untrusted text cannot break the line.
void append_value(std::string& out, std::string_view v) {
  if (!needs_quotes(v)) {
    out += v;
    return;
  }
  out += '"';
  for (unsigned char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void append_time(std::string& out) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  out += buf;
}
}  // namespace

void set_level(level l) noexcept { g_level.store(static_cast<int>(l)); }
level get_level() noexcept { return static_cast<level>(g_level.load()); }
bool enabled(level l) noexcept { return static_cast<int>(l) >= g_level.load(std::memory_order_relaxed); }
void set_fd(int fd) noexcept { g_fd.store(fd); }

std::string format(level l, std::string_view event, std::initializer_list<field> fields) {
  std::string line;
  line.reserve(128);
  line += "ts=";
  append_time(line);
  line += " level=";
  line += name(l);
  line += " event=";
  append_value(line, event);
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    append_value(line, f.val.text);
  }
  line += '\n';
  return line;
}

void write(level l, std::string_view event, std::initializer_list<field> fields) {
  if (!enabled(l)) return;
  auto line = format(l, event, fields);
  const char* p = line.data();
  std::size_t left = line.size();
  int fd = g_fd.load(std::memory_order_relaxed);
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n <= 0) return;  // a log line is never worth blocking or crashing for
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace enfinito::core::log
