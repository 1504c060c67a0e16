// Registration of the subcommands: each cmd_*.cpp file declares its commands,
// their options bound to variables and the action that runs when that command
// was the one parsed. The files see only `Command`: CLI11 is header-only and
// costs ~10 s of code generation in every file that includes it, so app.cpp is
// the one file that does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/context.h"

namespace CLI {
class App;
}

namespace sx::cli {

// Parsed-command → action, filled while the commands are declared.
struct Registry {
  std::vector<std::pair<const CLI::App*, std::function<int()>>> actions;
};

// One command of the se05x command line (or the program itself, for the root).
class Command {
 public:
  Command(CLI::App& app, Registry& reg) : app_(&app), reg_(&reg) {}

  // A subcommand; `action` runs when it is the command given (none for a group).
  Command subcommand(const std::string& name, const std::string& help, std::function<int()> action = {});
  // A group needs one of its subcommands (`se05x token` alone is a usage error).
  Command& require_subcommand();
  // names: "--long,-s" for an option, a bare word for a positional argument.
  Command& option(const std::string& names, std::string& into, const std::string& help);
  Command& option(const std::string& names, int32_t& into, const std::string& help);
  Command& required(const std::string& names, std::string& into, const std::string& help);
  Command& flag(const std::string& names, bool& into, const std::string& help);

 private:
  CLI::App* app_;
  Registry* reg_;
};

// A subcommand with an options struct of its own: `declare(cmd, opts)` binds
// the options of a fresh Opts, and `run(ctx, opts)` is the action.
template <class Opts, class Run, class Declare>
void add_command(Command& parent, Ctx& ctx, const std::string& name, const std::string& help, Run run,
                 Declare declare) {
  auto opts = std::make_shared<Opts>();
  Command c = parent.subcommand(name, help, [&ctx, opts, run] { return run(ctx, *opts); });
  declare(c, *opts);
}

void add_info_commands(Command& app, Ctx& ctx);        // info, list
void add_keygen_commands(Command& app, Ctx& ctx);      // keygen, csr
void add_import_commands(Command& app, Ctx& ctx);      // import-cert, import
void add_object_commands(Command& app, Ctx& ctx);      // adopt, relabel, delete
void add_export_commands(Command& app, Ctx& ctx);      // export-cert, export-pubkey
void add_token_commands(Command& app, Ctx& ctx);       // token init|set-pin|init-pin|reset|info
void add_greengrass_commands(Command& app, Ctx& ctx);  // greengrass-config
void add_doctor_command(Command& app, Ctx& ctx);       // doctor
void add_policy_commands(Command& app, Ctx& ctx);      // policy show
void add_scp03_commands(Command& app, Ctx& ctx);       // scp03 status|rotate|require

}  // namespace sx::cli
