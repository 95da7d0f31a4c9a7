#pragma once
// test::captured_log: core::log's lines written to a file for the life of the object (and the
// level set to info, so warnings and info lines are kept), then stderr and the level restored.
// For a daemon whose reactors outlive the test body, restore only after they stopped (see
// google_signin_test's log_capture).
#include "support/temp_dir.hpp"

#include <enfinito/core/log.hpp>

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace enfinito::test {

struct captured_log {
  temp_dir dir;
  std::filesystem::path path = dir / "log";
  int fd = -1;
  core::log::level was = core::log::get_level();

  captured_log() {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    BOOST_REQUIRE(fd >= 0);
    core::log::set_fd(fd);
    core::log::set_level(core::log::level::info);
  }
  ~captured_log() {
    core::log::set_level(was);
    core::log::set_fd(2);
    ::close(fd);
  }
  captured_log(const captured_log&) = delete;
  captured_log& operator=(const captured_log&) = delete;

  std::string text() const { return read_file(path); }
  // How many times `what` occurs in the lines so far.
  std::size_t count(std::string_view what) const {
    const auto t = text();
    std::size_t n = 0;
    for (auto at = t.find(what); at != std::string::npos; at = t.find(what, at + 1)) ++n;
    return n;
  }
};

}  // namespace enfinito::test
