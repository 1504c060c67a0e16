// se05xd: lets several processes and containers share one SE05x.
#include <signal.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "broker/broker.h"
#include "broker/config.h"
#include "broker/options.h"
#include "broker/status.h"

namespace {

sx::broker::Broker* g_broker = nullptr;

void on_signal(int) {
  if (g_broker) g_broker->request_stop();
}

int run(int argc, char** argv) {
  using namespace sx::broker;
  ParsedCommandLine parsed = parse_command_line(argc, argv);
  if (!parsed.args) return parsed.exit_code;
  const CommandLine& cl = *parsed.args;
  auto cfg_r = load_config(cl.config_path, !cl.config_given);
  if (!cfg_r) {
    std::cerr << "se05xd: " << cfg_r.error().message << "\n";
    return 2;
  }
  auto applied = apply_command_line(std::move(*cfg_r), cl);
  if (!applied) {
    std::cerr << "se05xd: " << applied.error().message << "\n";
    return 2;
  }
  const Config cfg = std::move(*applied);
  const bool foreground = cl.foreground;
  const std::string& ready_file = cl.ready_file;
  if (cl.status) {
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
  if (cl.check) {
    std::cout << "se05xd: configuration OK\n";
    return 0;
  }

  const char* js = std::getenv("JOURNAL_STREAM");
  LogFn log = foreground ? stderr_logger(cfg.log_level, js && *js) : sx::log::syslog_sink("se05xd", LOG_DAEMON, cfg.log_level);
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
