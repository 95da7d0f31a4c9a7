#pragma once
/** @file systemd notification (READY=1, STOPPING=1, WATCHDOG=1) through libsystemd. */
#include <chrono>
#include <optional>
#include <string_view>

namespace enfinito::core::systemd {

/** Sends a state string to $NOTIFY_SOCKET; a no-op when not run by systemd. */
void notify(std::string_view state) noexcept;
inline void ready() noexcept { notify("READY=1"); }
inline void stopping() noexcept { notify("STOPPING=1"); }
inline void watchdog() noexcept { notify("WATCHDOG=1"); }
/** The watchdog interval systemd expects, when the unit enables it. */
std::optional<std::chrono::microseconds> watchdog_interval() noexcept;

}  // namespace enfinito::core::systemd
