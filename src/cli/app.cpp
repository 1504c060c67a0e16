#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "cli/commands.h"

namespace sx::cli {

Command Command::subcommand(const std::string& name, const std::string& help, std::function<int()> action) {
  CLI::App* sub = app_->add_subcommand(name, help);
  if (action) reg_->actions.emplace_back(sub, std::move(action));
  return Command(*sub, *reg_);
}
Command& Command::require_subcommand() {
  app_->require_subcommand(1);
  return *this;
}
Command& Command::option(const std::string& names, std::string& into, const std::string& help) {
  app_->add_option(names, into, help);
  return *this;
}
Command& Command::option(const std::string& names, int32_t& into, const std::string& help) {
  app_->add_option(names, into, help);
  return *this;
}
Command& Command::required(const std::string& names, std::string& into, const std::string& help) {
  app_->add_option(names, into, help)->required();
  return *this;
}
Command& Command::flag(const std::string& names, bool& into, const std::string& help) {
  app_->add_flag(names, into, help);
  return *this;
}

int run(int argc, char** argv) {
  try {
    GlobalOptions g;
    Ctx ctx(g);
    CLI::App app{"se05x: provision the NXP SE050 as a PKCS#11 key store for AWS IoT Greengrass V2"};
    app.name("se05x");
    app.set_help_all_flag("--help-all", "help for every command");
    app.add_option("--port,-p", g.port,
                   "connection string (as the PKCS#11 module: i2c:/dev/i2c-1:0x48, unix:PATH, jrcp:HOST:PORT); "
                   "default: SE05X_PORT, the broker socket, or i2c:/dev/i2c-1:0x48");
    app.add_option("--pin-file", g.pin_file, "read the user PIN from this file (else SE05X_PIN, else a prompt)");
    app.add_option("--so-pin-file", g.so_pin_file, "read the SO PIN from this file (else SE05X_SO_PIN, else a prompt)");
    app.add_option("--lock-file", g.lock_file,
                   "chip lock file for direct I2C links (default: SE05X_LOCK_FILE, else the module's "
                   "/run/se05x-pkcs11/chip.lock)");
    app.add_option("--lock-wait", g.lock_wait_s, "seconds to wait for the chip lock file before giving up")
        ->check(CLI::Range(0u, 600u))
        ->capture_default_str();
    app.add_flag("--json", g.json, "machine-readable output on stdout");
    app.footer(
        "Exit codes: 0 ok, 1 error, 2 usage, 3 bad input file / password, 4 no chip, 5 PIN wrong/locked/missing,\n"
        "6 not found, 7 label or ID already used, 8 certificate does not match key, 9 chip full,\n"
        "10 doctor found problems, 11 deletion not confirmed. See docs/cli.md.");
    app.require_subcommand(1);
    // Global options may also follow the command (`se05x list --json`).
    app.fallthrough();
    Registry reg;
    Command root(app, reg);
    add_info_commands(root, ctx);
    add_keygen_commands(root, ctx);
    add_import_commands(root, ctx);
    add_object_commands(root, ctx);
    add_export_commands(root, ctx);
    add_token_commands(root, ctx);
    add_greengrass_commands(root, ctx);
    add_doctor_command(root, ctx);
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      const int rc = app.exit(e);
      return rc == 0 ? 0 : code(Exit::Usage);
    }
    for (auto& [sub, action] : reg.actions)
      if (sub->parsed()) return action();
    return ctx.fail(Exit::Usage, "no command given (see --help)");
  } catch (const std::exception& e) {
    std::cerr << "se05x: error: internal: " << e.what() << "\n";
    return code(Exit::Error);
  }
}

}  // namespace sx::cli
