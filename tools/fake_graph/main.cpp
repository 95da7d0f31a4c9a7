// fake-graph: thin main. Flags → server_options → run(). See README.md for the config format
// and the admin endpoints.
#include "fake_graph/server.hpp"

#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace {

void usage() {
  std::cerr << "usage: fake-graph [--listen 127.0.0.1] [--port 0] [--tls-cert FILE --tls-key FILE]\n"
               "                  [--config FILE] [--webhook-ca FILE] [--webhook-insecure]\n"
               "Prints 'listening port=N' on stdout once bound. Loopback addresses only.\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  enfinito::fake_graph::server_options opts;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--listen")
      opts.listen = value();
    else if (a == "--port")
      opts.port = static_cast<std::uint16_t>(std::stoul(value()));
    else if (a == "--tls-cert")
      opts.tls_cert_file = value();
    else if (a == "--tls-key")
      opts.tls_key_file = value();
    else if (a == "--webhook-ca")
      opts.webhook_ca_file = value();
    else if (a == "--webhook-insecure")
      opts.webhook_insecure = true;
    else if (a == "--config") {
      std::ifstream in(value(), std::ios::binary);
      if (!in) {
        std::cerr << "fake-graph: cannot read config file\n";
        return 2;
      }
      std::ostringstream ss;
      ss << in.rdbuf();
      opts.config_json = ss.str();
    } else if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else {
      usage();
      return 2;
    }
  }
  try {
    return enfinito::fake_graph::run(std::move(opts));
  } catch (const std::exception& e) {
    std::cerr << "fake-graph: " << e.what() << "\n";
    return 1;
  }
}
