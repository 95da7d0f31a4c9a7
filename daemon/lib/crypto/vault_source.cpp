// crypto::vault_source: the live vault, reloaded when the key file's identity changes.
#include <enfinito/crypto/vault_source.hpp>

#include <sys/stat.h>

namespace enfinito::crypto {

vault_source::file_id vault_source::identify(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return {};
  return {static_cast<std::uintmax_t>(st.st_ino), static_cast<std::uintmax_t>(st.st_size),
          static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec};
}

core::result<std::shared_ptr<vault_source>> vault_source::open(std::filesystem::path key_file) {
  const auto id = identify(key_file);
  auto ring = load_keyring(key_file);
  if (!ring) return ring.error();
  auto src = std::make_shared<vault_source>(vault(std::move(*ring)));
  src->path_ = std::move(key_file);
  src->loaded_ = id;
  return src;
}

vault_source::vault_source(vault v) : current_(std::make_shared<const vault>(std::move(v))) {}

std::shared_ptr<const vault> vault_source::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

core::result<std::shared_ptr<const vault>> vault_source::refresh() {
  if (path_.empty()) return current();
  // add_key replaces the file by rename, so a rotation always changes the inode.
  const auto id = identify(path_);
  {
    std::lock_guard lock(mu_);
    if (id == loaded_) return current_;
  }
  auto ring = load_keyring(path_);
  if (!ring) return ring.error();
  auto fresh = std::make_shared<const vault>(std::move(*ring));
  std::lock_guard lock(mu_);
  // Never go backwards: a concurrent refresh may already have loaded a newer file.
  if (fresh->active_key_id() >= current_->active_key_id()) current_ = fresh;
  loaded_ = id;
  return current_;
}

}  // namespace enfinito::crypto
