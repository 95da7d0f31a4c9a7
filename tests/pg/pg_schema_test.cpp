// schema.pg.sql against schema.sql: applied to a real PostgreSQL 15 by the numbered runner,
// both dialects end up with the same tables, columns (type, NOT NULL, default), keys, foreign
// keys, indexes and triggers, introspected from each database. No block of schema.sql is left
// untranslated; a newer database is refused; two nodes migrating at once apply each block once.
#include "support/pg_cluster.hpp"
#include "support/temp_dir.hpp"

#include <enfinito/store/pg/migrate.hpp>
#include <enfinito/store/pg/pool.hpp>
#include <enfinito/store/store.hpp>

#include <boost/test/unit_test.hpp>

#include <regex>
#include <set>
#include <thread>

using namespace enfinito;

namespace {

// What only several nodes need: PostgreSQL has it, SQLite never will (schema.pg.sql's header).
const std::set<std::string> pg_only_tables = {"schema_version", "instance_leases"};

std::unique_ptr<enfinito::store::pg::connection> connect(const std::string& conninfo) {
  enfinito::store::pg::connect_options o;
  o.conninfo = conninfo;
  std::string why;
  auto c = enfinito::store::pg::connection::open(o, &why);
  BOOST_REQUIRE_MESSAGE(c, why);
  return std::move(*c);
}

std::string type_family(std::string t) {
  for (auto& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (t == "integer" || t == "bigint") return "integer";
  if (t == "blob" || t == "bytea") return "blob";
  return t;
}

// PostgreSQL shows defaults with their cast ('user'::text); SQLite as written ('user').
std::string default_text(std::string d) {
  static const std::regex cast("::[a-z ]+$");
  return std::regex_replace(d, cast, "");
}

std::set<std::string> sqlite_shape(store::connection& c) {
  std::set<std::string> out;
  std::vector<std::string> tables;
  core::error_code ec;
  auto* t = c.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", ec);
  BOOST_REQUIRE(t);
  while (t->step(ec)) tables.push_back(t->text(0));
  for (auto& table : tables) {
    out.insert("table " + table);
    auto* cols = c.prepare("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1)", ec);
    cols->bind(1, table);
    std::vector<std::pair<int, std::string>> pk;
    while (cols->step(ec)) {
      const bool is_pk = cols->int64(4) > 0;
      // A primary key column is NOT NULL in PostgreSQL whatever it declares (SQLite's rowid is too).
      out.insert("column " + table + "." + cols->text(0) + " " + type_family(cols->text(1)) +
                 (cols->int64(2) || is_pk ? " not null" : "") + (cols->is_null(3) ? "" : " default " + cols->text(3)));
      if (is_pk) pk.emplace_back(static_cast<int>(cols->int64(4)), cols->text(0));
    }
    std::sort(pk.begin(), pk.end());
    std::string pk_cols;
    for (auto& [_, name] : pk) pk_cols += (pk_cols.empty() ? "" : ",") + name;
    if (!pk_cols.empty()) out.insert("primary key " + table + "(" + pk_cols + ")");
    std::vector<std::tuple<std::string, bool, std::string, bool>> indexes;
    auto* il = c.prepare("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1)", ec);
    il->bind(1, table);
    while (il->step(ec)) indexes.emplace_back(il->text(0), il->int64(1) != 0, il->text(2), il->int64(3) != 0);
    for (auto& [name, unique, origin, partial] : indexes) {
      if (origin == "pk") continue;
      auto* ii = c.prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno", ec);
      ii->bind(1, name);
      std::string cols_list;
      while (ii->step(ec)) cols_list += (cols_list.empty() ? "" : ",") + ii->text(0);
      if (origin == "u")
        out.insert("unique " + table + "(" + cols_list + ")");
      else
        out.insert("index " + name + " on " + table + "(" + cols_list + ")" + (unique ? " unique" : "") +
                   (partial ? " partial" : ""));
    }
    auto* fk = c.prepare("SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list(?1)", ec);
    fk->bind(1, table);
    while (fk->step(ec))
      out.insert("foreign key " + table + "." + fk->text(0) + " -> " + fk->text(1) + "." + fk->text(2) + " on delete " +
                 fk->text(3));
  }
  auto* tr = c.prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'trigger'", ec);
  while (tr->step(ec)) out.insert("trigger " + tr->text(0) + " on " + tr->text(1));
  return out;
}

enfinito::store::pg::rows pg_rows(enfinito::store::pg::connection& c, const std::string& sql) {
  auto r = c.query(sql);
  BOOST_REQUIRE_MESSAGE(r, c.last_message());
  return std::move(*r);
}

std::set<std::string> pg_shape(enfinito::store::pg::connection& c) {
  std::set<std::string> out;
  auto skip = [](std::string_view table) { return pg_only_tables.count(std::string(table)) > 0; };
  auto tables = pg_rows(c,
                        "SELECT table_name FROM information_schema.tables"
                        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
  for (int i = 0; i < tables.size(); ++i)
    if (!skip(tables.text(i, 0))) out.insert("table " + std::string(tables.text(i, 0)));
  auto cols = pg_rows(c,
                      "SELECT table_name, column_name, data_type, is_nullable, column_default"
                      " FROM information_schema.columns WHERE table_schema = 'public'");
  for (int i = 0; i < cols.size(); ++i) {
    if (skip(cols.text(i, 0))) continue;
    out.insert("column " + std::string(cols.text(i, 0)) + "." + std::string(cols.text(i, 1)) + " " +
               type_family(std::string(cols.text(i, 2))) + (cols.text(i, 3) == "NO" ? " not null" : "") +
               (cols.is_null(i, 4) ? "" : " default " + default_text(std::string(cols.text(i, 4)))));
  }
  auto idx =
      pg_rows(c,
              "SELECT t.relname, i.relname, ix.indisunique, ix.indisprimary, ix.indpred IS NOT NULL, con.contype,"
              " array_to_string(ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)"
              "   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord), ',')"
              " FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid"
              " LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid"
              "   AND con.contype IN ('p', 'u')"
              " WHERE t.relnamespace = 'public'::regnamespace");
  for (int i = 0; i < idx.size(); ++i) {
    const std::string table(idx.text(i, 0)), name(idx.text(i, 1)), cols_list(idx.text(i, 6));
    if (skip(table)) continue;
    if (idx.text(i, 3) == "t")
      out.insert("primary key " + table + "(" + cols_list + ")");
    else if (!idx.is_null(i, 5))
      out.insert("unique " + table + "(" + cols_list + ")");
    else
      out.insert("index " + name + " on " + table + "(" + cols_list + ")" + (idx.text(i, 2) == "t" ? " unique" : "") +
                 (idx.text(i, 4) == "t" ? " partial" : ""));
  }
  auto fks =
      pg_rows(c,
              "SELECT t.relname, a.attname, r.relname, ar.attname,"
              " CASE con.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'a' THEN 'NO ACTION'"
              "   WHEN 'r' THEN 'RESTRICT' ELSE 'SET DEFAULT' END"
              " FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid JOIN pg_class r ON r.oid = con.confrelid"
              " JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]"
              " JOIN pg_attribute ar ON ar.attrelid = con.confrelid AND ar.attnum = con.confkey[1]"
              " WHERE con.contype = 'f' AND con.connamespace = 'public'::regnamespace");
  for (int i = 0; i < fks.size(); ++i)
    if (!skip(fks.text(i, 0)))
      out.insert("foreign key " + std::string(fks.text(i, 0)) + "." + std::string(fks.text(i, 1)) + " -> " +
                 std::string(fks.text(i, 2)) + "." + std::string(fks.text(i, 3)) + " on delete " +
                 std::string(fks.text(i, 4)));
  auto trs = pg_rows(c, "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal");
  for (int i = 0; i < trs.size(); ++i)
    out.insert("trigger " + std::string(trs.text(i, 0)) + " on " + std::string(trs.text(i, 1)));
  return out;
}

std::string describe(const std::set<std::string>& s) {
  std::string out;
  for (auto& line : s) out += "  " + line + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_schema)

BOOST_AUTO_TEST_CASE(every_sqlite_migration_has_its_translation) {
  std::set<int> sqlite_versions, pg_versions;
  // store::migrations also finds the "-- migration: N" that schema.sql's header comment quotes,
  // as version 0, which the runner never applies.
  for (auto& [v, _] : store::migrations(store::embedded_schema()))
    if (v > 0) sqlite_versions.insert(v);
  for (auto& m : enfinito::store::pg::migrations(enfinito::store::pg::embedded_schema()))
    if (m.track == "main") pg_versions.insert(m.version);
  BOOST_TEST(pg_versions == sqlite_versions,
             "schema.sql has blocks schema.pg.sql does not translate (or the "
             "reverse): translate each under the same number");
  BOOST_TEST(!enfinito::store::pg::migrations(enfinito::store::pg::embedded_schema()).empty());
}

BOOST_AUTO_TEST_CASE(both_dialects_build_the_same_schema) {
  auto c = connect(test::pg_cluster::shared().create_database());
  std::string why;
  BOOST_REQUIRE_MESSAGE(!enfinito::store::pg::migrate(*c, enfinito::store::pg::embedded_schema(), &why), why);
  test::temp_dir dir;
  auto lite = store::connection::open((dir / "s.db").string(), false, &why);
  BOOST_REQUIRE_MESSAGE(lite, why);
  BOOST_REQUIRE_MESSAGE(!store::migrate(**lite, store::embedded_schema(), &why), why);

  const auto a = sqlite_shape(**lite);
  const auto b = pg_shape(*c);
  std::set<std::string> only_sqlite, only_pg;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(only_sqlite, only_sqlite.end()));
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::inserter(only_pg, only_pg.end()));
  BOOST_TEST(only_sqlite.empty(), "only in SQLite:\n" << describe(only_sqlite));
  BOOST_TEST(only_pg.empty(), "only in PostgreSQL:\n" << describe(only_pg));
  BOOST_TEST(a.size() > 150u);  // the comparison saw the schema, not two empty sets
}

BOOST_AUTO_TEST_CASE(versions_are_recorded_and_a_second_run_does_nothing) {
  auto c = connect(test::pg_cluster::shared().create_database());
  std::string why;
  BOOST_REQUIRE_MESSAGE(!enfinito::store::pg::migrate(*c, enfinito::store::pg::embedded_schema(), &why), why);
  auto v = enfinito::store::pg::current_versions(*c);
  BOOST_REQUIRE(v);
  int newest_main = 0, newest_cluster = 0;
  for (auto& m : enfinito::store::pg::migrations(enfinito::store::pg::embedded_schema()))
    (m.track == "main" ? newest_main : newest_cluster) =
        std::max(m.track == "main" ? newest_main : newest_cluster, m.version);
  BOOST_TEST(v->main == newest_main);
  BOOST_TEST(v->cluster == newest_cluster);
  BOOST_TEST(newest_cluster >= 1);
  BOOST_TEST(!enfinito::store::pg::migrate(*c, enfinito::store::pg::embedded_schema(), &why), why);
}

BOOST_AUTO_TEST_CASE(a_newer_database_is_refused) {
  auto c = connect(test::pg_cluster::shared().create_database());
  std::string why;
  BOOST_REQUIRE(!enfinito::store::pg::migrate(*c, enfinito::store::pg::embedded_schema(), &why));
  BOOST_REQUIRE(!c->exec("UPDATE schema_version SET version = 999 WHERE track = 'main'"));
  BOOST_TEST((enfinito::store::pg::migrate(*c, enfinito::store::pg::embedded_schema(), &why) ==
              enfinito::store::pg::error::schema_too_new));
  BOOST_TEST(why.find("999") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failing_block_leaves_nothing_behind) {
  auto c = connect(test::pg_cluster::shared().create_database());
  const std::string text =
      "-- migration: 1\nCREATE TABLE a (x BIGINT);\n"
      "-- migration: 2\nCREATE TABLE b (x BIGINT);\nCREATE TABLE a (x BIGINT);\n";
  std::string why;
  BOOST_TEST(enfinito::store::pg::migrate(*c, text, &why));
  BOOST_TEST(why.find("main migration 2 failed") != std::string::npos, why);
  BOOST_TEST(enfinito::store::pg::current_versions(*c)->main == 1);
  auto b = c->query("SELECT count(*) FROM pg_tables WHERE tablename = 'b'");
  BOOST_REQUIRE(b);
  BOOST_TEST(b->int64(0, 0) == 0);
}

BOOST_AUTO_TEST_CASE(nodes_starting_together_apply_each_block_once) {
  const auto conninfo = test::pg_cluster::shared().create_database();
  std::vector<std::thread> nodes;
  std::vector<std::string> errors(3);
  for (int i = 0; i < 3; ++i)
    nodes.emplace_back([&, i] {
      enfinito::store::pg::connect_options o;
      o.conninfo = conninfo;
      auto c = enfinito::store::pg::connection::open(o, &errors[i]);
      if (c && enfinito::store::pg::migrate(**c, enfinito::store::pg::embedded_schema(), &errors[i]) &&
          errors[i].empty())
        errors[i] = "failed";
    });
  for (auto& t : nodes) t.join();
  for (auto& e : errors) BOOST_TEST(e.empty(), e);
}

BOOST_AUTO_TEST_SUITE_END()
