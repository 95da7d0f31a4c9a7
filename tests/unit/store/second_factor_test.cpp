// store::second_factor: an enrolment is replaced only while unconfirmed, a time step is used
// once, a recovery code is taken once; and key rotation re-seals the TOTP secrets, which
// retire-key counts until then (app/rekey.hpp).
#include <enfinito/app/rekey.hpp>
#include <enfinito/crypto/keyring.hpp>
#include <enfinito/crypto/vault.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/second_factor.hpp>

#include "support/temp_store.hpp"
#include "support/vault.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>

using namespace enfinito;

namespace {

using test::make_vault;

crypto::field_ref where(const std::string& user_id) {
  return {store::second_factor::table, user_id, store::second_factor::secret_field};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_second_factor)

BOOST_AUTO_TEST_CASE(enrolment_steps_and_recovery_codes_are_used_once) {
  test::temp_store t;
  t.add_users();
  auto ec = t.db->write_sync([](store::connection& c) -> core::error_code {
    if (auto e = store::second_factor::begin(c, "usr_a", "blob1", 100)) return e;
    if (auto e = store::second_factor::begin(c, "usr_a", "blob2", 101)) return e;  // unconfirmed: replaced
    if (auto e = store::second_factor::confirm(c, "usr_a", 7, 102)) return e;
    if (store::second_factor::begin(c, "usr_a", "blob3", 103) != store::error::constraint)
      return store::make_error_code(store::error::misuse);
    if (store::second_factor::use_step(c, "usr_a", 7) != store::error::constraint)
      return store::make_error_code(store::error::misuse);
    if (auto e = store::second_factor::use_step(c, "usr_a", 8)) return e;
    if (auto e = store::second_factor::set_recovery_codes(c, "usr_a", {"h1", "h2"})) return e;
    bool taken = false;
    if (auto e = store::second_factor::take_recovery_code(c, "usr_a", "h1", taken); e || !taken)
      return store::make_error_code(store::error::misuse);
    if (auto e = store::second_factor::take_recovery_code(c, "usr_a", "h1", taken); e || taken)
      return store::make_error_code(store::error::misuse);
    if (auto e = store::second_factor::take_recovery_code(c, "usr_b", "h2", taken); e || taken)
      return store::make_error_code(store::error::misuse);
    return {};
  });
  BOOST_REQUIRE_MESSAGE(!ec, ec.message());
  BOOST_TEST(t.text("SELECT secret_blob FROM user_totp WHERE user_id = 'usr_a'") == "blob2");
  BOOST_TEST(t.scalar("SELECT last_step FROM user_totp WHERE user_id = 'usr_a'") == 8);
  BOOST_TEST(t.scalar("SELECT COUNT(*) FROM recovery_codes") == 1);
  // A deleted user takes the factor and its codes along.
  t.exec("DELETE FROM users WHERE id = 'usr_a'");
  BOOST_TEST(t.scalar("SELECT COUNT(*) FROM user_totp") == 0);
  BOOST_TEST(t.scalar("SELECT COUNT(*) FROM recovery_codes") == 0);
}

BOOST_AUTO_TEST_CASE(rotate_key_reseals_totp_secrets) {
  test::temp_store t;
  t.add_users();
  const auto old_vault = make_vault(t.dir);
  for (const std::string id : {"usr_a", "usr_b"}) {
    const auto blob = old_vault.encrypt("twenty bytes secret!", where(id));
    BOOST_REQUIRE(!t.db->write_sync([&](store::connection& c) { return store::second_factor::begin(c, id, blob, 1); }));
  }
  t.db->stop();
  BOOST_REQUIRE(crypto::add_key(t.dir / "vault.keys").has_value());
  const auto new_vault = make_vault(t.dir);
  auto c = store::connection::open(t.path(), false);
  BOOST_REQUIRE(c);
  auto before = app::count_blobs_with_key(**c, old_vault.active_key_id());
  BOOST_REQUIRE(before.has_value());
  BOOST_TEST(*before == 2u);
  std::string why;
  auto report = app::rekey_totp_secrets(**c, new_vault, 1, 5, &why);
  BOOST_REQUIRE_MESSAGE(report.has_value(), why);
  BOOST_TEST(report->rekeyed == 2u);
  auto after = app::count_blobs_with_key(**c, old_vault.active_key_id());
  BOOST_REQUIRE(after.has_value());
  BOOST_TEST(*after == 0u);
  std::vector<store::second_factor::sealed_secret> rows;
  BOOST_REQUIRE(!store::second_factor::scan_secrets(**c, "", 10, rows));
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  for (const auto& r : rows) {
    BOOST_TEST(!new_vault.needs_rekey(r.blob));
    auto plain = new_vault.decrypt(r.blob, where(r.id));
    BOOST_REQUIRE(plain.has_value());
    BOOST_TEST(plain->reveal() == "twenty bytes secret!");
  }
}

BOOST_AUTO_TEST_SUITE_END()
