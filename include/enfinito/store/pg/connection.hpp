#pragma once
/**
 * @file store::pg::connection: one libpq connection, exception-free, in blocking mode, owned by
 * exactly one pool thread (store/pg/pool.hpp says why threads). The PostgreSQL twin of
 * store::connection: statements are prepared once per connection and cached by their SQL text;
 * parameters and results travel as text ($1, $2 … placeholders; bytea as `\x` hex).
 *
 * Messages are libpq's terse form (severity, primary message): PostgreSQL's DETAIL lines quote
 * row values ("Key (email)=(…) already exists") and never reach a log from here.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/store/pg/error.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace enfinito::store {
struct change_set;
}

namespace enfinito::store::pg {

/** Statement parameters, in $1, $2 … order, sent as text. */
class params {
 public:
  params& add(std::int64_t v);
  params& add(int v) { return add(static_cast<std::int64_t>(v)); }
  params& add(std::string_view text);
  params& add(const char* text) { return add(std::string_view(text)); }
  params& add(const std::string& text) { return add(std::string_view(text)); }
  params& add_bytes(std::string_view bytes);  // a bytea value
  params& add_null();
  template <class T>
  params& add(const std::optional<T>& v) {
    return v ? add(*v) : add_null();
  }
  std::size_t size() const noexcept { return values_.size(); }
  /** libpq's view: pointers into this object (valid while it lives and is not changed). */
  std::vector<const char*> pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

/** A statement's rows; row and column indexes start at 0. */
class rows {
 public:
  rows() = default;
  explicit rows(pg_result* r) noexcept : r_(r) {}
  int size() const noexcept;
  int columns() const noexcept;
  bool empty() const noexcept { return size() == 0; }
  bool is_null(int row, int col) const;
  std::string_view text(int row, int col) const;
  std::int64_t int64(int row, int col) const;
  std::string bytes(int row, int col) const;  // a bytea column, unescaped
  /** Rows an INSERT/UPDATE/DELETE touched. */
  std::int64_t affected() const;

 private:
  struct clear {
    void operator()(pg_result* r) const noexcept;
  };
  std::unique_ptr<pg_result, clear> r_;
};

/** What a new connection needs; the password never leaves a secret until libpq takes it. */
struct connect_options {
  std::string conninfo;  // libpq keyword/value string or postgresql:// URI, without a password
                         // (refused otherwise: config::postgres_url_ok)
  core::secret_string password;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds statement_timeout{5'000};
  std::string application_name = "enfinitod";
};

class connection {
 public:
  /**
   * Connects and sets the session: `statement_timeout`, `synchronous_commit = on` (a COMMIT
   * returns once the WAL is flushed: the same promise as SQLite's synchronous=FULL), UTC,
   * UTF8. `why` gets an operator-fit message without secrets.
   */
  static core::result<std::unique_ptr<connection>> open(const connect_options& opts, std::string* why = nullptr);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  /** Runs one statement with parameters, prepared once per connection and cached. */
  core::result<rows> query(std::string_view sql, const params& p = {});
  /** Runs one or more statements without parameters or results (DDL, BEGIN/COMMIT). */
  core::error_code exec(std::string_view sql);
  /** A single integer (COUNT(*), a version); error::not_found without a row or with NULL. */
  core::result<std::int64_t> scalar_int(std::string_view sql, const params& p = {});

  struct step {
    std::string sql;
    params args;
  };
  /**
   * Sends every step at once in libpq's pipeline mode and reads the answers: one round trip
   * for the batch instead of one per statement (BEGIN … COMMIT of a group included). Stops at
   * the first failing step; the server skips the rest up to the sync. At most `max_pipeline`.
   */
  core::result<std::vector<rows>> pipeline(const std::vector<step>& steps);
  static constexpr std::size_t max_pipeline = 256;

  /** Is the connection usable? False once the server went away (the pool reconnects). */
  bool ok() const noexcept;
  /** Inside a transaction block (open, or failed and awaiting ROLLBACK)? */
  bool in_transaction() const noexcept;
  /** Inside a transaction that failed (its COMMIT would answer ROLLBACK, without an error)? */
  bool transaction_failed() const noexcept;
  /** The last error's SQLSTATE ("" when the connection itself failed). */
  const std::string& last_sqlstate() const noexcept { return sqlstate_; }
  /** The last error's terse message, for logs (no row values); never shown to clients. */
  const std::string& last_message() const noexcept { return message_; }
  pg_conn* native() const noexcept { return conn_; }

  /**
   * Where the writes on this connection declare what they change (store::pg::mark,
   * pg::events::append): the group's set on the writer's connection (store/pg/writer.hpp),
   * none elsewhere, as store::connection::change_sink.
   */
  void set_change_sink(change_set* sink) noexcept { change_sink_ = sink; }
  change_set* change_sink() const noexcept { return change_sink_; }

 private:
  explicit connection(pg_conn* c) noexcept : conn_(c) {}
  core::error_code fail(pg_result* r);
  core::result<std::string> prepared_name(std::string_view sql);

  pg_conn* conn_;
  std::map<std::string, std::string, std::less<>> prepared_;
  std::string sqlstate_;
  std::string message_;
  change_set* change_sink_ = nullptr;
};

}  // namespace enfinito::store::pg
