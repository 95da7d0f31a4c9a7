#pragma once
/**
 * @file The account commands of enfinitoctl: `create-admin --email E --name N` (password read
 * from stdin; there is no default account), `approve EMAIL`, `delete-user EMAIL` and
 * `reset-second-factor EMAIL`. They work next to a running
 * daemon: the daemon holds the store's process lock, so they then use their own SQLite
 * connection (WAL lets both write; busy_timeout waits for the daemon's commits). An approval
 * mail is committed to the outbox, which the daemon's sender delivers.
 */
#include <enfinito/config/settings.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace enfinito::app {

/** Usage lines for these commands. */
extern const char* const accounts_usage;

/**
 * Runs `args` if it is an account command: returns the exit code (0 ok, 1 failed, 2 usage), or
 * -1 when `args[0]` is not one of these commands. The password is the first line of `in`.
 */
int accounts_command(const config::settings& settings, const std::vector<std::string>& args, std::FILE* in);

}  // namespace enfinito::app
