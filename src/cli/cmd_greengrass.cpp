// `greengrass-config`: complete Greengrass configuration files for a key label,
// for the Java nucleus or for nucleus lite (docs/cli.md, docs/install.md).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "base/bytes.h"
#include "cli/commands.h"
#include "cli/gg_config.h"
#include "cli/module_probe.h"
#include "cli/objects.h"
#include "cli/output_files.h"
#include "cli/parse.h"

namespace sx::cli {
namespace {

struct GgOpts {
  std::string label, module, name = "se050", nucleus = "java", output, owner, provider_module;
  int32_t slot = 0;
  bool force = false;
  GgCloud cloud;
};

bool is_file(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Absolute form of a directory that may not exist yet.
std::string absolute_dir(const std::string& dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  if (!d.empty() && d.front() == '/') return d;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return d;
  return std::string(cwd) + "/" + d;
}

// Everything that can be judged without the chip; an error message or "".
std::string check_arguments(const GgOpts& o, GgParams& p) {
  if (auto s = check_label(o.label); !s)
    return s.error().message + " — rename the key and certificate with `se05x relabel --label OLD --new-label NEW`";
  if (o.nucleus != "java" && o.nucleus != "lite") return "--nucleus must be java or lite";
  p.nucleus = o.nucleus == "lite" ? Nucleus::Lite : Nucleus::Java;
  if (o.name.empty() || o.name.find_first_of(" \t") != std::string::npos) return "--name must be one word";
  p.module_path = o.module.empty() ? default_module_path() : o.module;
  if (p.module_path.front() != '/')
    return "--module must be an absolute path (Greengrass loads the module by that path, not relative to a directory)";
  if (!is_file(p.module_path))
    return "no PKCS#11 module at " + p.module_path + " (install the se05x-pkcs11 package or give --module PATH)";
  if (p.nucleus == Nucleus::Lite) {
    p.provider_module_path = o.provider_module.empty() ? default_provider_module_path() : o.provider_module;
    if (p.provider_module_path.front() != '/') return "--provider-module must be an absolute path";
    if (!o.output.empty() && !is_file(p.provider_module_path))
      return "OpenSSL's pkcs11-provider is not installed at " + p.provider_module_path +
             " (Debian 12: apt-get install -t bookworm-backports pkcs11-provider; or give --provider-module PATH)";
  }
  if (!o.owner.empty() && o.output.empty()) return "--owner needs --output DIR";
  if (o.slot < 0) return "--slot " + std::to_string(o.slot) + " does not exist (slot IDs are not negative)";
  // The slot as the consumer will name it: asked of the module itself.
  const ModuleProbe probe = probe_module(p.module_path, false);
  if (!probe.loaded) return "the PKCS#11 module " + p.module_path + " does not load: " + probe.error;
  const auto want = static_cast<unsigned long>(o.slot);
  if (std::find(probe.slots.begin(), probe.slots.end(), want) == probe.slots.end()) {
    std::string have;
    for (auto s : probe.slots) have += (have.empty() ? "" : ", ") + std::to_string(s);
    return "--slot " + std::to_string(o.slot) + " does not exist (the module offers slot " +
           (have.empty() ? std::string("none") : have) + ")";
  }
  p.slot = o.slot;
  p.label = o.label;
  p.provider_name = o.name;
  p.cloud = o.cloud;
  if (!p.cloud.root_ca.empty() && p.cloud.root_ca.front() != '/') return "--root-ca must be an absolute path";
  if (!o.output.empty()) p.output_dir = absolute_dir(o.output);
  return "";
}

// The user PIN for files under --output: read, and checked against the token
// so a wrong PIN never ends up in a configuration that would spend tries.
std::optional<int> read_checked_pin(Ctx& ctx, GgParams& p) {
  const auto info = ctx.token().info();
  if (!info.user_pin_set) return ctx.fail(Exit::Pin, "the token has no user PIN yet: `se05x token init-pin`");
  if (info.user_locked) return ctx.fail(Exit::Pin, "the user PIN is locked: `se05x token init-pin` (with the SO PIN) sets a new one");
  auto pin = read_secret(ctx.opt().pin_file, "SE05X_PIN", "User PIN (written into the configuration)");
  if (!pin) return ctx.fail(Exit::Pin, pin.error().message);
  // Too short to be the PIN: refused before it could count as a wrong try.
  if (pin->size() < 4) {
    secure_wipe(pin->data(), pin->size());
    return ctx.fail(Exit::Pin, "the user PIN has at least 4 characters; nothing written");
  }
  auto r = ctx.check_pin(token::UserType::User, *pin);
  if (!r) {
    secure_wipe(pin->data(), pin->size());
    return ctx.fail(r.error(), "PIN check");
  }
  if (*r == token::PinResult::Ok) {
    p.pin = std::move(*pin);
    return std::nullopt;
  }
  secure_wipe(pin->data(), pin->size());
  if (*r == token::PinResult::Locked) return ctx.fail(Exit::Pin, "user PIN is locked (too many wrong PINs); nothing written");
  return ctx.fail(Exit::Pin, "wrong user PIN; nothing written");
}

int run_gg(Ctx& ctx, const GgOpts& o) {
  GgParams p;
  if (const std::string err = check_arguments(o, p); !err.empty()) return ctx.fail(Exit::Usage, err);
  WriteOptions wo;
  wo.replace = o.force;
  if (!o.owner.empty()) {
    auto ow = parse_owner(o.owner);
    if (!ow) return ctx.fail(Exit::Usage, ow.error().message);
    wo.owner = *ow;
  }
  if (auto rc = ctx.open()) return *rc;
  const auto g = group_of(ctx.token(), o.label);
  if (!g.priv) return ctx.fail(Exit::NotFound, "no private key labelled '" + o.label + "' (see `se05x list`)");
  if (!g.cert)
    return ctx.fail(Exit::NotFound, "key '" + o.label + "' has no certificate yet: `se05x import-cert --label " + o.label + " CERT`");
  p.token_label = ctx.token().info().label;
  if (p.nucleus == Nucleus::Lite && p.token_label.empty())
    return ctx.fail(Exit::NotFound, "the token has no label for nucleus lite's URIs: `se05x token init --label NAME`");

  // What stdout and JSON show never carries the PIN.
  const std::vector<GgFile> shown = render_greengrass_files(p);
  nlohmann::json files = nlohmann::json::object();
  for (const auto& f : shown) files[f.name] = f.text;
  nlohmann::json j{{"nucleus", o.nucleus},
                   {"label", o.label},
                   {"private_key_uri", private_key_uri(p, p.nucleus == Nucleus::Lite)},
                   {"certificate_uri", certificate_uri(p, p.nucleus == Nucleus::Lite)},
                   {"library", p.module_path},
                   {"slot", p.slot},
                   {"name", p.provider_name},
                   {"files", files},
                   {"written", nlohmann::json::array()}};
  if (o.output.empty()) {
    if (p.nucleus == Nucleus::Lite)
      ctx.note("se05x: nucleus lite also needs " + std::string(kGgOpensslConf) +
               " and systemd drop-ins; `--output DIR` writes them all (with the PIN)");
    return ctx.done(j, shown.front().text);
  }
  if (auto rc = read_checked_pin(ctx, p)) return *rc;
  std::vector<GgFile> real = render_greengrass_files(p);
  auto written = write_files(p.output_dir, real, wo);
  for (auto& f : real) secure_wipe(f.text.data(), f.text.size());
  secure_wipe(p.pin->data(), p.pin->size());
  if (!written) {
    if (written.error().code == Errc::Exists) return ctx.fail(Exit::Conflict, written.error().message);
    return ctx.fail(Exit::Error, "writing the configuration: " + written.error().message + " (nothing written)");
  }
  j["written"] = *written;
  std::string text;
  for (const auto& w : *written) text += "wrote " + w + "\n";
  if (p.nucleus == Nucleus::Lite)
    text += "next: copy " + p.output_dir + "/systemd/* to /etc/systemd/system/, `systemctl daemon-reload`, and add the\n"
            "nucleus-lite user (ggcore) to the '" + std::string(kBrokerGroup) + "' group (docs/install.md)\n";
  return ctx.done(j, text);
}

}  // namespace

void add_greengrass_commands(Command& app, Ctx& ctx) {
  add_command<GgOpts>(
      app, ctx, "greengrass-config", "write the Greengrass configuration for a key label (Java nucleus or nucleus lite)",
      run_gg, [](Command& c, GgOpts& o) {
        c.required("--label,-l", o.label, "label of key and certificate");
        c.option("--nucleus", o.nucleus, "java (default) or lite");
        c.option("--output,-o", o.output,
                 "write the files into this directory, with the user PIN (from --pin-file, SE05X_PIN or a prompt); "
                 "without it one YAML document goes to stdout, with an empty PIN placeholder");
        c.option("--owner", o.owner, "USER[:GROUP] to own the written files the nucleus reads (e.g. ggcore)");
        c.flag("--force", o.force, "replace files that already exist in the output directory");
        c.option("--module", o.module, "PKCS#11 module path, absolute (default: " + default_module_path() + ")");
        c.option("--slot", o.slot, "slot ID (default 0)");
        c.option("--name", o.name, "Java: provider name, one word (default se050)");
        c.option("--provider-module", o.provider_module,
                 "lite: OpenSSL's pkcs11-provider (default: " + default_provider_module_path() + ")");
        c.option("--thing-name", o.cloud.thing_name, "system.thingName");
        c.option("--root-ca", o.cloud.root_ca, "system.rootCaPath (absolute path of the Amazon root CA file)");
        c.option("--root-path", o.cloud.root_path, "the nucleus's root directory (Java: system.rootpath, lite: system.rootPath)");
        c.option("--region", o.cloud.region, "awsRegion of the nucleus component");
        c.option("--role-alias", o.cloud.role_alias, "iotRoleAlias of the nucleus component");
        c.option("--iot-data-endpoint", o.cloud.data_endpoint, "iotDataEndpoint of the nucleus component");
        c.option("--iot-cred-endpoint", o.cloud.cred_endpoint, "iotCredEndpoint of the nucleus component");
      });
}

}  // namespace sx::cli
