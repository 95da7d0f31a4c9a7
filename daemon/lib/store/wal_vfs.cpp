// store::detail::wal_gathering_vfs: the writer's WAL writes gathered until SQLite syncs the WAL.
//
// SQLite writes each WAL frame as two pwrites, the 24-byte frame header and then the page, so a
// group commit of ~60 pages was ~120 write syscalls, each through the filesystem's per-page
// write path (send_bench, 2026-11-27: ~7.5 syscalls a message on the store writer). This VFS is
// the default one, except for WAL files: writes that continue each other are kept in memory
// (at most 4 MiB, per writer connection) and written when SQLite syncs the WAL (at every commit,
// with synchronous = FULL), reads it, asks its size, truncates or closes it, in pwrites of up to
// 124 KiB (the default VFS's limit per call): ~60 pages are 2 pwrites instead of ~120. Every
// other file is the default VFS's own object, untouched.
//
// Why this is safe: with synchronous = FULL, SQLite syncs the WAL before it publishes a commit
// in the WAL index, so no other connection can be told of a frame that is still in memory. A
// crash loses only frames of a transaction that had not committed (and was not acknowledged),
// which WAL recovery ignores anyway. A write error surfaces at the sync instead of the write:
// SQLite fails the commit the same way.
#include "store/wal_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

namespace enfinito::store::detail {
namespace {

constexpr std::size_t gather_max = 4 << 20;  // bytes kept in memory before a write is forced

// A WAL file: what SQLite sees (base), the default VFS's file after it, and what is gathered.
struct wal_file {
  sqlite3_file base;  // first: SQLite's pointer to the file points here
  sqlite3_file* real;
  std::vector<char>* pending;  // bytes not yet written, from file offset `start`
  sqlite3_int64 start;
};

sqlite3_vfs* real_vfs(sqlite3_vfs* v) { return static_cast<sqlite3_vfs*>(v->pAppData); }
wal_file* wal(sqlite3_file* f) { return reinterpret_cast<wal_file*>(f); }
sqlite3_file* real(sqlite3_file* f) { return wal(f)->real; }

// The default VFS writes at most 0x1ffff bytes per call (it masks the length: SQLite itself
// never writes more than a page), so the gathered bytes go in pieces below that.
constexpr std::size_t write_piece_max = 0x1f000;

int flush(wal_file* f) {
  auto& p = *f->pending;
  int rc = SQLITE_OK;
  for (std::size_t at = 0; at < p.size() && rc == SQLITE_OK; at += write_piece_max) {
    const std::size_t n = std::min(write_piece_max, p.size() - at);
    rc = f->real->pMethods->xWrite(f->real, p.data() + at, static_cast<int>(n),
                                   f->start + static_cast<sqlite3_int64>(at));
  }
  p.clear();
  return rc;
}

int gather(wal_file* f, const void* data, int amount, sqlite3_int64 offset) {
  auto& p = *f->pending;
  const auto n = static_cast<std::size_t>(amount);
  const sqlite3_int64 end = f->start + static_cast<sqlite3_int64>(p.size());
  if (!p.empty() && offset == end && p.size() + n <= gather_max) {  // the next frame, or its page
    p.insert(p.end(), static_cast<const char*>(data), static_cast<const char*>(data) + n);
    return SQLITE_OK;
  }
  if (!p.empty() && offset >= f->start && offset + amount <= end) {  // a frame rewritten in place
    std::memcpy(p.data() + (offset - f->start), data, n);
    return SQLITE_OK;
  }
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  if (n >= write_piece_max) return f->real->pMethods->xWrite(f->real, data, amount, offset);  // a page never is
  f->start = offset;
  p.assign(static_cast<const char*>(data), static_cast<const char*>(data) + n);
  return SQLITE_OK;
}

int wal_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  try {
    return gather(wal(file), data, amount, offset);
  } catch (const std::bad_alloc&) {  // nothing may throw into SQLite's C code
    return SQLITE_IOERR_NOMEM;
  }
}

int wal_read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  if (int rc = flush(wal(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xRead(real(file), data, amount, offset);
}

int wal_sync(sqlite3_file* file, int flags) {
  if (int rc = flush(wal(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xSync(real(file), flags);
}

int wal_truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (int rc = flush(wal(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xTruncate(real(file), size);
}

int wal_file_size(sqlite3_file* file, sqlite3_int64* size) {
  if (int rc = flush(wal(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xFileSize(real(file), size);
}

int wal_close(sqlite3_file* file) {
  wal_file* f = wal(file);
  const int flushed = flush(f);
  const int closed = f->real->pMethods->xClose(f->real);
  delete f->pending;
  f->pending = nullptr;
  return flushed != SQLITE_OK ? flushed : closed;
}

// The rest is the default VFS's own behaviour.
int wal_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int wal_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int wal_check_reserved(sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); }
int wal_file_control(sqlite3_file* f, int op, void* arg) { return real(f)->pMethods->xFileControl(real(f), op, arg); }
int wal_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int wal_device(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }

// Version 1: a WAL file is never memory-mapped and has no shared memory of its own.
const sqlite3_io_methods wal_methods = {
    1,
    wal_close,
    wal_read,
    wal_write,
    wal_truncate,
    wal_sync,
    wal_file_size,
    wal_lock,
    wal_unlock,
    wal_check_reserved,
    wal_file_control,
    wal_sector_size,
    wal_device,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

constexpr int real_offset = (sizeof(wal_file) + 7) & ~7;

int open_file(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* r = real_vfs(vfs);
  if (!(flags & SQLITE_OPEN_WAL)) return r->xOpen(r, name, file, flags, out_flags);  // the default's own file
  wal_file* f = wal(file);
  f->base.pMethods = nullptr;  // until the real file is open: SQLite then does not close it
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + real_offset);
  const int rc = r->xOpen(r, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  f->pending = new (std::nothrow) std::vector<char>();
  if (!f->pending) {
    f->real->pMethods->xClose(f->real);
    return SQLITE_NOMEM;
  }
  f->start = 0;
  f->base.pMethods = &wal_methods;
  return SQLITE_OK;
}

// Everything a VFS does besides opening files goes to the default VFS, with its own pointer.
int vfs_delete(sqlite3_vfs* v, const char* n, int sync) { return real_vfs(v)->xDelete(real_vfs(v), n, sync); }
int vfs_access(sqlite3_vfs* v, const char* n, int f, int* out) { return real_vfs(v)->xAccess(real_vfs(v), n, f, out); }
int vfs_full_pathname(sqlite3_vfs* v, const char* n, int size, char* out) {
  return real_vfs(v)->xFullPathname(real_vfs(v), n, size, out);
}
void* vfs_dl_open(sqlite3_vfs* v, const char* n) { return real_vfs(v)->xDlOpen(real_vfs(v), n); }
void vfs_dl_error(sqlite3_vfs* v, int size, char* out) { real_vfs(v)->xDlError(real_vfs(v), size, out); }
void (*vfs_dl_sym(sqlite3_vfs* v, void* h, const char* s))(void) { return real_vfs(v)->xDlSym(real_vfs(v), h, s); }
void vfs_dl_close(sqlite3_vfs* v, void* h) { real_vfs(v)->xDlClose(real_vfs(v), h); }
int vfs_randomness(sqlite3_vfs* v, int size, char* out) { return real_vfs(v)->xRandomness(real_vfs(v), size, out); }
int vfs_sleep(sqlite3_vfs* v, int us) { return real_vfs(v)->xSleep(real_vfs(v), us); }
int vfs_current_time(sqlite3_vfs* v, double* out) { return real_vfs(v)->xCurrentTime(real_vfs(v), out); }
int vfs_last_error(sqlite3_vfs* v, int size, char* out) { return real_vfs(v)->xGetLastError(real_vfs(v), size, out); }
int vfs_current_time64(sqlite3_vfs* v, sqlite3_int64* out) { return real_vfs(v)->xCurrentTimeInt64(real_vfs(v), out); }

}  // namespace

bool register_wal_gathering_vfs() {
  sqlite3_vfs* r = sqlite3_vfs_find(nullptr);
  if (!r || r->iVersion < 2 || !r->xCurrentTimeInt64) return false;
  static sqlite3_vfs vfs{};
  vfs.iVersion = 2;
  vfs.szOsFile = real_offset + r->szOsFile;
  vfs.mxPathname = r->mxPathname;
  vfs.zName = wal_gathering_vfs;
  vfs.pAppData = r;
  vfs.xOpen = open_file;
  vfs.xDelete = vfs_delete;
  vfs.xAccess = vfs_access;
  vfs.xFullPathname = vfs_full_pathname;
  vfs.xDlOpen = vfs_dl_open;
  vfs.xDlError = vfs_dl_error;
  vfs.xDlSym = vfs_dl_sym;
  vfs.xDlClose = vfs_dl_close;
  vfs.xRandomness = vfs_randomness;
  vfs.xSleep = vfs_sleep;
  vfs.xCurrentTime = vfs_current_time;
  vfs.xGetLastError = vfs_last_error;
  vfs.xCurrentTimeInt64 = vfs_current_time64;
  return sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
}

}  // namespace enfinito::store::detail
