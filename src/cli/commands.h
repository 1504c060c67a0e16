// Registration of the subcommands: each file adds its commands to the CLI11
// app and an action that runs when that command was the one parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <utility>
#include <vector>

#include "cli/context.h"

namespace sx::cli {

struct Registry {
  std::vector<std::pair<CLI::App*, std::function<int()>>> actions;
  void add(CLI::App* sub, std::function<int()> f) { actions.emplace_back(sub, std::move(f)); }
};

void add_info_commands(CLI::App& app, Ctx& ctx, Registry& reg);       // info, list
void add_keygen_commands(CLI::App& app, Ctx& ctx, Registry& reg);     // keygen, csr
void add_import_commands(CLI::App& app, Ctx& ctx, Registry& reg);     // import-cert, import
void add_object_commands(CLI::App& app, Ctx& ctx, Registry& reg);     // adopt, relabel, delete
void add_export_commands(CLI::App& app, Ctx& ctx, Registry& reg);     // export-cert, export-pubkey
void add_token_commands(CLI::App& app, Ctx& ctx, Registry& reg);      // token init|set-pin|init-pin
void add_greengrass_commands(CLI::App& app, Ctx& ctx, Registry& reg); // greengrass-config
void add_doctor_command(CLI::App& app, Ctx& ctx, Registry& reg);      // doctor

}  // namespace sx::cli
