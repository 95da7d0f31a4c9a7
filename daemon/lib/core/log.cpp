// core::log: key=value lines to a file descriptor, one write(2) per line, with Enfinito's own
// secrets redacted by shape from every line (whatever field or message carried them).
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
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warn:
      return "warn";
    case level::error:
      return "error";
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
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
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

constexpr bool token_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}
constexpr bool base64_char(char c) noexcept { return token_char(c) || c == '+' || c == '/' || c == '='; }

// Prefixes of Enfinito's secrets: API keys (`enf_live_`, api/auth_guard.cpp; `enf_test_` kept for a
// test-mode key) and customer webhook signing secrets (`whsec_` + standard base64, hooks/signing.hpp).
constexpr std::string_view secret_prefixes[] = {"enf_live_", "enf_test_", "whsec_"};
// Session tokens, password-reset tokens and feed tickets carry no prefix: crypto::random_token(32),
// 43 base64url characters. No id, hash or counter Enfinito logs has that length (ids are a
// prefix and 22 characters, SHA-256 hex is 64), so a run of exactly this length is taken for one.
constexpr std::size_t bare_token_length = 43;

// The end of the secret starting at `at` (a prefix matched there), through its alphabet.
std::size_t secret_end(std::string_view line, std::size_t at, std::string_view prefix) {
  const bool b64 = prefix == "whsec_";
  std::size_t end = at + prefix.size();
  while (end < line.size() && (b64 ? base64_char(line[end]) : token_char(line[end]))) ++end;
  return end;
}
}  // namespace

// One pass over the line, runs of token characters at a time; copies only when it redacts.
void redact_secrets(std::string& line) {
  std::string_view in(line);
  std::string out;
  std::size_t copied = 0;  // `in` up to here is in `out` (once out is in use)
  auto cut = [&](std::size_t from, std::size_t to) {
    if (out.empty()) out.reserve(line.size());
    out.append(in.substr(copied, from - copied));
    out += "[redacted]";
    copied = to;
  };
  std::size_t i = 0;
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  while (i < in.size()) {
    // A percent escape separates (`a%20<token>`): its hex digits are not part of the next run.
    if (in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) && hex(in[i + 2])) {
      i += 3;
      continue;
    }
    if (!token_char(in[i])) {
      ++i;
      continue;
    }
    std::size_t run_end = i;
    while (run_end < in.size() && token_char(in[run_end])) ++run_end;
    const auto run = in.substr(i, run_end - i);
    std::size_t next = run_end;
    bool redacted = false;
    for (auto prefix : secret_prefixes) {
      const auto at = run.find(prefix);
      if (at == std::string_view::npos) continue;
      const auto end = secret_end(in, i + at, prefix);
      if (end == i + at + prefix.size()) continue;  // a bare prefix (a word in a message): nothing to hide
      cut(i + at, end);
      next = end;
      redacted = true;
      break;
    }
    if (!redacted && run.size() == bare_token_length) cut(i, run_end);
    i = std::max(next, run_end);
  }
  if (out.empty()) return;
  out.append(in.substr(copied));
  line = std::move(out);
}

namespace {
void append_time(std::string& out) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  // strftime bounds the calendar fields itself; snprintf of the year could not be proven to fit.
  char buf[32];
  out.append(buf, std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm));
  std::snprintf(buf, sizeof buf, ".%03dZ", static_cast<int>(ms));
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
  redact_secrets(line);
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
