#pragma once
// temp_store: a store::store on a fresh database file (schema applied) in a temporary directory
// removed when the test ends, with the one-line writes and reads unit tests seed and check with.
#include "support/temp_dir.hpp"

#include <enfinito/store/store.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace enfinito::test {

/** The rows `sql` reads from `db` (a temp_store's or a running app's), with `params` bound to
    ?1, ?2…; each column as text, NULL as "". Fails the test on error. */
std::vector<std::vector<std::string>> db_rows(store::store& db, const std::string& sql,
                                              const std::vector<std::string>& params = {});
/** The single integer `sql` reads (-1 when it reads no row, 0 for NULL); fails the test on error. */
std::int64_t db_scalar(store::store& db, const std::string& sql, const std::vector<std::string>& params = {});
/** The single text `sql` reads ("" when it reads no row); fails the test on error. */
std::string db_text(store::store& db, const std::string& sql, const std::vector<std::string>& params = {});

struct temp_store {
  /** Opens `dir`/store.db with full sync, one reader and a 5 s busy timeout; `tweak` changes
      the options before the store opens. Fails the test if it does not open. */
  explicit temp_store(const std::function<void(store::options&)>& tweak = {});

  test::temp_dir dir;
  std::unique_ptr<store::store> db;

  /** The database file's path (to open it a second time). */
  std::string path() const { return (dir / "store.db").string(); }
  /** Runs `sql` (one or more statements) in one write; fails the test on error. */
  void exec(const std::string& sql);
  /** The single integer `sql` reads; fails the test on error. */
  std::int64_t scalar(const std::string& sql);
  /** The single text `sql` reads; fails the test on error. */
  std::string text(const std::string& sql);
  /** Active users usr_a ('a@x', "A") and usr_b ('b@x', "B"), the owners most tests need. */
  void add_users();
  /** An instance of `user_id` with placeholder credential blobs. */
  void add_instance(const std::string& id, const std::string& user_id, const std::string& lookup,
                    bool media_fetch = false, const std::string& name = "A");
};

}  // namespace enfinito::test
