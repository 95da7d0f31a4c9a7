#pragma once
/**
 * @file store::connection and store::statement: a thin, exception-free layer over one
 * SQLite connection. Only the store module creates connections; other modules receive a
 * `connection&` inside a write or read function that runs on a store thread.
 *
 * Thread safety: a connection belongs to exactly one thread (the writer or one reader).
 * Prepared statements are cached per connection by their SQL text.
 */
#include <enfinito/core/error.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace enfinito::store {

struct change_set;

/** One prepared statement. Bind indexes start at 1, column indexes at 0 (as in SQLite). */
class statement {
 public:
  explicit statement(sqlite3_stmt* s) noexcept : stmt_(s) {}
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  statement& bind(int i, std::int64_t v);
  statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, double v);
  statement& bind(int i, std::string_view text);
  statement& bind(int i, const char* text) { return bind(i, std::string_view(text)); }
  statement& bind(int i, const std::string& text) { return bind(i, std::string_view(text)); }
  statement& bind_blob(int i, std::string_view bytes);
  statement& bind_null(int i);
  template <class T>
  statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  /** Steps once: true with a row, false when done; `ec` set on error. */
  bool step(core::error_code& ec);
  /** Runs to completion (INSERT/UPDATE/DELETE); resets the statement. */
  core::error_code run();
  void reset() noexcept;

  /** How many columns a row of this statement has. */
  int column_count() const;
  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  std::string_view text_view(int col) const;  // valid until the next step/reset
  std::string blob(int col) const;

 private:
  sqlite3_stmt* stmt_;
};

class connection {
 public:
  /** Opens a connection; `read_only` connections refuse writes (query_only). `vfs`: the name of
   *  a registered SQLite VFS, nullptr for the default. */
  static core::result<std::unique_ptr<connection>> open(const std::string& path, bool read_only,
                                                        std::string* why = nullptr, const char* vfs = nullptr);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  /** A cached prepared statement, reset and cleared of bindings. */
  statement* prepare(std::string_view sql, core::error_code& ec);
  /** Runs one or more statements without results (DDL, PRAGMA, BEGIN/COMMIT). */
  core::error_code exec(std::string_view sql);
  /** Runs a single-value query (PRAGMA user_version, COUNT(*)…). */
  core::result<std::int64_t> scalar_int(std::string_view sql);
  core::result<std::string> scalar_text(std::string_view sql);

  std::int64_t last_insert_rowid() const noexcept;
  int changes() const noexcept;
  /**
   * Is a transaction open? SQLite may roll back a whole transaction by itself after
   * SQLITE_FULL, SQLITE_IOERR or SQLITE_NOMEM; the writer checks this instead of assuming.
   */
  bool in_transaction() const noexcept;
  /** SQLite's last message, for logs; never shown to clients. */
  std::string last_message() const;
  sqlite3* native() const noexcept { return db_; }

  /**
   * Where writes record what they changed (events::append, store::mark): the writer
   * connection's current group only; null elsewhere. The store writer owns the set and
   * publishes it after COMMIT (store/changes.hpp).
   */
  void set_change_sink(change_set* sink) noexcept { change_sink_ = sink; }
  change_set* change_sink() const noexcept { return change_sink_; }

 private:
  explicit connection(sqlite3* db) noexcept : db_(db) {}
  sqlite3* db_;
  std::map<std::string, std::unique_ptr<statement>, std::less<>> cache_;
  change_set* change_sink_ = nullptr;
};

}  // namespace enfinito::store
