// enfinitoctl create-admin, approve, delete-user and reset-second-factor: bootstrap the first
// administrator, approve sign-ups, delete an account (the self-delete cascade, audited), reset
// a lost second factor (a locked-out administrator's way back in).
#include <enfinito/app/accounts_ctl.hpp>
#include <enfinito/accounts/erasure.hpp>
#include <enfinito/accounts/policy.hpp>
#include <enfinito/accounts/second_factor.hpp>
#include <enfinito/accounts/signup.hpp>
#include <enfinito/auth/password.hpp>
#include <enfinito/crypto/keyring.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/crypto/vault.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/store.hpp>

#include <functional>
#include <optional>

namespace enfinito::app {

const char* const accounts_usage =
    "  create-admin --email E --name N   create an administrator (password on stdin)\n"
    "  approve EMAIL         approve a pending sign-up (mails the user)\n"
    "  delete-user EMAIL     delete an account and all its data (cannot be undone)\n"
    "  reset-second-factor EMAIL   remove a lost second factor (signs the user out, mails them)\n";

namespace {

// Runs `fn` in one write transaction: through the store when the daemon is not running (which
// also creates the schema), else on a connection of our own next to the daemon.
core::error_code with_write(const config::settings& s, const std::function<core::error_code(store::connection&)>& fn,
                            std::string* why) {
  store::options so{s.store.path, true, 1, 16, s.store.busy_timeout};
  auto db = store::store::open(so, why);
  if (db) {
    auto ec = (*db)->write_sync(fn);
    (*db)->stop();
    return ec;
  }
  if (db.error() != store::error::locked_by_other_process) return db.error();
  why->clear();
  auto conn = store::connection::open(s.store.path, false, why);
  if (!conn) return conn.error();
  auto& c = **conn;
  if (auto ec = c.exec("PRAGMA busy_timeout = " + std::to_string(s.store.busy_timeout.count()) +
                       "; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; BEGIN IMMEDIATE"))
    return ec;
  auto ec = fn(c);
  if (ec) {
    c.exec("ROLLBACK");
    return ec;
  }
  return c.exec("COMMIT");
}

int create_admin(const config::settings& s, const std::vector<std::string>& args, std::FILE* in) {
  std::string email_arg, name;
  for (std::size_t i = 1; i + 1 < args.size(); i += 2) {
    if (args[i] == "--email")
      email_arg = args[i + 1];
    else if (args[i] == "--name")
      name = args[i + 1];
    else
      return 2;
  }
  if (args.size() % 2 == 0) return 2;
  auto email = accounts::normalize_email(email_arg);
  if (!email) {
    std::fprintf(stderr, "enfinitoctl: create-admin: --email is not a valid email address\n");
    return 2;
  }
  if (!accounts::name_ok(name)) {
    std::fprintf(stderr, "enfinitoctl: create-admin: --name must be 1 to 100 characters\n");
    return 2;
  }
  std::string password;
  for (int ch; (ch = std::fgetc(in)) != EOF && ch != '\n';) password += static_cast<char>(ch);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (!auth::password_length_ok(password)) {
    std::fprintf(stderr,
                 "enfinitoctl: create-admin: the password (first line of stdin) must be 8 to 1024 characters\n");
    return 2;
  }
  store::accounts::user u;
  u.id = "usr_" + crypto::random_token(16);
  u.email = *email;
  u.name = name;
  u.password_hash = auth::hash_password(password);
  u.role = "admin";
  u.status = "active";
  u.created_at = store::accounts::now_s();
  std::string why;
  auto ec = with_write(
      s,
      [&](store::connection& c) -> core::error_code {
        if (auto e = store::accounts::insert_user(c, u)) return e;
        return store::accounts::audit(c, u.id, "", "admin_created", "by=enfinitoctl", "local");
      },
      &why);
  if (ec == store::error::constraint) {
    std::fprintf(stderr, "enfinitoctl: create-admin: an account with this email exists\n");
    return 1;
  }
  if (ec) {
    std::fprintf(stderr, "enfinitoctl: create-admin: %s\n", why.empty() ? ec.message().c_str() : why.c_str());
    return 1;
  }
  std::printf("administrator %s created\n", u.id.c_str());
  return 0;
}

// The vault that seals mail in the outbox (every mail is sealed: the key is needed), or nullopt
// after saying why on stderr.
std::optional<crypto::vault> mail_vault(const config::settings& s, const char* command) {
  const auto key_path = config::vault_key_path(s);
  auto ring = key_path.empty() ? core::result<crypto::keyring>(make_error_code(std::errc::no_such_file_or_directory))
                               : crypto::load_keyring(key_path);
  if (!ring) {
    std::fprintf(stderr, "enfinitoctl: %s: vault key file %s: %s\n", command, key_path.c_str(),
                 ring.error().message().c_str());
    return std::nullopt;
  }
  return std::optional<crypto::vault>(std::in_place, std::move(*ring));
}

int approve(const config::settings& s, const std::string& email_arg) {
  auto email = accounts::normalize_email(email_arg);
  if (!email) {
    std::fprintf(stderr, "enfinitoctl: approve: not a valid email address\n");
    return 2;
  }
  // The approval mail is sealed in the outbox like every mail: the vault's key is needed.
  const auto sealing = mail_vault(s, "approve");
  if (!sealing) return 1;
  const crypto::vault& vault = *sealing;
  accounts::user_action_result outcome = accounts::user_action_result::done;
  std::string why;
  auto ec = with_write(
      s,
      [&](store::connection& c) -> core::error_code {
        auto u = store::accounts::find_user_by_email(c, *email);
        if (!u) return u.error();
        if (!*u) {
          outcome = accounts::user_action_result::not_found;
          return {};
        }
        return accounts::apply_user_action(c, s, vault, (*u)->id, "approve", "", "local", outcome);
      },
      &why);
  if (ec) {
    std::fprintf(stderr, "enfinitoctl: approve: %s\n", why.empty() ? ec.message().c_str() : why.c_str());
    return 1;
  }
  if (outcome == accounts::user_action_result::not_found) {
    std::fprintf(stderr, "enfinitoctl: approve: no account with this email\n");
    return 1;
  }
  if (outcome == accounts::user_action_result::invalid_transition) {
    std::fprintf(stderr, "enfinitoctl: approve: the account is not pending\n");
    return 1;
  }
  std::printf("approved\n");
  return 0;
}

int delete_user(const config::settings& s, const std::string& email_arg) {
  auto email = accounts::normalize_email(email_arg);
  if (!email) {
    std::fprintf(stderr, "enfinitoctl: delete-user: not a valid email address\n");
    return 2;
  }
  bool found = false;
  std::string user_id, why;
  auto ec = with_write(
      s,
      [&](store::connection& c) -> core::error_code {
        auto u = store::accounts::find_user_by_email(c, *email);
        if (!u) return u.error();
        if (!*u) return {};
        found = true;
        user_id = (*u)->id;
        return accounts::erase_user(c, user_id, "", "by=enfinitoctl", "local");
      },
      &why);
  if (ec) {
    std::fprintf(stderr, "enfinitoctl: delete-user: %s\n", why.empty() ? ec.message().c_str() : why.c_str());
    return 1;
  }
  if (!found) {
    std::fprintf(stderr, "enfinitoctl: delete-user: no account with this email\n");
    return 1;
  }
  std::printf("user %s deleted\n", user_id.c_str());
  return 0;
}

int reset_second_factor(const config::settings& s, const std::string& email_arg) {
  auto email = accounts::normalize_email(email_arg);
  if (!email) {
    std::fprintf(stderr, "enfinitoctl: reset-second-factor: not a valid email address\n");
    return 2;
  }
  const auto vault = mail_vault(s, "reset-second-factor");
  if (!vault) return 1;
  auto outcome = accounts::factor_reset_outcome::no_user;
  std::string user_id, why;
  auto ec = with_write(
      s,
      [&](store::connection& c) -> core::error_code {
        auto u = store::accounts::find_user_by_email(c, *email);
        if (!u) return u.error();
        if (!*u) return {};
        user_id = (*u)->id;
        return accounts::reset_factor(c, s, *vault, user_id, "", "by=enfinitoctl", "local", outcome);
      },
      &why);
  if (ec) {
    std::fprintf(stderr, "enfinitoctl: reset-second-factor: %s\n", why.empty() ? ec.message().c_str() : why.c_str());
    return 1;
  }
  if (outcome == accounts::factor_reset_outcome::no_user) {
    std::fprintf(stderr, "enfinitoctl: reset-second-factor: no account with this email\n");
    return 1;
  }
  if (outcome == accounts::factor_reset_outcome::not_enrolled) {
    std::fprintf(stderr, "enfinitoctl: reset-second-factor: the account has no second factor\n");
    return 1;
  }
  std::printf("second factor of %s reset; the user is signed out and mailed\n", user_id.c_str());
  return 0;
}

}  // namespace

int accounts_command(const config::settings& settings, const std::vector<std::string>& args, std::FILE* in) {
  if (args.empty()) return -1;
  if (args[0] == "create-admin") {
    int rc = create_admin(settings, args, in);
    if (rc == 2 && args.size() % 2 == 0) std::fprintf(stderr, "usage: enfinitoctl create-admin --email E --name N\n");
    return rc;
  }
  if (args[0] == "approve") {
    if (args.size() != 2) return 2;
    return approve(settings, args[1]);
  }
  if (args[0] == "delete-user") {
    if (args.size() != 2) return 2;
    return delete_user(settings, args[1]);
  }
  if (args[0] == "reset-second-factor") {
    if (args.size() != 2) return 2;
    return reset_second_factor(settings, args[1]);
  }
  return -1;
}

}  // namespace enfinito::app
