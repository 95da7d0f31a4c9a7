#pragma once
/**
 * @file crypto::vault_source: the daemon's current vault, re-read from the key file when
 * `enfinitoctl rotate-key` changed it.
 *
 * Why: rotate-key adds a key to the file and re-encrypts every credential row online, while
 * the daemon runs. The daemon then meets blobs sealed under a key id it has not loaded. Rather
 * than ask for a restart, whoever meets an unknown key id (or is about to seal a new blob)
 * calls `refresh()`, which re-reads the file only when its identity (inode, size, mtime)
 * changed since the last load (inode, size or ctime: a rename, a write or a chmod). A failed reload keeps the vault that works.
 *
 * *Thread safety:* every member may run concurrently. `current()` takes a short mutex (a
 * shared_ptr copy); `refresh()` does file I/O: call it from the blocking pool or a control
 * thread, never on a reactor.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/crypto/vault.hpp>

#include <filesystem>
#include <memory>
#include <mutex>

namespace enfinito::crypto {

class vault_source {
 public:
  /** Loads the key file (see `load_keyring` for every refusal). */
  static core::result<std::shared_ptr<vault_source>> open(std::filesystem::path key_file);
  /** A source that never reloads (tests, tools). */
  explicit vault_source(vault v);

  /** The vault to use now. Never null. */
  std::shared_ptr<const vault> current() const;

  /**
   * Re-reads the key file if it changed since the last load (inode, size or ctime: a rename, a write or a chmod); returns the (possibly new)
   * current vault. A file that no longer loads leaves the current vault in place and returns
   * the error.
   */
  core::result<std::shared_ptr<const vault>> refresh();

  const std::filesystem::path& key_file() const noexcept { return path_; }

 private:
  struct file_id {
    std::uintmax_t ino = 0, size = 0;
    std::int64_t ctime_ns = 0;  // changes on write, rename and chmod
    bool operator==(const file_id&) const = default;
  };
  static file_id identify(const std::filesystem::path& p);

  std::filesystem::path path_;
  mutable std::mutex mu_;
  std::shared_ptr<const vault> current_;
  file_id loaded_{};
};

}  // namespace enfinito::crypto
