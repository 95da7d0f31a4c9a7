// enfinitoctl: administration commands run by an operator on the daemon's host.
#include <enfinito/app/accounts_ctl.hpp>
#include <enfinito/app/notify_ctl.hpp>
#include <enfinito/app/rekey.hpp>
#include <enfinito/config/settings.hpp>
#include <enfinito/crypto/keyring.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/pg/porting.hpp>
#include <enfinito/store/store.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

constexpr const char* usage =
    "usage: enfinitoctl [--config FILE | --dev] COMMAND [ARGS]\n"
    "commands:\n"
    "  check-config          validate the configuration\n"
    "  backup DEST           online backup of the database to DEST (must not exist)\n"
    "  create-key            create the vault key file (refuses to overwrite one)\n"
    "  rotate-key            add a vault key and re-encrypt every credential (and pending mail) under it, online\n"
    "  rekey                 re-encrypt credentials still under an older key (resumes rotate-key)\n"
    "  retire-key ID         delete vault key ID from the key file once nothing uses it\n";

// The vault commands. They work on the live database next to a running daemon: the daemon
// re-reads the key file when it meets the new key id, so no restart is needed.
int vault_command(const enfinito::config::settings& settings, const std::vector<std::string>& args) {
  using namespace enfinito;
  const std::string& cmd = args[0];
  const auto key_path = config::vault_key_path(settings);
  if (key_path.empty()) {
    std::fprintf(stderr,
                 "enfinitoctl: vault.key_file: no secrets directory (set secrets.dir or "
                 "$CREDENTIALS_DIRECTORY, or give an absolute path)\n");
    return 2;
  }
  auto fail = [&](const std::string& what, const std::string& why) {
    std::fprintf(stderr, "enfinitoctl: %s: %s: %s\n", cmd.c_str(), what.c_str(), why.c_str());
    return 1;
  };
  if (cmd == "create-key") {
    if (auto r = crypto::create_keyring_file(key_path); !r) return fail(key_path.string(), r.error().message());
    std::printf("vault key file created: %s (mode 0600, key id 1)\n", key_path.c_str());
    return 0;
  }
  std::uint32_t retire_id = 0;
  if (cmd == "retire-key") {
    const auto& a = args[1];
    if (a.empty() || a.size() > 10 || a.find_first_not_of("0123456789") != std::string::npos || std::stoull(a) == 0 ||
        std::stoull(a) > 0xffffffffull) {
      std::fprintf(stderr, "enfinitoctl: retire-key: ID must be a key id (a positive integer)\n");
      return 2;
    }
    retire_id = static_cast<std::uint32_t>(std::stoull(a));
  }
  if (cmd == "rotate-key") {
    auto id = crypto::add_key(key_path);
    if (!id) return fail(key_path.string(), id.error().message());
    std::printf("added vault key %u; re-encrypting credentials...\n", *id);
  }
  auto ring = crypto::load_keyring(key_path);
  if (!ring) return fail(key_path.string(), ring.error().message());
  const crypto::vault v(std::move(*ring));

  std::string why;
  auto conn = store::connection::open(settings.store.path, false, &why);
  if (!conn) return fail(settings.store.path, why.empty() ? conn.error().message() : why);
  (*conn)->exec("PRAGMA busy_timeout = " + std::to_string(settings.store.busy_timeout.count()) +
                "; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;");
  if (cmd == "retire-key") {
    auto n = app::count_blobs_with_key(**conn, retire_id);
    if (!n) return fail(settings.store.path, "cannot read instances (has the daemon created the schema?)");
    if (*n > 0) {
      std::fprintf(stderr,
                   "enfinitoctl: retire-key: %zu stored credentials still use key %u; run "
                   "`enfinitoctl rekey` first\n",
                   *n, retire_id);
      return 1;
    }
    if (auto r = crypto::remove_key(key_path, retire_id); !r) return fail(key_path.string(), r.error().message());
    std::printf("vault key %u retired\n", retire_id);
    return 0;
  }
  auto report = app::rekey_instances(**conn, v, 100, 5, &why);
  if (!report) return fail(settings.store.path, why.empty() ? report.error().message() : why);
  std::printf("re-encrypted %zu instance(s) under key %u (%zu scanned, %d pass(es))\n", report->rekeyed,
              v.active_key_id(), report->scanned, report->passes);
  auto hooks = app::rekey_webhook_secrets(**conn, v, 100, 5, &why);
  if (!hooks) return fail(settings.store.path, why.empty() ? hooks.error().message() : why);
  std::printf("re-encrypted %zu webhook signing secret(s) under key %u (%zu scanned, %d pass(es))\n", hooks->rekeyed,
              v.active_key_id(), hooks->scanned, hooks->passes);
  auto mails = app::rekey_mail_bodies(**conn, v, 100, 5, &why);
  if (!mails) return fail(settings.store.path, why.empty() ? mails.error().message() : why);
  std::printf("re-encrypted %zu pending mail(s) under key %u (%zu scanned, %d pass(es))\n", mails->rekeyed,
              v.active_key_id(), mails->scanned, mails->passes);
  auto factors = app::rekey_totp_secrets(**conn, v, 100, 5, &why);
  if (!factors) return fail(settings.store.path, why.empty() ? factors.error().message() : why);
  std::printf("re-encrypted %zu second factor secret(s) under key %u (%zu scanned, %d pass(es))\n", factors->rekeyed,
              v.active_key_id(), factors->scanned, factors->passes);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace enfinito;
  config::load_options opts;
  std::vector<std::string> args;
  bool file_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dev")
      opts.dev = true;
    else if (a == "--config" && i + 1 < argc) {
      opts.file = argv[++i];
      file_given = true;
    } else if (a == "--help" || a == "-h") {
      std::printf("%s%s%s", usage, app::accounts_usage, app::notify_usage);
      return 0;
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) {
    std::fprintf(stderr, "%s", usage);
    return 2;
  }
  auto loaded = config::load_for_cli(opts, file_given, "enfinitoctl");
  if (!loaded) return 2;
  config::settings settings = std::move(*loaded);
  // Every command but check-config works on the database: never on SQLite's when PostgreSQL was asked for.
  if (settings.store.backend == "postgres" && args[0] != "check-config") {
    std::fprintf(stderr, "enfinitoctl: %s\n", store::pg::not_ready_message().c_str());
    return 1;
  }

  if (int rc = app::accounts_command(settings, args, stdin); rc >= 0) {
    if (rc == 2) std::fprintf(stderr, "%s%s", usage, app::accounts_usage);
    return rc;
  }
  if (int rc = app::notify_command(settings, args); rc >= 0) {
    if (rc == 2) std::fprintf(stderr, "usage:\n%s", app::notify_usage);
    return rc;
  }
  const std::string& cmd = args[0];
  if (cmd == "check-config") {
    std::printf("configuration ok\n");
    return 0;
  }
  if (cmd == "backup" && args.size() == 2) {
    std::string why;
    if (auto ec = store::backup(settings.store.path, args[1], &why)) {
      std::fprintf(stderr, "enfinitoctl: backup failed: %s\n", why.empty() ? ec.message().c_str() : why.c_str());
      return 1;
    }
    std::printf("backup written to %s\n", args[1].c_str());
    return 0;
  }
  if (((cmd == "create-key" || cmd == "rotate-key" || cmd == "rekey") && args.size() == 1) ||
      (cmd == "retire-key" && args.size() == 2))
    return vault_command(settings, args);
  std::fprintf(stderr, "enfinitoctl: unknown command or arguments\n%s", usage);
  return 2;
}
