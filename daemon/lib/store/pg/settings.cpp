// store::pg::options_from: [store] postgres_* and the secret file postgres.password.
#include <enfinito/store/pg/settings.hpp>

#include <cstdlib>
#include <filesystem>

namespace enfinito::store::pg {

core::result<pool_options> options_from(const config::settings& s, std::string* why) {
  pool_options o;
  o.connect.conninfo = s.store.postgres_url;
  o.connect.statement_timeout = s.store.postgres_statement_timeout;
  o.connect.connect_timeout = s.store.postgres_connect_timeout;
  o.size = s.store.postgres_pool_size;
  if (!config::postgres_url_ok(o.connect.conninfo, why)) return make_error_code(error::failed);
  std::string dir = s.secrets_dir;
  if (const char* cred = std::getenv("CREDENTIALS_DIRECTORY"); dir.empty() && cred) dir = cred;
  std::error_code ec;
  if (!dir.empty() && std::filesystem::exists(std::filesystem::path(dir) / "postgres.password", ec)) {
    auto pw = config::read_secret_file(s, "postgres.password", why);
    if (!pw) return pw.error();
    o.connect.password = std::move(*pw);
  }
  return o;
}

}  // namespace enfinito::store::pg
