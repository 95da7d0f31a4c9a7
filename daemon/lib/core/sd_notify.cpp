// core::systemd: the thin wrapper over libsystemd's sd_notify.
#include <enfinito/core/sd_notify.hpp>

#include <systemd/sd-daemon.h>

#include <string>

namespace enfinito::core::systemd {

void notify(std::string_view state) noexcept {
  std::string s(state);
  sd_notify(0, s.c_str());
}

std::optional<std::chrono::microseconds> watchdog_interval() noexcept {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(usec);
  return std::nullopt;
}

}  // namespace enfinito::core::systemd
