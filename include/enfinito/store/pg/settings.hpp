#pragma once
/**
 * @file store::pg::options_from: the pool's options from the daemon's settings ([store]
 * postgres_*), the password from the secret file `postgres.password` in the secrets directory
 * (read with config::read_secret_file: refused when group- or world-readable). No file: no
 * password (peer, trust or certificate authentication).
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/store/pg/pool.hpp>

#include <string>

namespace enfinito::store::pg {

core::result<pool_options> options_from(const config::settings& s, std::string* why);

}  // namespace enfinito::store::pg
