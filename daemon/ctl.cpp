// enfinitoctl: administration commands run by an operator on the daemon's host.
#include <enfinito/app/accounts_ctl.hpp>
#include <enfinito/config/settings.hpp>
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
    "  backup DEST           online backup of the database to DEST (must not exist)\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace enfinito;
  config::load_options opts;
  std::vector<std::string> args;
  bool file_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dev") opts.dev = true;
    else if (a == "--config" && i + 1 < argc) {
      opts.file = argv[++i];
      file_given = true;
    } else if (a == "--help" || a == "-h") {
      std::printf("%s%s", usage, app::accounts_usage);
      return 0;
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) {
    std::fprintf(stderr, "%s", usage);
    return 2;
  }
  if (!file_given) {
    if (const char* env = std::getenv("ENFINITO_CONFIG")) opts.file = env;
    else if (!opts.dev) opts.file = "/etc/enfinito/enfinitod.toml";
  }
  opts.env = config::environment_overrides();
  config::settings settings;
  try {
    settings = config::load(opts);
  } catch (const config::config_error& e) {
    std::fprintf(stderr, "enfinitoctl: configuration error: %s\n", e.what());
    return 2;
  }

  if (int rc = app::accounts_command(settings, args, stdin); rc >= 0) {
    if (rc == 2) std::fprintf(stderr, "%s%s", usage, app::accounts_usage);
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
  std::fprintf(stderr, "enfinitoctl: unknown command or arguments\n%s", usage);
  return 2;
}
