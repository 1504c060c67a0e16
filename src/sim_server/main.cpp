// se05x-sim: a software SE050 served over JRCP (TCP / Unix socket) and a virtual I2C bus.
#include <csignal>
#include <iostream>

#include "sim_server/options.h"
#include "sim_server/server.h"

namespace {
sx::simd::Server* g_server = nullptr;
void on_signal(int) {
  if (g_server) g_server->request_stop();
}
}  // namespace

int main(int argc, char** argv) {
  auto parsed = sx::simd::parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  if (parsed.options->print_factory_ca) return sx::simd::print_factory_ca(*parsed.options);
  std::signal(SIGPIPE, SIG_IGN);
  sx::simd::Server server(std::move(*parsed.options));
  g_server = &server;
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  auto bound = server.start();
  if (!bound.ok()) {
    std::cerr << "se05x-sim: " << bound.error().to_string() << "\n";
    return 1;
  }
  server.wait();
  server.shutdown();
  g_server = nullptr;
  return 0;
}
