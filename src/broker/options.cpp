#include "broker/options.h"

#include <CLI/CLI.hpp>

#include "link/endpoint.h"

namespace sx::broker {

ParsedCommandLine parse_command_line(int argc, char** argv) {
  CommandLine cl;
  CLI::App app{"se05xd — access broker for an NXP SE05x secure element.\n"
               "Owns the chip link and serves JRCP v1 clients (our PKCS#11 module and CLI, and programs built\n"
               "on NXP's middleware) on a Unix socket and, only when configured, a loopback TCP port."};
  app.footer("Configuration: JSON, see docs/broker.md. Command-line options override the file.\n"
             "Examples:\n"
             "  se05xd --foreground\n"
             "  se05xd -f --port unix:/tmp/sim.sock --socket /tmp/se05xd.sock --tcp 127.0.0.1:8050\n"
             "  se05xd --status");
  auto* cfg_opt = app.add_option("--config,-c", cl.config_path, "configuration file")->capture_default_str();
  app.add_flag("--foreground,-f", cl.foreground, "stay in the foreground and log to stderr (systemd, containers)");
  app.add_option("--port,-p,--connection", cl.port,
                 "the chip: i2c:/dev/i2c-1:0x48, unix:PATH, jrcp:HOST:PORT, ... (default: SE05X_PORT, then "
                 "\"connection\" of the configuration, then " +
                     std::string(link::kDefaultEndpoint) + ")");
  app.add_option("--socket", cl.socket, "Unix socket to serve on");
  app.add_option("--tcp", cl.tcp, "also serve JRCP on HOST:PORT (e.g. 127.0.0.1:8050 for EX_SSS_BOOT_SSS_PORT)");
  app.add_option("--lock-hold-ms", cl.hold_ms, "longest LOCK..UNLOCK before the holder is cut off");
  app.add_option("--log-level", cl.log_level, "error, warning, info, debug");
  app.add_option("--ready-file", cl.ready_file, "write the bound listeners and 'ready' here once serving");
  app.add_flag("--check-config", cl.check, "validate the configuration and exit");
  app.add_flag("--status", cl.status, "ask the running broker for its status and print it");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return {std::nullopt, app.exit(e)};
  }
  cl.config_given = cfg_opt->count() != 0;
  return {std::move(cl), 0};
}

Result<Config> apply_command_line(Config cfg, const CommandLine& cl) {
  cfg.connection = link::resolve_port(cl.port, cfg.connection, link::PortUser::Broker);
  if (!cl.socket.empty()) cfg.socket = cl.socket;
  if (!cl.tcp.empty()) cfg.tcp = cl.tcp;
  if (cl.hold_ms) cfg.lock_hold_ms = *cl.hold_ms;
  if (!cl.log_level.empty()) {
    auto l = parse_log_level(cl.log_level);
    if (!l) return make_error(Errc::InvalidArgument, "--log-level: want error, warning, info or debug");
    cfg.log_level = *l;
  }
  return cfg;
}

}  // namespace sx::broker
