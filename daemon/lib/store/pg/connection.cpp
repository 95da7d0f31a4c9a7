// store::pg::connection: libpq in blocking mode, prepared statements cached by SQL text, the
// session settings every connection carries, and pipeline mode for batches.
#include <enfinito/store/pg/connection.hpp>

#include <enfinito/config/settings.hpp>

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace enfinito::store::pg {

// ---- params ------------------------------------------------------------------------------

params& params::add(std::int64_t v) {
  values_.emplace_back(std::to_string(v));
  return *this;
}

params& params::add(std::string_view text) {
  values_.emplace_back(std::string(text));
  return *this;
}

params& params::add_bytes(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s = "\\x";
  s.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  values_.emplace_back(std::move(s));
  return *this;
}

params& params::add_null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

std::vector<const char*> params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

// ---- rows --------------------------------------------------------------------------------

void rows::clear::operator()(pg_result* r) const noexcept { PQclear(r); }
int rows::size() const noexcept { return r_ ? PQntuples(r_.get()) : 0; }
int rows::columns() const noexcept { return r_ ? PQnfields(r_.get()) : 0; }
bool rows::is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }

std::string_view rows::text(int row, int col) const {
  return {PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
}

std::int64_t rows::int64(int row, int col) const {
  auto t = text(row, col);
  std::int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

std::string rows::bytes(int row, int col) const {
  std::size_t n = 0;
  auto* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_.get(), row, col)), &n);
  if (!raw) return {};
  std::string out(reinterpret_cast<const char*>(raw), n);
  PQfreemem(raw);
  return out;
}

std::int64_t rows::affected() const {
  const char* n = r_ ? PQcmdTuples(r_.get()) : "";
  std::int64_t v = 0;
  std::from_chars(n, n + std::strlen(n), v);
  return v;
}

// ---- conninfo ----------------------------------------------------------------------------

namespace {

struct options_deleter {
  void operator()(PQconninfoOption* o) const noexcept { PQconninfoFree(o); }
};
using options_ptr = std::unique_ptr<PQconninfoOption, options_deleter>;

options_ptr parse_conninfo(const std::string& conninfo, std::string* why) {
  if (!config::postgres_url_ok(conninfo, why)) return nullptr;
  return options_ptr(PQconninfoParse(conninfo.c_str(), nullptr));
}

std::string terse(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

// ---- connection --------------------------------------------------------------------------

core::result<std::unique_ptr<connection>> connection::open(const connect_options& o, std::string* why) {
  auto parsed = parse_conninfo(o.conninfo, why);
  if (!parsed) return make_error_code(error::failed);
  std::vector<const char*> keys, values;
  bool has_app_name = false;
  for (auto* p = parsed.get(); p->keyword; ++p) {
    if (!p->val || std::strcmp(p->keyword, "password") == 0 || std::strcmp(p->keyword, "connect_timeout") == 0)
      continue;
    has_app_name |= std::strcmp(p->keyword, "application_name") == 0;
    keys.push_back(p->keyword);
    values.push_back(p->val);
  }
  // libpq counts connect_timeout in whole seconds and treats 1 as 2.
  const auto timeout_s = std::to_string(std::max<std::int64_t>(2, (o.connect_timeout.count() + 999) / 1000));
  keys.push_back("connect_timeout");
  values.push_back(timeout_s.c_str());
  if (!o.password.empty()) {
    keys.push_back("password");
    values.push_back(o.password.reveal().c_str());
  }
  if (!has_app_name) {
    keys.push_back("application_name");
    values.push_back(o.application_name.c_str());
  }
  keys.push_back("client_encoding");
  values.push_back("UTF8");
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* c = PQconnectdbParams(keys.data(), values.data(), 0);
  if (!c) {
    if (why) *why = "postgres: out of memory";
    return make_error_code(error::unavailable);
  }
  std::unique_ptr<connection> conn(new connection(c));
  if (PQstatus(c) != CONNECTION_OK) {
    // libpq's connection messages name the host, the user and the reason, never the password.
    if (why) *why = "postgres: cannot connect: " + terse(PQerrorMessage(c));
    return make_error_code(error::unavailable);
  }
  PQsetErrorVerbosity(c, PQERRORS_TERSE);
  const std::string session = "SET statement_timeout = " + std::to_string(o.statement_timeout.count()) +
                              "; SET synchronous_commit = on; SET TimeZone = 'UTC'"
                              // NOTICEs ("already exists, skipping") would go to stderr, unasked.
                              "; SET client_min_messages = warning";
  if (auto ec = conn->exec(session)) {
    if (why) *why = "postgres: cannot set up the session: " + conn->last_message();
    return ec;
  }
  return conn;
}

connection::~connection() {
  if (conn_) PQfinish(conn_);
}

bool connection::ok() const noexcept { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

bool connection::in_transaction() const noexcept {
  auto s = PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

bool connection::transaction_failed() const noexcept { return PQtransactionStatus(conn_) == PQTRANS_INERROR; }

core::error_code connection::fail(pg_result* r) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  sqlstate_ = state ? state : "";
  message_ = terse(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
  if (message_.empty()) message_ = terse(PQerrorMessage(conn_));
  // A lost connection: whatever the statement was, its outcome is unknown.
  if (!ok()) return make_error_code(error::unavailable);
  return make_error_code(from_sqlstate(sqlstate_));
}

namespace {
struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

bool succeeded(const PGresult* r) {
  if (!r) return false;
  auto s = PQresultStatus(r);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY;
}
}  // namespace

core::error_code connection::exec(std::string_view sql) {
  result_ptr r(PQexec(conn_, std::string(sql).c_str()));
  if (!succeeded(r.get())) return fail(r.get());
  return {};
}

core::result<std::string> connection::prepared_name(std::string_view sql) {
  if (auto it = prepared_.find(sql); it != prepared_.end()) return it->second;
  std::string name = "e" + std::to_string(prepared_.size() + 1);
  result_ptr r(PQprepare(conn_, name.c_str(), std::string(sql).c_str(), 0, nullptr));
  if (!succeeded(r.get())) return fail(r.get());
  prepared_.emplace(std::string(sql), name);
  return name;
}

core::result<rows> connection::query(std::string_view sql, const params& p) {
  auto name = prepared_name(sql);
  if (!name) return name.error();
  auto ptrs = p.pointers();
  PGresult* r = PQexecPrepared(conn_, name->c_str(), static_cast<int>(ptrs.size()), ptrs.data(), nullptr, nullptr, 0);
  if (!succeeded(r)) {
    result_ptr owned(r);
    return fail(r);
  }
  return rows(r);
}

core::result<std::int64_t> connection::scalar_int(std::string_view sql, const params& p) {
  auto r = query(sql, p);
  if (!r) return r.error();
  if (r->empty() || r->columns() < 1 || r->is_null(0, 0)) return make_error_code(error::not_found);
  return r->int64(0, 0);
}

core::result<std::vector<rows>> connection::pipeline(const std::vector<step>& steps) {
  if (steps.size() > max_pipeline) return make_error_code(error::failed);
  if (PQenterPipelineMode(conn_) != 1) return fail(nullptr);
  core::error_code ec;
  for (auto& s : steps) {
    auto ptrs = s.args.pointers();
    if (PQsendQueryParams(conn_, s.sql.c_str(), static_cast<int>(ptrs.size()), nullptr, ptrs.data(), nullptr, nullptr,
                          0) != 1) {
      ec = fail(nullptr);
      break;
    }
  }
  bool synced = false;
  if (!ec) {
    if (PQpipelineSync(conn_) == 1)
      synced = true;
    else
      ec = fail(nullptr);
  }
  std::vector<rows> out;
  // Read every answer up to the sync, whatever happened, so the connection is clean after.
  // Each step answers a result and a null; the loop's bound only guards against a libpq surprise.
  if (synced) {
    for (std::size_t guard = 0; guard < 4 * steps.size() + 16; ++guard) {
      PGresult* r = PQgetResult(conn_);
      if (!r) {
        if (!ok()) {
          if (!ec) ec = fail(nullptr);
          break;
        }
        continue;  // the end of one step's results
      }
      const auto status = PQresultStatus(r);
      if (status == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        break;
      }
      if (status == PGRES_PIPELINE_ABORTED) {
        PQclear(r);
        continue;
      }
      if (!succeeded(r)) {
        result_ptr owned(r);
        if (!ec) ec = fail(r);
        continue;
      }
      out.emplace_back(r);
    }
  }
  if (ok()) PQexitPipelineMode(conn_);
  if (ec) return ec;
  return out;
}

}  // namespace enfinito::store::pg
