// mail: notification bodies carry only the notification (P7), header injection is refused at
// enqueue time, the rendered message is well-formed, and a body is on disk only sealed (issue
// 23): neither the database file nor its WAL ever holds a reset token; rotate-key re-seals.
#include <enfinito/app/rekey.hpp>
#include <enfinito/crypto/keyring.hpp>
#include <enfinito/crypto/vault.hpp>
#include <enfinito/mail/outbox.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/store.hpp>

#include "support/temp_dir.hpp"
#include "support/vault.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace enfinito;

namespace {

namespace acc = store::accounts;

using test::make_vault;

// Every byte of the database's files (main file, WAL, shared memory) as they are now.
std::string database_bytes(const std::filesystem::path& db) {
  std::string all;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::ifstream in(db.string() + suffix, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  return all;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mail_outbox)

BOOST_AUTO_TEST_CASE(bodies_hold_only_the_notification_and_links_use_the_public_url) {
  config::settings cfg;
  cfg.server.public_url = "https://gw.example.com";
  auto a = mail::approved("usr_x", "ada@example.com", cfg);
  BOOST_TEST(a.body.find("https://gw.example.com/") != std::string::npos);
  BOOST_TEST(a.body.find("usr_x") == std::string::npos);
  BOOST_TEST(a.body.find("ada") == std::string::npos);
  auto r = mail::password_reset("usr_x", "ada@example.com", "TOKEN123", cfg);
  BOOST_TEST(r.body.find("https://gw.example.com/reset-password#token=TOKEN123") != std::string::npos);
  BOOST_TEST(r.body.find("30 minutes") != std::string::npos);
  BOOST_TEST(r.body.find("ada") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(line_breaks_in_headers_are_refused_at_enqueue) {
  test::temp_dir dir;
  const auto vault = make_vault(dir);
  std::string why;
  auto db = store::store::open({(dir / "t.db").string()}, &why);
  BOOST_REQUIRE_MESSAGE(db, why);
  for (auto [to, subject] : {std::pair<std::string, std::string>{"a@example.com\r\nBcc: evil@x.org", "s"},
                             {"a@example.com", "s\nBcc: evil@x.org"},
                             {"", "s"}}) {
    auto ec = (*db)->write_sync([&](store::connection& c) { return mail::enqueue(c, {"", to, subject, "b"}, vault); });
    BOOST_TEST(ec.failed());
  }
  BOOST_TEST(!(*db)->write_sync([&vault](store::connection& c) {
    return mail::enqueue(c, {"", "a@example.com", "s", "line one\nline two"}, vault);
  }));
  std::int64_t n = 0;
  (*db)->read_sync([&](store::connection& c) {
    n = *store::accounts::mail_pending(c);
    return core::error_code{};
  });
  BOOST_TEST(n == 1);
}

BOOST_AUTO_TEST_CASE(rendered_mail_has_crlf_headers_and_a_plain_text_body) {
  config::settings cfg;
  cfg.smtp.from = "noreply@gw.example.com";
  store::accounts::mail m{1, "", "ada@example.com", "Hello", "one\ntwo\n", 0, 0, {}};
  auto text = mail::render(cfg, m);
  BOOST_TEST(text.find("From: noreply@gw.example.com\r\n") != std::string::npos);
  BOOST_TEST(text.find("To: ada@example.com\r\n") != std::string::npos);
  BOOST_TEST(text.find("Subject: Hello\r\n") != std::string::npos);
  BOOST_TEST(text.find("Content-Type: text/plain; charset=utf-8\r\n") != std::string::npos);
  BOOST_TEST(text.find("\r\n\r\none\r\ntwo\r\n") != std::string::npos);
  BOOST_TEST(text.find("@gw.example.com>\r\n") != std::string::npos);  // Message-ID
}

// Issue 23 finding 4: the reset link is sealed for its row before it reaches SQLite, so no page
// of the database file or its WAL holds the token at any moment: not while it waits, not after
// the sender deleted the row (the inserted page stays in the WAL until a checkpoint).
BOOST_AUTO_TEST_CASE(a_reset_token_is_never_on_disk_in_the_clear) {
  test::temp_dir dir;
  const auto vault = make_vault(dir);
  const auto path = dir / "t.db";
  std::string why;
  auto db = store::store::open({path.string()}, &why);
  BOOST_REQUIRE_MESSAGE(db, why);
  config::settings cfg;
  cfg.server.public_url = "https://gw.example.com";
  const std::string token = "CanaryResetTokenQ9Wv3JkLmNoPqRsTuVwXyZ01234";
  const auto msg = mail::password_reset("", "ada@example.com", token, cfg);
  BOOST_REQUIRE(!(*db)->write_sync([&](store::connection& c) { return mail::enqueue(c, msg, vault); }));

  std::vector<acc::mail> due;
  BOOST_REQUIRE(!(*db)->read_sync([&](store::connection& c) -> core::error_code {
    auto r = acc::due_mail(c, acc::now_s() + 1, 10);
    if (!r) return r.error();
    due = std::move(*r);
    return {};
  }));
  BOOST_REQUIRE_EQUAL(due.size(), 1u);
  BOOST_TEST(due[0].body.empty());
  BOOST_TEST(due[0].body_sealed.find(token) == std::string::npos);
  BOOST_TEST(database_bytes(path).find(token) == std::string::npos, "the waiting mail's token is on disk");

  // The blob opens for its own row only.
  const std::string id = std::to_string(due[0].id);
  auto opened = vault.decrypt(due[0].body_sealed, {acc::mail_table, id, acc::mail_body_field});
  BOOST_REQUIRE(opened.has_value());
  BOOST_TEST(opened->reveal() == msg.body);
  const std::string other = std::to_string(due[0].id + 1);
  BOOST_TEST(!vault.decrypt(due[0].body_sealed, {acc::mail_table, other, acc::mail_body_field}).has_value());

  // Sent: the row goes; secure_delete zeroes it. Still nowhere in the files.
  BOOST_REQUIRE(!(*db)->write_sync([&](store::connection& c) { return acc::mail_sent(c, due[0].id); }));
  BOOST_TEST(database_bytes(path).find(token) == std::string::npos);
  BOOST_TEST(database_bytes(path).find("reset-password") == std::string::npos);
  (*db)->stop();
  BOOST_TEST(database_bytes(path).find(token) == std::string::npos);
}

// Rows written before migration 12: an unsent reset mail (its token in the clear) is dropped;
// a notice without a secret stays and is sent from its plaintext body.
BOOST_AUTO_TEST_CASE(migration_12_drops_unsent_plaintext_reset_mails) {
  test::temp_dir dir;
  const auto path = (dir / "m.db").string();
  auto c = store::connection::open(path, false);
  BOOST_REQUIRE(c);
  const std::string schema(store::embedded_schema());
  const auto cut = schema.find("-- migration: 12");
  BOOST_REQUIRE(cut != std::string::npos);
  std::string why;
  BOOST_REQUIRE_MESSAGE(!store::migrate(**c, schema.substr(0, cut), &why), why);
  BOOST_REQUIRE(!(*c)->exec(
      "INSERT INTO mail_outbox(recipient, subject, body, next_attempt_at, created_at) VALUES "
      "('a@example.com', 'Reset your Enfinito password', 'open https://gw.example.com/reset-password#token=OLD', 0, 0),"
      "('b@example.com', 'Your Enfinito account is approved', 'approved: https://gw.example.com/', 0, 0)"));
  BOOST_REQUIRE_MESSAGE(!store::migrate(**c, schema, &why), why);
  auto left = acc::due_mail(**c, 1, 10);
  BOOST_REQUIRE(left.has_value());
  BOOST_REQUIRE_EQUAL(left->size(), 1u);
  BOOST_TEST((*left)[0].recipient == "b@example.com");
  BOOST_TEST((*left)[0].body == "approved: https://gw.example.com/");
  BOOST_TEST((*left)[0].body_sealed.empty());
}

// rotate-key re-seals pending bodies under the new key (still bound to their rows), and
// retire-key counts them: the old key is in use until they are re-sealed.
BOOST_AUTO_TEST_CASE(rotate_key_reseals_pending_mail) {
  test::temp_dir dir;
  const auto old_vault = make_vault(dir);
  const auto path = (dir / "r.db").string();
  std::string why;
  {
    auto db = store::store::open({path}, &why);
    BOOST_REQUIRE_MESSAGE(db, why);
    config::settings cfg;
    for (int i = 0; i < 3; ++i)
      BOOST_REQUIRE(!(*db)->write_sync([&](store::connection& c) {
        return mail::enqueue(c, mail::password_reset("", "ada@example.com", "TOKEN" + std::to_string(i), cfg),
                             old_vault);
      }));
    (*db)->stop();
  }
  auto added = crypto::add_key(dir / "vault.keys");
  BOOST_REQUIRE(added.has_value());
  const auto new_vault = make_vault(dir);
  BOOST_REQUIRE(new_vault.active_key_id() != old_vault.active_key_id());
  auto c = store::connection::open(path, false);
  BOOST_REQUIRE(c);
  auto before = app::count_blobs_with_key(**c, old_vault.active_key_id());
  BOOST_REQUIRE(before.has_value());
  BOOST_TEST(*before == 3u);
  auto report = app::rekey_mail_bodies(**c, new_vault, 2, 5, &why);
  BOOST_REQUIRE_MESSAGE(report.has_value(), why);
  BOOST_TEST(report->rekeyed == 3u);
  auto after = app::count_blobs_with_key(**c, old_vault.active_key_id());
  BOOST_REQUIRE(after.has_value());
  BOOST_TEST(*after == 0u);
  std::vector<acc::sealed_mail> rows;
  BOOST_REQUIRE(!acc::scan_sealed_mail(**c, 0, 10, rows));
  BOOST_REQUIRE_EQUAL(rows.size(), 3u);
  for (const auto& r : rows) {
    BOOST_TEST(!new_vault.needs_rekey(r.blob));
    const std::string id = std::to_string(r.id);
    auto plain = new_vault.decrypt(r.blob, {acc::mail_table, id, acc::mail_body_field});
    BOOST_REQUIRE(plain.has_value());
    BOOST_TEST(plain->reveal().find("reset-password#token=TOKEN") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
