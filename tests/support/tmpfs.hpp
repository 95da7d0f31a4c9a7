#pragma once
// tmpfs_mount: a small tmpfs mounted under a temp dir for a test's life, to run the daemon
// against a full disk (root only: `why` says what failed otherwise).
#include "support/temp_dir.hpp"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace enfinito::test {

struct tmpfs_mount {
  temp_dir base;
  std::filesystem::path path = base / "data";
  bool mounted = false;
  std::string why;
  explicit tmpfs_mount(const std::string& size) {
    std::filesystem::create_directories(path);
    const std::string opts = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) == 0)
      mounted = true;
    else
      why = std::strerror(errno);
  }
  ~tmpfs_mount() {
    if (mounted) ::umount2(path.c_str(), MNT_DETACH);  // before temp_dir removes the directory
  }
  tmpfs_mount(const tmpfs_mount&) = delete;
  tmpfs_mount& operator=(const tmpfs_mount&) = delete;
};

}  // namespace enfinito::test
