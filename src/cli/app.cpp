#include "cli/app.h"

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <exception>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "link/endpoint.h"

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

namespace {

#ifndef SX_VERSION
#error "SX_VERSION (the CMake project() version) must be defined"
#endif
constexpr const char* kVersion = SX_VERSION;

// Edit distance with adjacent transpositions counted as one edit ("lsit").
size_t typo_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0u : 1u)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::vector<CLI::App*> commands_of(CLI::App& app) {
  return app.get_subcommands([](CLI::App*) { return true; });
}

CLI::App* command_named(CLI::App& app, const std::string& name) {
  for (CLI::App* sub : commands_of(app))
    if (sub->get_name() == name) return sub;
  return nullptr;
}

// "se05x token init": the words a user types to reach `app`.
std::string command_path(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* p = app.get_parent(); p != nullptr; p = p->get_parent()) path = p->get_name() + " " + path;
  return path;
}

// "unknown command 'lsit'; did you mean 'list'?" -- the nearest command name
// within two edits (fewer than the word's length, so "ab" suggests nothing).
std::string unknown_command(CLI::App& parent, const std::string& word) {
  std::string msg = "unknown command '" + word + "'";
  if (parent.get_parent() != nullptr) msg += " for '" + command_path(parent) + "'";
  const std::string* best = nullptr;
  size_t best_d = 3;
  for (CLI::App* sub : commands_of(parent)) {
    const size_t dist = typo_distance(word, sub->get_name());
    if (dist < best_d && dist < word.size()) {
      best_d = dist;
      best = &sub->get_name();
    }
  }
  if (best != nullptr) return msg + "; did you mean '" + *best + "'?";
  return msg + " (see `" + command_path(parent) + " --help`)";
}

// An option of `app` or of the commands above it (global options fall through).
const CLI::Option* find_option(const CLI::App* app, const std::string& name) {
  for (; app != nullptr; app = app->get_parent())
    if (const CLI::Option* o = app->get_option_no_throw(name)) return o;
  return nullptr;
}

// "unknown option '--lable' for 'se05x keygen'; did you mean '--label'?" --
// among the options of the command and the global ones.
std::string unknown_option(const CLI::App& app, const std::string& word) {
  std::string msg = "unknown option '" + word + "'";
  if (app.get_parent() != nullptr) msg += " for '" + command_path(app) + "'";
  std::string best;
  size_t best_d = 3;
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent())
    for (const CLI::Option* o : a->get_options())
      for (const std::string& n : o->get_lnames()) {
        const size_t dist = typo_distance(word.substr(2), n);
        if (dist < best_d && dist + 2 < word.size()) {
          best_d = dist;
          best = "--" + n;
        }
      }
  if (!best.empty()) return msg + "; did you mean '" + best + "'?";
  return msg + " (see `" + command_path(app) + " --help`)";
}

// What the command line asks before CLI11 sees it: the version, help for a
// command, or a command name that does not exist (CLI11 would only say "A
// subcommand is required").
struct Prescan {
  enum class Kind { Parse, Version, Error } kind = Kind::Parse;
  std::string error;
  std::vector<std::string> args;  // Parse: the command line to hand to CLI11
};

Prescan prescan(CLI::App& app, std::vector<std::string> args) {
  Prescan out;
  CLI::App* cur = &app;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (a.size() > 1 && a[0] == '-') {
      if (cur == &app && (a == "--version" || a == "-V")) {
        out.kind = Prescan::Kind::Version;
        return out;
      }
      const std::string name = a.substr(0, a.find('='));
      const CLI::Option* o = find_option(cur, name);
      if (o == nullptr && name.rfind("--", 0) == 0) {
        out.kind = Prescan::Kind::Error;
        out.error = unknown_option(*cur, name);
        return out;
      }
      if (o != nullptr && name == a && o->get_expected_min() > 0) ++i;  // its value
      continue;
    }
    if (cur == &app && a == "help") {
      // `se05x help token init` is `se05x token init --help`.
      CLI::App* target = &app;
      std::vector<std::string> rest(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
      for (size_t j = i + 1; j < args.size(); ++j) {
        if (!args[j].empty() && args[j][0] == '-') {
          rest.push_back(args[j]);
          continue;
        }
        if (commands_of(*target).empty()) break;
        CLI::App* sub = command_named(*target, args[j]);
        if (sub == nullptr) {
          out.kind = Prescan::Kind::Error;
          out.error = unknown_command(*target, args[j]);
          return out;
        }
        target = sub;
        rest.push_back(args[j]);
      }
      rest.push_back("--help");
      out.args = std::move(rest);
      return out;
    }
    if (commands_of(*cur).empty()) break;  // a positional argument of the command
    CLI::App* sub = command_named(*cur, a);
    if (sub == nullptr) {
      out.kind = Prescan::Kind::Error;
      out.error = unknown_command(*cur, a);
      return out;
    }
    cur = sub;
  }
  out.args = std::move(args);
  return out;
}

// The deepest command CLI11 got to, for "see `se05x keygen --help`".
const CLI::App* deepest_parsed(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands())
    if (sub->parsed()) return deepest_parsed(*sub);
  return &app;
}

// CLI11's message on one line, naming where the usage of that command is.
std::string usage_message(const CLI::App& app, const CLI::ParseError& e) {
  std::string msg = e.what();
  for (size_t nl = msg.find('\n'); nl != std::string::npos; nl = msg.find('\n', nl)) msg.replace(nl, 1, "; ");
  const CLI::App* at = deepest_parsed(app);
  if (msg == "A subcommand is required") {
    std::string names;
    for (CLI::App* sub : const_cast<CLI::App*>(at)->get_subcommands([](CLI::App*) { return true; }))
      names += (names.empty() ? "" : ", ") + sub->get_name();
    msg = "`" + command_path(*at) + "` needs a command: " + names;
  }
  return msg + " (see `" + command_path(*at) + " --help`)";
}

// A connection string that cannot work is a usage error (exit 2), said before
// anything is opened; so is a socket given as a bare path (the NXP form of an
// I2C device), the mistake a broker user makes.
std::optional<std::string> connection_problem(const std::string& conn) {
  auto ep = link::parse_endpoint(conn);
  if (!ep) return ep.error().message + " (write i2c:DEVICE:ADDR, unix:PATH or jrcp:HOST:PORT)";
  struct stat st{};
  if ((ep->kind == link::Endpoint::Kind::I2c) && ::stat(ep->path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
    return "connection string \"" + conn + "\" is a socket: write unix:" + ep->path;
  return std::nullopt;
}

std::string exit_code_footer() {
  std::string s = "Exit codes:";
  size_t col = s.size();
  for (const ExitInfo& x : kExitCodes) {
    const std::string item = std::to_string(code(x.exit)) + " " + x.brief + ";";
    if (col + 1 + item.size() > 100) {
      s += "\n";
      col = 0;
    } else {
      s += " ";
      ++col;
    }
    s += item;
    col += item.size();
  }
  s.back() = '.';
  return s + " See docs/cli.md.";
}

}  // namespace

int run(int argc, char** argv) {
  try {
    GlobalOptions g;
    Ctx ctx(g);
    std::vector<std::string> args(argv, argv + argc);
    if (args.empty()) args.emplace_back("se05x");
    // Usage errors are reported before CLI11 has set --json: as JSON too.
    g.json = std::find(args.begin(), std::find(args.begin(), args.end(), "--"), "--json") != args.end();
    CLI::App app{"se05x: provision the NXP SE050 as a PKCS#11 key store for AWS IoT Greengrass V2"};
    app.name("se05x");
    app.set_help_all_flag("--help-all", "help for every command");
    app.set_version_flag("--version,-V", std::string("se05x ") + kVersion);
    app.add_option("--port,-p", g.port,
                   "connection string (as the PKCS#11 module: i2c:/dev/i2c-1:0x48, unix:PATH, jrcp:HOST:PORT); "
                   "default: SE05X_PORT, EX_SSS_BOOT_SSS_PORT, the broker socket if present, then " +
                       std::string(link::kDefaultEndpoint));
    app.add_option("--pin-file", g.pin_file, "read the user PIN from this file (else SE05X_PIN, else a prompt)");
    app.add_option("--so-pin-file", g.so_pin_file, "read the SO PIN from this file (else SE05X_SO_PIN, else a prompt)");
    app.add_option("--lock-file", g.lock_file,
                   "chip lock file for direct I2C links (default: SE05X_LOCK_FILE, else the module's "
                   "lock_file, /run/se05x-pkcs11/chip.lock)");
    app.add_option("--lock-wait", g.lock_wait_s, "seconds to wait for the chip lock file before giving up")
        ->check(CLI::Range(0u, 600u))
        ->default_str("the module's lock_wait_ms, 30 s");
    app.add_option("--scp03", g.scp03,
                   "PlatformSCP03 on a direct link: off, default-keys (the variant's public keys, with a warning) "
                   "or required (the keys of --scp03-key-file); default: SE05X_SCP03, else the module's scp03")
        ->check(CLI::IsMember({"off", "default-keys", "required"}));
    app.add_option("--scp03-key-file", g.scp03_key_file,
                   "the root-only PlatformSCP03 key file (ENC/MAC/DEK lines); default: SE05X_SCP03_KEY_FILE, else "
                   "the module's scp03_key_file");
    app.add_flag("--json", g.json, "machine-readable output on stdout");
    app.footer(exit_code_footer());
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
    add_policy_commands(root, ctx);
    add_scp03_commands(root, ctx);
    // Never parsed as itself: prescan() turns `help X` into `X --help`.
    app.add_subcommand("help", "help for a command: `se05x help token init` = `se05x token init --help`");

    Prescan pre = prescan(app, std::move(args));
    if (pre.kind == Prescan::Kind::Version) {
      std::cout << "se05x " << kVersion << "\n";
      return 0;
    }
    if (pre.kind == Prescan::Kind::Error) return ctx.fail(Exit::Usage, pre.error);
    std::vector<const char*> cargv;
    for (const auto& a : pre.args) cargv.push_back(a.c_str());
    try {
      app.parse(static_cast<int>(cargv.size()), cargv.data());
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);  // --help, --help-all, --version
      return ctx.fail(Exit::Usage, usage_message(app, e));
    }
    for (auto& [sub, action] : reg.actions) {
      if (!sub->parsed()) continue;
      if (auto problem = connection_problem(ctx.connection())) return ctx.fail(Exit::Usage, *problem);
      return action();
    }
    return ctx.fail(Exit::Usage, "no command given (see `se05x --help`)");
  } catch (const std::exception& e) {
    std::cerr << "se05x: error: internal: " << e.what() << "\n";
    return code(Exit::Error);
  }
}

}  // namespace sx::cli
