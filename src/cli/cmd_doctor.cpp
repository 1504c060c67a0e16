// `doctor`: everything Greengrass needs, each check with what to fix.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include <map>
#include <optional>
#include <sstream>

#include "cli/commands.h"
#include "cli/file_format.h"
#include "cli/gg_config.h"
#include "cli/keys.h"
#include "cli/module_probe.h"
#include "cli/objects.h"
#include "cli/parse.h"
#include "token/mech/mechanism_table.h"

namespace sx::cli {
namespace {

struct DoctorOpts {
  std::string label, module;
};

struct Checks {
  nlohmann::json list = nlohmann::json::array();
  bool failed = false;
  void add(const std::string& name, bool ok, const std::string& msg, const std::string& fix = "", bool warn_only = false) {
    nlohmann::json j{{"check", name}, {"status", ok ? "ok" : warn_only ? "warn" : "fail"}, {"message", msg}};
    if (!ok && !fix.empty()) j["fix"] = fix;
    if (!ok && !warn_only) failed = true;
    list.push_back(std::move(j));
  }
};

void check_label(Checks& c, token::Token& tok, const std::string& label, const token::ChipCapabilities& caps) {
  const std::string p = "'" + label + "': ";
  int keys = 0, certs = 0;
  for (const auto& o : tok.objects()) {
    if (o.label != label) continue;
    keys += o.cls == token::ObjectClass::PrivateKey;
    certs += o.cls == token::ObjectClass::Certificate;
  }
  const auto g = group_of(tok, label);
  c.add("key " + label, g.priv != nullptr, p + (g.priv ? "private key at " + hex_id(g.priv->chip_id) : "no private key"),
        "se05x keygen --label " + label + " ... or se05x import / adopt");
  c.add("certificate " + label, g.cert != nullptr, p + (g.cert ? "certificate at " + hex_id(g.cert->chip_id) : "no certificate"),
        "se05x import-cert --label " + label + " CERT");
  c.add("label unique " + label, keys <= 1 && certs <= 1,
        p + std::to_string(keys) + " private key(s), " + std::to_string(certs) + " certificate(s)",
        "relabel the extra objects with se05x relabel --object ID --new-label ...");
  if (!g.priv || !g.cert) return;
  const bool same_id = !g.priv->id.empty() && g.priv->id == g.cert->id;
  c.add("id " + label, same_id,
        p + "key ID " + (g.priv->id.empty() ? "(empty)" : id_text(g.priv->id)) + ", certificate ID " +
            (g.cert->id.empty() ? "(empty)" : id_text(g.cert->id)),
        "se05x relabel --label " + label + " --new-id HEX (gives both the same ID)");
  auto kp = object_public_key(*g.priv);
  auto cp = cert_public_key(g.cert->value);
  const bool match = kp && cp && same_public_key(kp->get(), cp->get());
  c.add("public keys match " + label, match, p + (match ? "certificate belongs to the key" : "certificate is for another key"),
        "import the certificate issued for this key (se05x csr --label " + label + " ...)");
  if (auto x = x509_from_der(g.cert->value); x) {
    const bool started = X509_cmp_current_time(X509_get0_notBefore(x->get())) < 0;
    const bool not_expired = X509_cmp_current_time(X509_get0_notAfter(x->get())) > 0;
    c.add("certificate dates " + label, started && not_expired,
          p + (!started ? "not valid yet (check the clock)" : !not_expired ? "expired" : "valid now"),
          "get a new certificate, or set the system clock");
  }
  const bool ec = g.priv->key_type == token::KeyType::Ec;
  const auto mechs = token::supported_mechanisms(caps);
  bool have = false;
  for (const auto* m : mechs) have |= m->type == (ec ? CKM_ECDSA : CKM_RSA_PKCS);
  c.add("mechanisms " + label, have, p + (ec ? "ECDSA" : "RSA PKCS#1") + (have ? " available" : " not offered by this chip"),
        "use a key type the chip supports (se05x info)");
  if (!ec) c.add("rsa size " + label, g.priv->modulus_bits >= 2048, p + std::to_string(g.priv->modulus_bits) + " bits",
                 "Greengrass needs RSA >= 2048");
  else c.add("ecc nucleus " + label, true, p + "EC key: needs Greengrass nucleus >= 2.5.6");
}

int run_doctor(Ctx& ctx, const DoctorOpts& o) {
  Checks c;
  const std::string module = o.module.empty() ? default_module_path() : o.module;
  struct stat st{};
  const bool module_file = ::stat(module.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  c.add("module", module_file, "PKCS#11 module " + module, "install the se05x-pkcs11 package or pass --module PATH");
  const std::string lp = ctx.lock_path();
  const bool busy = lock_held_elsewhere(lp);
  c.add("chip lock", !busy, busy ? "another process holds the chip lock " + lp : "chip lock free",
        "another program (Greengrass, an NXP tool) is using the chip; let it finish or stop it");
  // Load the module as Greengrass will and let it find the token with its own
  // configuration — a module that exists but cannot load (missing libssl3, wrong
  // architecture) or that points at another chip is the usual field failure.
  // Probed before this process opens the chip: the module takes the same lock.
  std::optional<ModuleProbe> probe;
  if (module_file && !busy) {
    probe = probe_module(module);
    c.add("module loads", probe->loaded, probe->loaded ? probe->library : probe->error,
          "reinstall se05x-pkcs11 for this architecture; `ldd " + module + "` names a missing library");
  }
  auto check_module_token = [&](const std::string& cli_label, bool cli_reached) {
    if (!probe || !probe->loaded) return;
    const bool same = probe->token_present && (!cli_reached || probe->token_label == cli_label);
    c.add("module token", same,
          !probe->token_present ? "the module finds no token: " + probe->error
          : same                ? "the module sees token '" + probe->token_label + "'"
                                : "the module sees token '" + probe->token_label + "', this command sees '" +
                                      cli_label + "'",
          "the module's connection differs from this command's (" + ctx.connection() +
              "): set port in /etc/se05x-pkcs11.conf (or SE05X_PKCS11_CONF / SE05X_PORT), or start se05xd");
  };
  std::string err;
  bool no_chip = false;
  if (busy || !ctx.try_open(err, no_chip)) {
    if (!busy) c.add("chip", false, err, "check --port / SE05X_PORT, the I2C device, or the se05xd broker");
    check_module_token("", false);
  } else {
    auto& tok = ctx.token();
    c.add("chip", true, "reachable at " + ctx.connection());
    const auto ti = tok.info();
    check_module_token(ti.label, true);
    c.add("token label", !ti.label.empty(), ti.label.empty() ? "token has no label" : "token '" + ti.label + "'",
          "se05x token init --label NAME");
    c.add("user PIN", ti.user_pin_set && !ti.user_locked,
          !ti.user_pin_set ? "no user PIN set" : ti.user_locked ? "user PIN is locked" : "user PIN set, not locked",
          ti.user_locked ? "se05x token init-pin (with the SO PIN)" : "se05x token init-pin");
    token::ChipCapabilities caps;
    if (const auto& v = tok.client().applet_version(); v) caps = token::capabilities_from_version(*v);
    std::vector<std::string> labels;
    if (!o.label.empty()) {
      labels.push_back(o.label);
    } else {
      for (const auto& obj : tok.objects()) {
        if (obj.cls != token::ObjectClass::PrivateKey) continue;
        if (group_of(tok, obj.label).cert) labels.push_back(obj.label);
      }
      c.add("greengrass key", !labels.empty(),
            labels.empty() ? "no key with a certificate under the same label" : std::to_string(labels.size()) + " candidate label(s)",
            "se05x keygen / import / adopt, then se05x import-cert");
    }
    for (const auto& l : labels) check_label(c, tok, l, caps);
  }
  std::ostringstream t;
  for (const auto& j : c.list) {
    const std::string s = j["status"];
    t << (s == "ok" ? "[ ok ] " : s == "warn" ? "[warn] " : "[FAIL] ") << j["check"].get<std::string>() << ": "
      << j["message"].get<std::string>() << "\n";
    if (j.contains("fix")) t << "       fix: " << j["fix"].get<std::string>() << "\n";
  }
  t << (c.failed ? "Problems found." : "Everything Greengrass needs is in place.");
  ctx.done({{"ok", !c.failed}, {"checks", c.list}}, t.str());
  return c.failed ? code(Exit::DoctorFailed) : 0;
}

}  // namespace

void add_doctor_command(Command& app, Ctx& ctx) {
  auto d = std::make_shared<DoctorOpts>();
  Command c = app.subcommand("doctor", "check everything Greengrass needs and say what to fix",
                             [&ctx, d] { return run_doctor(ctx, *d); });
  c.option("--label,-l", d->label, "the key label Greengrass uses (default: every key with a certificate)");
  c.option("--module", d->module, "PKCS#11 module path (default: " + default_module_path() + ")");
}

}  // namespace sx::cli
