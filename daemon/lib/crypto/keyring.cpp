// The vault key file: strict parsing, permission checks, creation (O_EXCL, 0600) and atomic
// rotation (temp file + fsync + rename + directory fsync).
#include <enfinito/crypto/keyring.hpp>

#include <enfinito/crypto/encoding.hpp>
#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/random.hpp>

#include <openssl/crypto.h>

#include <cerrno>
#include <charconv>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace enfinito::crypto {
namespace {

// A key file is a few lines; anything bigger is not a key file and is not read into memory.
constexpr std::size_t max_key_file_size = 64 * 1024;

core::error_code last_system_error() { return {errno, boost::system::system_category()}; }

// Owns a file descriptor.
class fd_guard {
 public:
  explicit fd_guard(int fd) noexcept : fd_(fd) {}
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

// A string holding key material in base64; wiped when it goes out of scope.
struct wiped_string {
  std::string s;
  ~wiped_string() {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  }
};

// Wipes a decoded key that was not kept (wrong length).
void wipe(std::vector<unsigned char>& v) {
  if (!v.empty()) OPENSSL_cleanse(v.data(), v.size());
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// A key id: decimal digits only, no leading zero, 1 .. 2^32-1.
bool parse_id(std::string_view s, std::uint32_t& id) noexcept {
  if (s.empty() || s.front() == '0') return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  return ec == std::errc{} && p == s.data() + s.size() && id != 0;
}

core::result<core::secret_bytes> parse_key(std::string_view b64) {
  auto raw = base64_decode(b64);
  if (!raw) return error::malformed_key_file;
  if (raw->size() != key_size) {
    wipe(*raw);
    return error::bad_key_length;
  }
  return core::secret_bytes(std::move(*raw));
}

// Reads the key file after checking, on the opened descriptor (no stat/open race), that it is
// a regular file with no group or other permission bits.
core::result<void> read_key_file(const std::filesystem::path& path, wiped_string& out) {
  fd_guard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ENOENT) return error::key_file_missing;
    return last_system_error();
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return last_system_error();
  if (!S_ISREG(st.st_mode)) return error::key_file_not_regular;
  if ((st.st_mode & 077) != 0) return error::key_file_insecure;
  if (static_cast<std::size_t>(st.st_size) > max_key_file_size) return error::malformed_key_file;

  out.s.reserve(static_cast<std::size_t>(st.st_size) + 1);
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      OPENSSL_cleanse(buf, sizeof buf);
      return last_system_error();
    }
    if (n == 0) break;
    if (out.s.size() + static_cast<std::size_t>(n) > max_key_file_size) {
      OPENSSL_cleanse(buf, sizeof buf);
      return error::malformed_key_file;
    }
    out.s.append(buf, static_cast<std::size_t>(n));
  }
  OPENSSL_cleanse(buf, sizeof buf);
  return {};
}

// Writes all of `data` to `fd`, retrying short writes.
core::result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_system_error();
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Makes a rename or a file creation durable: fsync the directory that holds the entry.
core::result<void> fsync_parent_dir(const std::filesystem::path& path) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  fd_guard fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return last_system_error();
  return {};
}

// One `<label> <base64>` line for a fresh random 32-byte key.
void append_new_key_line(std::string& out, std::string_view label) {
  std::vector<unsigned char> key(key_size);
  random_bytes(key);
  wiped_string b64{base64_encode(key)};
  wipe(key);
  out.append(label);
  out += ' ';
  out += b64.s;
  out += '\n';
}

// Replaces `path` atomically with `content`: a 0600 temporary file in the same directory
// (mkstemp), fsync, rename over `path`, fsync the directory.
core::result<void> replace_file(const std::filesystem::path& path, std::string_view content) {
  std::string tmp = path.string() + ".tmp.XXXXXX";
  fd_guard fd(::mkstemp(tmp.data()));
  if (fd.get() < 0) return last_system_error();
  core::result<void> r = ::fchmod(fd.get(), 0600) == 0 ? core::result<void>{} : last_system_error();
  if (r) r = write_all(fd.get(), content);
  if (r && ::fsync(fd.get()) != 0) r = last_system_error();
  if (r && ::close(fd.release()) != 0) r = last_system_error();
  if (r && ::rename(tmp.c_str(), path.c_str()) != 0) r = last_system_error();
  if (!r) {
    ::unlink(tmp.c_str());
    return r;
  }
  return fsync_parent_dir(path);
}

}  // namespace

core::result<keyring> keyring::make(std::map<std::uint32_t, core::secret_bytes> keys, core::secret_bytes lookup_key) {
  if (keys.empty()) return error::no_keys;
  if (lookup_key.reveal().size() != key_size) return error::bad_key_length;
  for (const auto& [id, key] : keys) {
    if (id == 0) return error::malformed_key_file;
    if (key.reveal().size() != key_size) return error::bad_key_length;
  }
  keyring k;
  k.keys_ = std::move(keys);
  k.lookup_ = std::move(lookup_key);
  return k;
}

const core::secret_bytes* keyring::find(std::uint32_t id) const noexcept {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

std::vector<std::uint32_t> keyring::ids() const {
  std::vector<std::uint32_t> out;
  out.reserve(keys_.size());
  for (const auto& kv : keys_) out.push_back(kv.first);
  return out;
}

core::result<keyring> parse_keyring(std::string_view text) {
  std::map<std::uint32_t, core::secret_bytes> keys;
  core::secret_bytes lookup;
  bool have_lookup = false;

  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;

    // Exactly two fields separated by blanks: a label and a base64 key.
    const auto sep = line.find_first_of(" \t");
    if (sep == std::string_view::npos) return error::malformed_key_file;
    const std::string_view label = line.substr(0, sep);
    const std::string_view value = trim(line.substr(sep));
    if (value.empty() || value.find_first_of(" \t") != std::string_view::npos) return error::malformed_key_file;

    if (label == "lookup") {
      if (have_lookup) return error::duplicate_key_id;
      auto key = parse_key(value);
      if (!key) return key.error();
      lookup = std::move(*key);
      have_lookup = true;
      continue;
    }
    std::uint32_t id = 0;
    if (!parse_id(label, id)) return error::malformed_key_file;
    if (keys.contains(id)) return error::duplicate_key_id;
    auto key = parse_key(value);
    if (!key) return key.error();
    keys.emplace(id, std::move(*key));
  }
  if (keys.empty()) return error::no_keys;
  if (!have_lookup) return error::missing_lookup_key;
  return keyring::make(std::move(keys), std::move(lookup));
}

core::result<keyring> load_keyring(const std::filesystem::path& path) {
  wiped_string text;
  if (auto r = read_key_file(path, text); !r) return r.error();
  return parse_keyring(text.s);
}

core::result<void> create_keyring_file(const std::filesystem::path& path) {
  wiped_string content;
  content.s =
      "# Enfinito vault keys. Keep mode 0600; never edit a key, never delete one that still\n"
      "# encrypts data. Add keys only through enfinitoctl (crypto::add_key).\n";
  append_new_key_line(content.s, "lookup");
  append_new_key_line(content.s, "1");

  // O_EXCL: refuse to replace an existing file (or follow a symlink) so keys are never lost.
  fd_guard fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) {
    if (errno == EEXIST) return error::key_file_exists;
    return last_system_error();
  }
  // The umask can only remove bits; set exactly 0600 regardless.
  core::result<void> r = ::fchmod(fd.get(), 0600) == 0 ? core::result<void>{} : last_system_error();
  if (r) r = write_all(fd.get(), content.s);
  if (r && ::fsync(fd.get()) != 0) r = last_system_error();
  if (r && ::close(fd.release()) != 0) r = last_system_error();
  if (r) r = fsync_parent_dir(path);
  if (!r) {
    ::unlink(path.c_str());
    return r;
  }
  return {};
}

core::result<std::uint32_t> add_key(const std::filesystem::path& path) {
  wiped_string content;
  if (auto r = read_key_file(path, content); !r) return r.error();
  auto ring = parse_keyring(content.s);
  if (!ring) return ring.error();
  if (ring->active_id() == UINT32_MAX) return error::key_id_exhausted;
  const std::uint32_t id = ring->active_id() + 1;

  // Keep the existing text (and any operator comments) and append the new line.
  if (!content.s.empty() && content.s.back() != '\n') content.s += '\n';
  append_new_key_line(content.s, std::to_string(id));

  if (auto r = replace_file(path, content.s); !r) return r.error();
  return id;
}

core::result<void> remove_key(const std::filesystem::path& path, std::uint32_t id) {
  wiped_string content;
  if (auto r = read_key_file(path, content); !r) return r.error();
  auto ring = parse_keyring(content.s);
  if (!ring) return ring.error();
  if (!ring->find(id)) return error::no_such_key;
  if (ring->active_id() == id) return error::key_is_active;

  // Drop the one line whose label is the id; keep everything else (comments included).
  wiped_string kept;
  const std::string label = std::to_string(id);
  std::string_view text = content.s;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl == std::string_view::npos ? text.size() : nl + 1);
    text.remove_prefix(raw.size());
    const std::string_view line = trim(raw.substr(0, raw.find('\n')));
    const auto sep = line.find_first_of(" \t");
    if (sep != std::string_view::npos && line.substr(0, sep) == label) continue;
    kept.s += raw;
  }
  return replace_file(path, kept.s);
}

}  // namespace enfinito::crypto
