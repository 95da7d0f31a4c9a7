// store::connection / store::statement: RAII over sqlite3 and sqlite3_stmt, no exceptions.
#include <enfinito/store/connection.hpp>
#include <enfinito/store/error.hpp>

#include "store/wal_vfs.hpp"

#include <sqlite3.h>

namespace enfinito::store {

namespace {
core::error_code to_ec(int rc) { return make_error_code(from_sqlite(rc)); }
}  // namespace

statement::~statement() { sqlite3_finalize(stmt_); }

statement& statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
statement& statement::bind(int i, double v) {
  sqlite3_bind_double(stmt_, i, v);
  return *this;
}
statement& statement::bind(int i, std::string_view text) {
  sqlite3_bind_text64(stmt_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
statement& statement::bind_blob(int i, std::string_view bytes) {
  sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  return *this;
}
statement& statement::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

bool statement::step(core::error_code& ec) {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) ec = to_ec(rc);
  return false;
}

core::error_code statement::run() {
  core::error_code ec;
  while (step(ec)) {}
  reset();
  return ec;
}

void statement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int statement::column_count() const { return sqlite3_column_count(stmt_); }
bool statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::int64_t statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }
double statement::real(int col) const { return sqlite3_column_double(stmt_, col); }
std::string_view statement::text_view(int col) const {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string_view(p, static_cast<std::size_t>(n)) : std::string_view();
}
std::string statement::text(int col) const { return std::string(text_view(col)); }
std::string statement::blob(int col) const {
  auto p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

namespace {
// Process-wide SQLite settings, set once before the first connection opens (sqlite3_config is
// refused after sqlite3_initialize).
//
// Statement journals: the writer runs each write of a group commit inside a SAVEPOINT, and
// SQLite copies every page a savepoint modifies into a sub-journal so it can roll that write
// back alone. By default a sub-journal spills to a temporary file past 64 KiB, so a batch
// with a larger write paid a 4 KiB pwrite per touched page for the rest of the transaction
// (the send bench measured three times more sub-journal writes than WAL writes). Holding up to
// 8 MiB in memory removes them; a larger write (deleting a big account) still spills, so
// memory stays bounded.
constexpr int statement_journal_spill_bytes = 8 << 20;

// Memory statistics: with them on (Debian's default), every sqlite3_malloc and sqlite3_free
// takes one process-wide mutex so sqlite3_memory_used() stays exact. Nothing here reads those
// figures, and the store writer and the readers allocate on different threads, so the mutex
// only costs (the send bench's writer spent ~5% of its time in its unlock).
//
// Then the writer's VFS (store/wal_vfs.cpp): registering it initialises SQLite, so it comes
// after the settings above.
bool configure_sqlite() {
  int rc = sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, statement_journal_spill_bytes);
  if (rc == SQLITE_OK) rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  detail::register_wal_gathering_vfs();  // if refused, open() falls back to the default VFS
  return rc == SQLITE_OK;                // SQLITE_MISUSE: someone initialised SQLite first; defaults apply
}
}  // namespace

core::result<std::unique_ptr<connection>> connection::open(const std::string& path, bool read_only, std::string* why,
                                                           const char* vfs) {
  static const bool configured = configure_sqlite();
  (void)configured;
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE |
              (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (vfs && !sqlite3_vfs_find(vfs)) vfs = nullptr;  // not registered: the default VFS
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs);
  if (rc != SQLITE_OK) {
    if (why) *why = path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return to_ec(rc);
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<connection>(new connection(db));
}

connection::~connection() {
  cache_.clear();  // finalize statements before closing
  sqlite3_close(db_);
}

statement* connection::prepare(std::string_view sql, core::error_code& ec) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second->reset();
    return it->second.get();
  }
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) {
    ec = to_ec(rc);
    return nullptr;
  }
  auto [pos, _] = cache_.emplace(std::string(sql), std::make_unique<statement>(raw));
  return pos->second.get();
}

core::error_code connection::exec(std::string_view sql) {
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? core::error_code{} : to_ec(rc);
}

core::result<std::int64_t> connection::scalar_int(std::string_view sql) {
  core::error_code ec;
  auto* st = prepare(sql, ec);
  if (ec) return ec;
  if (!st->step(ec)) return ec ? ec : make_error_code(error::not_found);
  auto v = st->int64(0);
  st->reset();
  return v;
}

core::result<std::string> connection::scalar_text(std::string_view sql) {
  core::error_code ec;
  auto* st = prepare(sql, ec);
  if (ec) return ec;
  if (!st->step(ec)) return ec ? ec : make_error_code(error::not_found);
  auto v = st->text(0);
  st->reset();
  return v;
}

std::int64_t connection::last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }
int connection::changes() const noexcept { return sqlite3_changes(db_); }
bool connection::in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }
std::string connection::last_message() const { return sqlite3_errmsg(db_); }

}  // namespace enfinito::store
