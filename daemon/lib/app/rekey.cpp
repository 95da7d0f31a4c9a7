// app::rekey: re-encrypts every sealed secret (instance credentials, customer webhook signing
// secrets, pending mail bodies) under the vault's active key, online.
//
// Runs in `enfinitoctl` against the live database file (the daemon keeps running): short
// write transactions of one batch each, and a compare-and-swap per row (store::instances::
// replace_blobs) so that a row the daemon changed meanwhile is left alone and simply seen
// again on the next pass. Passes repeat until one finds nothing left to re-key.
#include <enfinito/app/rekey.hpp>

#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/hooks.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/second_factor.hpp>

#include <thread>

namespace enfinito::app {
namespace acc = store::accounts;

namespace {

// Passes of `one_pass` (which adds to `report` and says how many stale rows it found) until one
// finds none, at most `max_passes`.
template <class Pass>
core::result<rekey_report> run_passes(int max_passes, std::string* why, Pass one_pass) {
  rekey_report report;
  for (int pass = 0; pass < max_passes; ++pass) {
    std::size_t found = 0;
    if (auto ec = one_pass(report, found)) return ec;
    ++report.passes;
    if (found == 0) return report;
    // A daemon that sealed a row with the previous key just before it noticed the new key
    // file: give it a moment, then look again.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (why) *why = "rows are still being re-encrypted under an older key; run `enfinitoctl rekey` again";
  return make_error_code(std::errc::resource_unavailable_try_again);
}

// BEGIN IMMEDIATE; fn(); COMMIT, or ROLLBACK with `why` filled when anything fails.
template <class Fn>
core::error_code in_transaction(store::connection& c, std::string* why, Fn fn) {
  if (auto ec = c.exec("BEGIN IMMEDIATE")) {
    if (why) *why = "cannot start a transaction: " + c.last_message();
    return ec;
  }
  if (auto ec = fn()) {
    c.exec("ROLLBACK");
    return ec;
  }
  if (auto ec = c.exec("COMMIT")) {
    if (why) *why = "commit failed: " + c.last_message();
    c.exec("ROLLBACK");
    return ec;
  }
  return {};
}

}  // namespace

core::result<rekey_report> rekey_instances(store::connection& c, const crypto::vault& v, std::size_t batch,
                                           int max_passes, std::string* why) {
  return run_passes(max_passes, why, [&](rekey_report& report, std::size_t& found) -> core::error_code {
    std::string after;
    for (;;) {
      std::vector<store::instances::instance> rows;
      if (auto ec = store::instances::scan(c, after, batch, rows)) {
        if (why) *why = "cannot read instances: " + c.last_message();
        return ec;
      }
      if (rows.empty()) return {};
      after = rows.back().id;
      auto ec = in_transaction(c, why, [&]() -> core::error_code {
        for (const auto& row : rows) {
          ++report.scanned;
          bool stale = false;
          for (const auto& b : row.blobs) stale = stale || v.needs_rekey(b);
          if (!stale) continue;
          ++found;
          store::instances::instance fresh = row;
          std::string field;
          if (auto e = crypto::reseal_instance_fields(v, row, fresh, field)) {
            if (why) *why = "instance " + row.id + " field " + field + ": " + e.message();
            return e;
          }
          bool swapped = false;
          if (auto e = store::instances::replace_blobs(c, row, fresh, swapped)) {
            if (why) *why = "cannot update instance " + row.id + ": " + c.last_message();
            return e;
          }
          if (swapped) ++report.rekeyed;
        }
        return {};
      });
      if (ec) return ec;
    }
  });
}

namespace {

std::string id_text(const std::string& id) { return id; }
std::string id_text(std::int64_t id) { return std::to_string(id); }

// What a table with one sealed blob per row is called in messages.
struct blob_table_words {
  const char* rows;  // "webhook endpoints": cannot read <rows>
  const char* row;   // "webhook endpoint": <row> <id> ...
  const char* blob;  // "signing secret": <row> <id> <blob>: why
};

// Re-seals the one blob of every row whose key is not the active one: batches of `scan(c,
// after, batch, rows)` (rows with `id` and `blob`), each in a transaction, each row by the
// compare-and-swap `replace(c, id, old_blob, new_blob, swapped)`.
template <class Row, class Cursor, class Scan, class Replace>
core::result<rekey_report> rekey_blob_rows(store::connection& c, const crypto::vault& v, std::size_t batch,
                                           int max_passes, std::string* why, const char* table, const char* field,
                                           blob_table_words words, Scan scan, Replace replace) {
  return run_passes(max_passes, why, [&](rekey_report& report, std::size_t& found) -> core::error_code {
    Cursor after{};
    for (;;) {
      std::vector<Row> rows;
      if (auto ec = scan(c, after, batch, rows)) {
        if (why) *why = std::string("cannot read ") + words.rows + ": " + c.last_message();
        return ec;
      }
      if (rows.empty()) return {};
      after = rows.back().id;
      auto ec = in_transaction(c, why, [&]() -> core::error_code {
        for (const auto& row : rows) {
          ++report.scanned;
          if (!v.needs_rekey(row.blob)) continue;
          ++found;
          const std::string id = id_text(row.id);
          const crypto::field_ref where{table, id, field};
          auto plain = v.decrypt(row.blob, where);
          if (!plain) {
            if (why) *why = std::string(words.row) + " " + id + " " + words.blob + ": " + plain.error().message();
            return plain.error();
          }
          bool swapped = false;
          if (auto e = replace(c, row.id, row.blob, v.encrypt(plain->reveal(), where), swapped)) {
            if (why) *why = std::string("cannot update ") + words.row + " " + id + ": " + c.last_message();
            return e;
          }
          if (swapped) ++report.rekeyed;
        }
        return {};
      });
      if (ec) return ec;
    }
  });
}

}  // namespace

core::result<rekey_report> rekey_webhook_secrets(store::connection& c, const crypto::vault& v, std::size_t batch,
                                                 int max_passes, std::string* why) {
  return rekey_blob_rows<store::hooks::sealed_secret, std::string>(
      c, v, batch, max_passes, why, store::hooks::table, store::hooks::secret_field,
      {"webhook endpoints", "webhook endpoint", "signing secret"}, store::hooks::scan_secrets,
      store::hooks::replace_secret);
}

core::result<rekey_report> rekey_mail_bodies(store::connection& c, const crypto::vault& v, std::size_t batch,
                                             int max_passes, std::string* why) {
  return rekey_blob_rows<acc::sealed_mail, std::int64_t>(c, v, batch, max_passes, why, acc::mail_table,
                                                         acc::mail_body_field, {"the mail outbox", "mail", "body"},
                                                         acc::scan_sealed_mail, acc::replace_sealed_mail);
}

core::result<rekey_report> rekey_totp_secrets(store::connection& c, const crypto::vault& v, std::size_t batch,
                                              int max_passes, std::string* why) {
  return rekey_blob_rows<store::second_factor::sealed_secret, std::string>(
      c, v, batch, max_passes, why, store::second_factor::table, store::second_factor::secret_field,
      {"second factors", "second factor of user", "secret"}, store::second_factor::scan_secrets,
      store::second_factor::replace_secret);
}

core::result<std::size_t> count_blobs_with_key(store::connection& c, std::uint32_t key_id) {
  std::size_t n = 0;
  std::string after;
  for (;;) {
    std::vector<store::instances::instance> rows;
    if (auto ec = store::instances::scan(c, after, 500, rows)) return ec;
    if (rows.empty()) break;
    after = rows.back().id;
    for (const auto& row : rows)
      for (const auto& b : row.blobs)
        if (crypto::vault::blob_key_id(b) == key_id) ++n;
  }
  after.clear();
  for (;;) {
    std::vector<store::hooks::sealed_secret> rows;
    if (auto ec = store::hooks::scan_secrets(c, after, 500, rows)) return ec;
    if (rows.empty()) break;
    after = rows.back().id;
    for (const auto& row : rows)
      if (crypto::vault::blob_key_id(row.blob) == key_id) ++n;
  }
  after.clear();
  for (;;) {
    std::vector<store::second_factor::sealed_secret> rows;
    if (auto ec = store::second_factor::scan_secrets(c, after, 500, rows)) return ec;
    if (rows.empty()) break;
    after = rows.back().id;
    for (const auto& row : rows)
      if (crypto::vault::blob_key_id(row.blob) == key_id) ++n;
  }
  std::int64_t mail_after = 0;
  for (;;) {
    std::vector<acc::sealed_mail> rows;
    if (auto ec = acc::scan_sealed_mail(c, mail_after, 500, rows)) return ec;
    if (rows.empty()) return n;
    mail_after = rows.back().id;
    for (const auto& row : rows)
      if (crypto::vault::blob_key_id(row.blob) == key_id) ++n;
  }
}

}  // namespace enfinito::app
