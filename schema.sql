-- Enfinito's schema: the one source of truth, embedded into the daemon at build time.
--
-- Blocks headed "-- migration: N" run in order, each in its own transaction, on any database
-- whose PRAGMA user_version is below N; user_version is then set to N. A released block is
-- never edited: a change to the schema is a new block at the end.
-- Portable SQL only (the store may move to PostgreSQL): no SQLite-only types or functions
-- outside the store module's own statements.

-- migration: 1
-- Small operational key/value facts (readiness probe, vault key id in use, ...).
CREATE TABLE meta_kv (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
