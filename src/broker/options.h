// se05xd's command line, and how it is laid over the configuration file: the
// chip connection follows the rule every program shares (link::resolve_port:
// --port, SE05X_PORT, the file's "connection", the default), the other
// options simply override the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "broker/config.h"

namespace sx::broker {

struct CommandLine {
  std::string config_path = kDefaultConfigPath;
  bool config_given = false;  // --config named a file (then it must exist)
  bool foreground = false;
  bool check = false;   // --check-config
  bool status = false;  // --status
  std::string port;     // --port, alias --connection (older configurations and units)
  std::string socket, tcp, log_level, ready_file;
  std::optional<uint32_t> hold_ms;
};

// Parses argv. On --help, --version or a usage error the text has been
// printed and `exit_code` is what main returns; `args` is then empty.
struct ParsedCommandLine {
  std::optional<CommandLine> args;
  int exit_code = 0;
};
ParsedCommandLine parse_command_line(int argc, char** argv);

// The configuration to run with: `file` (load_config's result) with the
// command line and SE05X_PORT applied. Errors are usage errors (exit 2).
Result<Config> apply_command_line(Config file, const CommandLine& cl);

}  // namespace sx::broker
