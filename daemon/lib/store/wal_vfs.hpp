#pragma once
// store's SQLite VFS for the writer connection: the default one, except that writes to the WAL
// are gathered in memory and reach the file in one pwrite when SQLite syncs it.
// Internal to daemon/lib/store.
namespace enfinito::store::detail {

/** The VFS's name, for sqlite3_open_v2. */
inline constexpr const char* wal_gathering_vfs = "enfinito-wal";

/**
 * Registers the VFS, not as the default. Called once, from connection.cpp's process-wide SQLite
 * set-up: after sqlite3_config (which SQLite refuses once initialised, and registering a VFS
 * initialises it). False if SQLite refused it; connection::open then uses the default VFS.
 *
 * Only for a connection with `synchronous = FULL`: SQLite then syncs the WAL at every commit
 * before it publishes the commit to other connections, and the sync is where the gathered
 * frames are written. With `NORMAL` there is no sync at commit, and readers could be told of
 * frames still in memory.
 */
bool register_wal_gathering_vfs();

}  // namespace enfinito::store::detail
