// store::data_links: the SQL of the mailed single-use data-rights links (see
// include/enfinito/store/data_links.hpp).
#include <enfinito/store/data_links.hpp>
#include <enfinito/store/error.hpp>
#include "store/prepare.hpp"
#include "store/rows.hpp"

namespace enfinito::store::data_links {

core::error_code insert(connection& c, std::string_view token_hash, std::string_view user_id, std::string_view action,
                        std::int64_t expires_at, std::int64_t now) {
  {
    // Bounded, so that a request never pays for a large backlog (each request sweeps some).
    ENF_PREPARE(sweep,
                "DELETE FROM data_links WHERE rowid IN "
                "(SELECT rowid FROM data_links WHERE expires_at <= ?1 LIMIT 64)");
    sweep->bind(1, now);
    if (auto ec = sweep->run()) return ec;
  }
  ENF_PREPARE(s, "INSERT INTO data_links(token_hash, user_id, action, expires_at) VALUES(?1, ?2, ?3, ?4)");
  s->bind(1, token_hash).bind(2, user_id).bind(3, action).bind(4, expires_at);
  return s->run();
}

core::result<std::optional<std::string>> take(connection& c, std::string_view token_hash, std::string_view action,
                                              std::int64_t now) {
  std::optional<std::string> user_id;
  {
    ENF_PREPARE(s, "SELECT user_id FROM data_links WHERE token_hash = ?1 AND action = ?2 AND expires_at > ?3");
    s->bind(1, token_hash).bind(2, action).bind(3, now);
    if (auto ec = read_value(*s, user_id)) return ec;
  }
  if (!user_id) return user_id;
  ENF_PREPARE(d, "DELETE FROM data_links WHERE token_hash = ?1");
  d->bind(1, token_hash);
  if (auto ec = d->run()) return ec;
  return user_id;
}

}  // namespace enfinito::store::data_links
