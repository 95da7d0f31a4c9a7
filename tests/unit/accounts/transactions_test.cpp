// accounts' transactions on a real store, without sockets: the administrator's transitions
// (status, mail, audit), the deletion cascade shared by the self-service, the admin route and
// enfinitoctl, and the data-rights links' single use and expiry on a manual clock.
#include <enfinito/accounts/erasure.hpp>
#include <enfinito/accounts/signup.hpp>
#include <enfinito/crypto/keyring.hpp>
#include <enfinito/crypto/vault.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/data_links.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/store.hpp>

#include "support/manual_clock.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <memory>

using namespace enfinito;
using namespace std::chrono_literals;

namespace {

struct store_fixture {
  test::temp_dir dir;
  std::unique_ptr<store::store> db;
  std::unique_ptr<crypto::vault> vault;
  config::settings cfg;

  store_fixture() {
    std::string why;
    auto opened = store::store::open({(dir / "t.db").string()}, &why);
    BOOST_TEST_REQUIRE(opened.has_value(), why);
    db = std::move(*opened);
    const auto key = dir / "vault.keys";
    BOOST_TEST_REQUIRE(crypto::create_keyring_file(key).has_value());
    auto ring = crypto::load_keyring(key);
    BOOST_TEST_REQUIRE(ring.has_value());
    vault = std::make_unique<crypto::vault>(std::move(*ring));
  }
  ~store_fixture() { db->stop(); }

  std::string add_user(const std::string& email, const std::string& status) {
    store::accounts::user u;
    u.id = "usr_" + email.substr(0, email.find('@'));
    u.email = email;
    u.name = "U";
    u.status = status;
    u.created_at = 1;
    BOOST_TEST_REQUIRE(!db->write_sync([&](store::connection& c) { return store::accounts::insert_user(c, u); }));
    return u.id;
  }

  std::int64_t count(const std::string& sql) { return test::db_scalar(*db, sql); }

  accounts::user_action_result act(const std::string& id, const std::string& action) {
    auto out = accounts::user_action_result::done;
    BOOST_TEST_REQUIRE(!db->write_sync([&](store::connection& c) {
      return accounts::apply_user_action(c, cfg, *vault, id, action, "usr_admin", "127.0.0.1", out);
    }));
    return out;
  }
};

}  // namespace

BOOST_TEST_DONT_PRINT_LOG_VALUE(enfinito::accounts::user_action_result)

BOOST_AUTO_TEST_SUITE(accounts_transactions)

BOOST_FIXTURE_TEST_CASE(approval_mails_and_audits_and_only_the_table_moves_a_user, store_fixture) {
  add_user("admin@example.org", "active");  // the actor (usr_admin)
  const auto id = add_user("ada@example.org", "pending");
  BOOST_TEST(act(id, "suspend") == accounts::user_action_result::invalid_transition);
  BOOST_TEST(act("usr_nobody", "approve") == accounts::user_action_result::not_found);
  BOOST_TEST(act(id, "approve") == accounts::user_action_result::done);
  BOOST_TEST(count("SELECT COUNT(*) FROM users WHERE id = '" + id + "' AND status = 'active'") == 1);
  BOOST_TEST(count("SELECT COUNT(*) FROM mail_outbox WHERE user_id = '" + id + "'") == 1);
  BOOST_TEST(count("SELECT COUNT(*) FROM audit_log WHERE subject_id = '" + id +
                   "' AND actor_id = 'usr_admin' AND action = 'user_approved'") == 1);
  BOOST_TEST(act(id, "approve") == accounts::user_action_result::invalid_transition);
  BOOST_TEST(act(id, "suspend") == accounts::user_action_result::done);
  BOOST_TEST(act(id, "reinstate") == accounts::user_action_result::done);
  BOOST_TEST(count("SELECT COUNT(*) FROM mail_outbox WHERE user_id = '" + id + "'") == 1);  // one mail: approval
}

BOOST_FIXTURE_TEST_CASE(erasure_cascades_and_the_audit_names_only_the_actor, store_fixture) {
  add_user("admin@example.org", "active");  // the actor (usr_admin)
  const auto id = add_user("gone@example.org", "rejected");
  const auto other = add_user("stays@example.org", "active");
  BOOST_TEST_REQUIRE(!db->write_sync([&](store::connection& c) -> core::error_code {
    if (auto e = store::data_links::insert(c, "h1", id, "delete", 100, 1)) return e;
    if (auto e = store::data_links::insert(c, "h2", other, "export", 100, 1)) return e;
    return store::accounts::audit(c, id, id, "signup", "", "127.0.0.1");
  }));
  BOOST_TEST_REQUIRE(!db->write_sync(
      [&](store::connection& c) { return accounts::erase_user(c, id, "usr_admin", "by=administrator", "10.0.0.1"); }));
  BOOST_TEST(count("SELECT COUNT(*) FROM users WHERE id = '" + id + "'") == 0);
  BOOST_TEST(count("SELECT COUNT(*) FROM data_links WHERE user_id = '" + id + "'") == 0);
  BOOST_TEST(count("SELECT COUNT(*) FROM audit_log WHERE subject_id = '" + id + "' OR actor_id = '" + id + "'") == 0);
  BOOST_TEST(count("SELECT COUNT(*) FROM audit_log WHERE action = 'account_deleted' AND subject_id IS NULL AND "
                   "actor_id = 'usr_admin' AND detail = 'by=administrator'") == 1);
  BOOST_TEST(count("SELECT COUNT(*) FROM data_links WHERE user_id = '" + other + "'") == 1);  // others untouched
  auto again = db->write_sync([&](store::connection& c) { return accounts::erase_user(c, id, "", "", ""); });
  BOOST_TEST((again == store::error::not_found));
}

BOOST_FIXTURE_TEST_CASE(a_data_link_does_its_one_action_once_before_it_expires, store_fixture) {
  test::manual_clock clock;
  auto now_s = [&] { return clock.now() / 1000; };
  const auto id = add_user("links@example.org", "suspended");
  const auto issued = now_s();
  auto insert = [&](const std::string& hash, const std::string& action) {
    BOOST_TEST_REQUIRE(!db->write_sync(
        [&](store::connection& c) { return store::data_links::insert(c, hash, id, action, issued + 1800, now_s()); }));
  };
  auto take = [&](const std::string& hash, const std::string& action) {
    std::optional<std::string> who;
    BOOST_TEST_REQUIRE(!db->write_sync([&](store::connection& c) -> core::error_code {
      auto r = store::data_links::take(c, hash, action, now_s());
      if (!r) return r.error();
      who = *r;
      return {};
    }));
    return who;
  };
  insert("export_hash", "export");
  insert("delete_hash", "delete");
  BOOST_TEST(!take("export_hash", "delete"));  // made for another action: refused, and kept
  clock.advance(10s);
  BOOST_TEST(take("export_hash", "export").value_or("") == id);
  BOOST_TEST(!take("export_hash", "export"));  // once
  clock.advance(1790s);                        // now == expiry: no longer live
  BOOST_TEST(!take("delete_hash", "delete"));
  insert("later_hash", "export");  // a new link sweeps the expired ones
  BOOST_TEST(count("SELECT COUNT(*) FROM data_links WHERE token_hash = 'delete_hash'") == 0);
}

BOOST_AUTO_TEST_CASE(data_actions_parse_only_their_two_names) {
  BOOST_TEST((accounts::parse_action("export") == accounts::data_action::export_data));
  BOOST_TEST((accounts::parse_action("delete") == accounts::data_action::delete_account));
  BOOST_TEST(!accounts::parse_action("Export").has_value());
  BOOST_TEST(!accounts::parse_action("").has_value());
  BOOST_TEST(accounts::action_name(accounts::data_action::export_data) == "export");
  BOOST_TEST(accounts::action_name(accounts::data_action::delete_account) == "delete");
}

BOOST_AUTO_TEST_SUITE_END()
