#pragma once
/**
 * @file store::pg migrations: schema.pg.sql (embedded at build time), applied the way
 * store::migrate applies schema.sql: numbered blocks, each in its own transaction, a database
 * newer than the program refused. Two tracks (schema.pg.sql's header says why): "main", whose
 * numbers are schema.sql's, then "cluster". The versions are rows of `schema_version`
 * (PostgreSQL has no user_version). Several nodes may start at once: the run holds a
 * transaction-level advisory lock per block and re-reads the version under it, so each block
 * runs once.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/pg/connection.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::pg {

struct migration {
  std::string track;  // "main" or "cluster"
  int version = 0;
  std::string sql;
};

/** Splits schema text into blocks headed "-- migration: N" and "-- cluster migration: N". */
std::vector<migration> migrations(std::string_view schema_text);
/** schema.pg.sql as embedded at build time. */
std::string_view embedded_schema();

/** The versions a database is at (0 for a track never applied). */
struct schema_versions {
  std::int64_t main = 0;
  std::int64_t cluster = 0;
};
core::result<schema_versions> current_versions(connection& conn);

/**
 * Applies every block above the database's version of its track, main track first. Refuses
 * (error::schema_too_new) a database whose version of either track is newer than the text's.
 * `why` gets a message for the operator (the block's number and PostgreSQL's terse message).
 */
core::error_code migrate(connection& conn, std::string_view schema_text, std::string* why);

}  // namespace enfinito::store::pg
