// store::instances: the SQL of WhatsApp instances. Blobs in, blobs out; no crypto here.
#include <enfinito/store/changes.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include "store/columns.hpp"
#include "store/prepare.hpp"
#include "store/rows.hpp"

#include <atomic>

namespace enfinito::store::instances {

namespace {
std::atomic<std::uint64_t> generation_counter{1};
}

void changed() noexcept { generation_counter.fetch_add(1, std::memory_order_acq_rel); }

std::uint64_t generation() noexcept { return generation_counter.load(std::memory_order_acquire); }

namespace {

constexpr column_list cols{
    "id, user_id, name, phone_number_id_enc, waba_id_enc, access_token_enc, app_secret_enc, "
    "app_id_enc, verify_token_enc, phone_number_lookup, token_last4, display_phone_number, "
    "verified_name, quality_rating, status, status_reason, verified_at, created_at, updated_at, media_fetch, "
    "throughput_level, window_policy, messaging_limit_tier"};

instance read_row(statement& s) {
  instance i;
  i.id = s.text(cols["id"]);
  i.user_id = s.text(cols["user_id"]);
  i.name = s.text(cols["name"]);
  // The sealed credentials stand in the list in credential_fields' order, from the first one on.
  constexpr int first_credential = cols["phone_number_id_enc"];
  for (std::size_t k = 0; k < credential_count; ++k) i.blobs[k] = s.blob(first_credential + static_cast<int>(k));
  i.phone_number_lookup = s.text(cols["phone_number_lookup"]);
  i.token_last4 = s.text(cols["token_last4"]);
  i.display_phone_number = s.text(cols["display_phone_number"]);
  i.verified_name = s.text(cols["verified_name"]);
  i.quality_rating = s.text(cols["quality_rating"]);
  i.status = s.text(cols["status"]);
  i.status_reason = s.text(cols["status_reason"]);
  if (!s.is_null(cols["verified_at"])) i.verified_at = s.int64(cols["verified_at"]);
  i.created_at = s.int64(cols["created_at"]);
  i.updated_at = s.int64(cols["updated_at"]);
  i.media_fetch = s.int64(cols["media_fetch"]) != 0;
  i.throughput_level = s.text(cols["throughput_level"]);
  i.window_policy = s.text(cols["window_policy"]);
  i.messaging_limit_tier = s.text(cols["messaging_limit_tier"]);
  return i;
}

core::error_code run_changing(connection& c, statement& s) {
  if (auto ec = s.run()) return ec;
  return c.changes() == 0 ? make_error_code(error::not_found) : core::error_code{};
}

}  // namespace

core::error_code insert(connection& c, const instance& i) {
  mark_instance(c, i.id);
  ENF_PREPARE(s,
              "INSERT INTO instances (id, user_id, name, phone_number_id_enc, waba_id_enc, "
              "access_token_enc, app_secret_enc, app_id_enc, verify_token_enc, "
              "phone_number_lookup, token_last4, display_phone_number, verified_name, "
              "quality_rating, status, status_reason, verified_at, created_at, updated_at, media_fetch, "
              "throughput_level, window_policy, messaging_limit_tier) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
              "?17, ?18, ?19, ?20, ?21, ?22, ?23)");
  s->bind(1, i.id).bind(2, i.user_id).bind(3, i.name);
  for (std::size_t k = 0; k < credential_count; ++k) s->bind_blob(4 + static_cast<int>(k), i.blobs[k]);
  s->bind(10, i.phone_number_lookup).bind(11, i.token_last4).bind(12, i.display_phone_number);
  s->bind(13, i.verified_name).bind(14, i.quality_rating).bind(15, i.status).bind(16, i.status_reason);
  s->bind(17, i.verified_at).bind(18, i.created_at).bind(19, i.updated_at);
  s->bind(20, static_cast<std::int64_t>(i.media_fetch)).bind(21, i.throughput_level);
  s->bind(22, i.window_policy).bind(23, i.messaging_limit_tier);
  return s->run();
}

core::error_code update(connection& c, const instance& i) {
  mark_instance(c, i.id);
  ENF_PREPARE(s,
              "UPDATE instances SET name = ?3, phone_number_id_enc = ?4, waba_id_enc = ?5, "
              "access_token_enc = ?6, app_secret_enc = ?7, app_id_enc = ?8, verify_token_enc = ?9, "
              "phone_number_lookup = ?10, token_last4 = ?11, display_phone_number = ?12, "
              "verified_name = ?13, quality_rating = ?14, status = ?15, status_reason = ?16, "
              "verified_at = ?17, updated_at = ?18, media_fetch = ?19, throughput_level = ?20, "
              "window_policy = ?21, messaging_limit_tier = ?22 "
              "WHERE id = ?1 AND user_id = ?2");
  s->bind(1, i.id).bind(2, i.user_id).bind(3, i.name);
  for (std::size_t k = 0; k < credential_count; ++k) s->bind_blob(4 + static_cast<int>(k), i.blobs[k]);
  s->bind(10, i.phone_number_lookup).bind(11, i.token_last4).bind(12, i.display_phone_number);
  s->bind(13, i.verified_name).bind(14, i.quality_rating).bind(15, i.status).bind(16, i.status_reason);
  s->bind(17, i.verified_at).bind(18, i.updated_at).bind(19, static_cast<std::int64_t>(i.media_fetch));
  s->bind(20, i.throughput_level).bind(21, i.window_policy).bind(22, i.messaging_limit_tier);
  return run_changing(c, *s);
}

core::error_code get(connection& c, std::string_view user_id, std::string_view id, instance& out) {
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() + " FROM instances WHERE id = ?1 AND user_id = ?2");
  s->bind(1, id).bind(2, user_id);
  return read_one(*s, read_row, out);
}

core::error_code get_by_phone(connection& c, std::string_view user_id, std::string_view phone_lookup, instance& out) {
  ENF_PREPARE(s,
              std::string("SELECT ") + cols.sql() + " FROM instances WHERE phone_number_lookup = ?1 AND user_id = ?2");
  s->bind(1, phone_lookup).bind(2, user_id);
  return read_one(*s, read_row, out);
}

core::error_code get_any(connection& c, std::string_view id, instance& out) {
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() + " FROM instances WHERE id = ?1");
  s->bind(1, id);
  return read_one(*s, read_row, out);
}

core::error_code list(connection& c, std::string_view user_id, std::string_view after, std::size_t limit,
                      std::vector<instance>& out) {
  ENF_PREPARE(
      s, std::string("SELECT ") + cols.sql() + " FROM instances WHERE user_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
  s->bind(1, user_id).bind(2, after).bind(3, static_cast<std::int64_t>(limit));
  return read_all(*s, read_row, out);
}

core::error_code remove(connection& c, std::string_view user_id, std::string_view id) {
  mark_instance(c, id);
  mark(c, change::hook_endpoints);  // by cascade, with its media files (to the trash)
  mark(c, change::media_jobs);
  ENF_PREPARE(s, "DELETE FROM instances WHERE id = ?1 AND user_id = ?2");
  s->bind(1, id).bind(2, user_id);
  return run_changing(c, *s);
}

core::error_code set_status(connection& c, std::string_view id, std::string_view status, std::string_view reason,
                            std::int64_t now) {
  mark_instance(c, id);
  ENF_PREPARE(s, "UPDATE instances SET status = ?2, status_reason = ?3, updated_at = ?4 WHERE id = ?1");
  s->bind(1, id).bind(2, status).bind(3, reason).bind(4, now);
  return run_changing(c, *s);
}

core::error_code set_throughput(connection& c, std::string_view id, std::string_view level, std::int64_t now,
                                bool& changed) {
  ENF_PREPARE(s,
              "UPDATE instances SET throughput_level = ?2, updated_at = ?3 WHERE id = ?1 AND throughput_level <> ?2");
  s->bind(1, id).bind(2, level).bind(3, now);
  if (auto ec = s->run()) return ec;
  changed = c.changes() > 0;
  if (changed) mark_instance(c, id);
  return {};
}

core::error_code set_messaging_limit(connection& c, std::string_view id, std::string_view tier, std::int64_t now,
                                     bool& changed) {
  ENF_PREPARE(s,
              "UPDATE instances SET messaging_limit_tier = ?2, updated_at = ?3 "
              "WHERE id = ?1 AND messaging_limit_tier <> ?2");
  s->bind(1, id).bind(2, tier).bind(3, now);
  if (auto ec = s->run()) return ec;
  changed = c.changes() > 0;
  if (changed) mark_instance(c, id);
  return {};
}

core::error_code scan(connection& c, std::string_view after, std::size_t limit, std::vector<instance>& out) {
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() + " FROM instances WHERE id > ?1 ORDER BY id LIMIT ?2");
  s->bind(1, after).bind(2, static_cast<std::int64_t>(limit));
  return read_all(*s, read_row, out);
}

core::error_code replace_blobs(connection& c, const instance& old, const instance& fresh, bool& swapped) {
  ENF_PREPARE(s,
              "UPDATE instances SET phone_number_id_enc = ?2, waba_id_enc = ?3, "
              "access_token_enc = ?4, app_secret_enc = ?5, app_id_enc = ?6, verify_token_enc = ?7 "
              "WHERE id = ?1 AND phone_number_id_enc = ?8 AND waba_id_enc = ?9 AND "
              "access_token_enc = ?10 AND app_secret_enc = ?11 AND app_id_enc = ?12 AND "
              "verify_token_enc = ?13");
  s->bind(1, fresh.id);
  for (std::size_t k = 0; k < credential_count; ++k) {
    s->bind_blob(2 + static_cast<int>(k), fresh.blobs[k]);
    s->bind_blob(8 + static_cast<int>(k), old.blobs[k]);
  }
  if (auto ec = s->run()) return ec;
  swapped = c.changes() > 0;
  if (swapped) mark_instance(c, fresh.id);
  return {};
}

}  // namespace enfinito::store::instances
