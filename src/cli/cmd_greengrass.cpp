// `greengrass-config`: the config.yaml fragment for a key label.
#include "cli/commands.h"
#include "cli/gg_config.h"
#include "cli/objects.h"

namespace sx::cli {
namespace {

struct GgOpts {
  std::string label, module, name = "se050";
  int32_t slot = 0;
};

int run_gg(Ctx& ctx, const GgOpts& o) {
  if (auto rc = ctx.open()) return *rc;
  const auto g = group_of(ctx.token(), o.label);
  if (!g.priv) return ctx.fail(Exit::NotFound, "no private key labelled '" + o.label + "' (see `se05x list`)");
  if (!g.cert)
    return ctx.fail(Exit::NotFound, "key '" + o.label + "' has no certificate yet: `se05x import-cert --label " + o.label + " CERT`");
  if (o.name.empty() || o.name.find_first_of(" \t") != std::string::npos)
    return ctx.fail(Exit::Usage, "--name must be one word");
  GgParams p;
  p.label = o.label;
  p.token_label = ctx.token().info().label;
  p.module_path = o.module.empty() ? default_module_path() : o.module;
  p.provider_name = o.name;
  p.slot = o.slot;
  const std::string yaml = render_nucleus_yaml(p);
  const std::string lite = render_lite_openssl(p);
  nlohmann::json j{{"label", o.label},
                   {"private_key_uri", private_key_uri(p, false)},
                   {"certificate_uri", certificate_uri(p, false)},
                   {"library", p.module_path},
                   {"slot", p.slot},
                   {"name", p.provider_name},
                   {"nucleus_yaml", yaml},
                   {"lite_config", lite}};
  return ctx.done(j, yaml + "\n" + lite);
}

}  // namespace

void add_greengrass_commands(Command& app, Ctx& ctx) {
  auto go = std::make_shared<GgOpts>();
  Command c = app.subcommand("greengrass-config", "print the Greengrass config.yaml fragment for a key label",
                             [&ctx, go] { return run_gg(ctx, *go); });
  c.required("--label,-l", go->label, "label of key and certificate");
  c.option("--module", go->module, "PKCS#11 module path (default: " + default_module_path() + ")");
  c.option("--slot", go->slot, "slot ID (default 0)");
  c.option("--name", go->name, "provider name, one word (default se050)");
}

}  // namespace sx::cli
