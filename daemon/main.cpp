// enfinitod: thin entry point (args -> config::load -> app::app -> run -> exit code).
#include <enfinito/app/app.hpp>
#include <enfinito/config/settings.hpp>
#include <enfinito/core/log.hpp>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

constexpr const char* usage =
    "usage: enfinitod [--config FILE] [--dev] [--check-config] [--version] [--help]\n"
    "  --config FILE    TOML configuration (default /etc/enfinito/enfinitod.toml; $ENFINITO_CONFIG)\n"
    "  --dev            development mode: loopback only, ./var/enfinito.db, no config file needed\n"
    "  --check-config   validate the configuration and exit (0 valid, 2 invalid)\n"
    "  --version        print the version and exit\n"
    "Every key can be overridden by an ENFINITO_<SECTION>_<KEY> environment variable:\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace enfinito;
  config::load_options opts;
  bool check_only = false;
  bool file_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--version") {
      std::printf("enfinitod %s\n", ENFINITO_VERSION);
      return 0;
    } else if (a == "--help" || a == "-h") {
      std::printf("%s%s", usage, config::describe_keys().c_str());
      return 0;
    } else if (a == "--dev") {
      opts.dev = true;
    } else if (a == "--check-config") {
      check_only = true;
    } else if (a == "--config" && i + 1 < argc) {
      opts.file = argv[++i];
      file_given = true;
    } else {
      std::fprintf(stderr, "enfinitod: unknown argument '%s'\n%s", a.c_str(), usage);
      return 2;
    }
  }
  auto loaded = config::load_for_cli(opts, file_given, "enfinitod");
  if (!loaded) return 2;
  config::settings settings = std::move(*loaded);
  if (check_only) {
    std::printf("configuration ok\n");
    return 0;
  }
  std::signal(SIGPIPE, SIG_IGN);
  try {
    app::app daemon(std::move(settings));
    daemon.start();
    return daemon.run();
  } catch (const app::startup_error& e) {
    core::log::error("app.startup_failed", {{"reason", e.what()}});
    std::fprintf(stderr, "enfinitod: %s\n", e.what());
    return 1;
  }
}
