// se05xd: lets several processes and containers share one SE05x.
#include <signal.h>
#include <syslog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "broker/broker.h"
#include "broker/config.h"
#include "broker/status.h"

namespace {

sx::broker::Broker* g_broker = nullptr;

void on_signal(int) {
  if (g_broker) g_broker->request_stop();
}

sx::broker::LogFn syslog_logger(sx::broker::LogLevel level) {
  ::openlog("se05xd", LOG_PID, LOG_DAEMON);
  return [level](sx::broker::LogLevel l, const std::string& m) {
    if (static_cast<int>(l) > static_cast<int>(level)) return;
    ::syslog(static_cast<int>(l), "%s", m.c_str());
  };
}

int run(int argc, char** argv) {
  using namespace sx::broker;
  CLI::App app{"se05xd — access broker for an NXP SE05x secure element.\n"
               "Owns the chip link and serves JRCP v1 clients (our PKCS#11 module and CLI, and programs built\n"
               "on NXP's middleware) on a Unix socket and, only when configured, a loopback TCP port."};
  app.footer("Configuration: JSON, see docs/broker.md. Command-line options override the file.\n"
             "Examples:\n"
             "  se05xd --foreground\n"
             "  se05xd -f --connection unix:/tmp/sim.sock --socket /tmp/se05xd.sock --tcp 127.0.0.1:8050\n"
             "  se05xd --status");
  std::string config_path = kDefaultConfigPath;
  bool foreground = false, check = false, status = false;
  std::string connection, socket, tcp, log_level, ready_file;
  std::optional<uint32_t> hold_ms;
  auto* cfg_opt = app.add_option("--config,-c", config_path, "configuration file")->capture_default_str();
  app.add_flag("--foreground,-f", foreground, "stay in the foreground and log to stderr (systemd, containers)");
  app.add_option("--connection", connection, "the chip: i2c:/dev/i2c-1:0x48, unix:PATH, jrcp:HOST:PORT, ...");
  app.add_option("--socket", socket, "Unix socket to serve on");
  app.add_option("--tcp", tcp, "also serve JRCP on HOST:PORT (e.g. 127.0.0.1:8050 for EX_SSS_BOOT_SSS_PORT)");
  app.add_option("--lock-hold-ms", hold_ms, "longest LOCK..UNLOCK before the holder is cut off");
  app.add_option("--log-level", log_level, "error, warning, info, debug");
  app.add_option("--ready-file", ready_file, "write the bound listeners and 'ready' here once serving");
  app.add_flag("--check-config", check, "validate the configuration and exit");
  app.add_flag("--status", status, "ask the running broker for its status and print it");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  auto cfg_r = load_config(config_path, cfg_opt->count() == 0);
  if (!cfg_r) {
    std::cerr << "se05xd: " << cfg_r.error().message << "\n";
    return 2;
  }
  Config cfg = *cfg_r;
  if (!connection.empty()) cfg.connection = connection;
  if (!socket.empty()) cfg.socket = socket;
  if (!tcp.empty()) cfg.tcp = tcp;
  if (hold_ms) cfg.lock_hold_ms = *hold_ms;
  if (!log_level.empty()) {
    auto l = parse_log_level(log_level);
    if (!l) {
      std::cerr << "se05xd: --log-level: want error, warning, info or debug\n";
      return 2;
    }
    cfg.log_level = *l;
  }
  if (status) {
    auto s = query_status(cfg.socket.empty() ? "jrcp:" + cfg.tcp : "unix:" + cfg.socket);
    if (!s) {
      std::cerr << "se05xd: " << s.error().message << "\n";
      return 1;
    }
    std::cout << format_status(*s);
    return 0;
  }
  if (auto v = validate(cfg); !v) {
    std::cerr << "se05xd: " << v.error().message << "\n";
    return 2;
  }
  if (check) {
    std::cout << "se05xd: configuration OK\n";
    return 0;
  }

  const char* js = std::getenv("JOURNAL_STREAM");
  LogFn log = foreground ? stderr_logger(cfg.log_level, js && *js) : syslog_logger(cfg.log_level);
  auto b = Broker::create(cfg, log);
  if (!b) {
    std::cerr << "se05xd: " << b.error().message << "\n";
    return 1;
  }
  if (!foreground && ::daemon(0, 0) < 0) {
    std::perror("se05xd: daemon");
    return 1;
  }
  (void)(*b)->open_chip();  // failures are logged; the link is retried on each request

  g_broker = b->get();
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  if (!ready_file.empty()) {
    std::ofstream out(ready_file + ".tmp");
    for (const auto& l : (*b)->listeners()) out << l << "\n";
    out << "ready\n";
    out.close();
    std::rename((ready_file + ".tmp").c_str(), ready_file.c_str());
  }
  auto r = (*b)->run();
  g_broker = nullptr;
  if (!r) {
    log(LogLevel::Error, r.error().message);
    return 1;
  }
  log(LogLevel::Info, "stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "se05xd: %s\n", e.what());
    return 1;
  }
}
