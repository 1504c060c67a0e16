// `doctor`: everything Greengrass needs, each check with what to fix.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>

#include "cli/commands.h"
#include "cli/file_format.h"
#include "cli/gg_config.h"
#include "cli/gg_config_read.h"
#include "cli/keys.h"
#include "cli/module_probe.h"
#include "cli/objects.h"
#include "cli/parse.h"
#include "cli/printable.h"
#include "device/token_open.h"
#include "token/mech/mechanism_table.h"
#include "token/pin.h"

namespace sx::cli {
namespace {

struct DoctorOpts {
  std::string label, module, config, nucleus, openssl_conf;
};

// What a Greengrass config.yaml (and, for nucleus lite, its OpenSSL
// configuration) says: the module, slot, PIN and label the nucleus will use.
struct ConfigView {
  bool read = false;
  Nucleus nucleus = Nucleus::Java;
  std::string module;                  // the PKCS#11 module the nucleus loads
  std::optional<long long> slot;       // Java only
  std::optional<std::string> pin;      // what the nucleus will log in with
  std::string label, token;            // from the URIs, decoded as the nucleus decodes
  std::string openssl_conf;            // lite
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

int report(Ctx& ctx, const Checks& c) {
  std::ostringstream t;
  for (const auto& j : c.list) {
    const std::string s = j["status"];
    // Messages quote chip labels and module output: made safe for a terminal.
    t << (s == "ok" ? "[ ok ] " : s == "warn" ? "[warn] " : "[FAIL] ") << printable(j["check"].get<std::string>()) << ": "
      << printable(j["message"].get<std::string>()) << "\n";
    if (j.contains("fix")) t << "       fix: " << printable(j["fix"].get<std::string>()) << "\n";
  }
  t << (c.failed ? "Problems found." : "Everything Greengrass needs is in place.");
  ctx.done({{"ok", !c.failed}, {"checks", c.list}}, t.str());
  return c.failed ? code(Exit::DoctorFailed) : 0;
}

bool placeholder_pin(const std::string& pin) {
  return pin.empty() || (pin.find('<') != std::string::npos && pin.find('>') != std::string::npos);
}

// The key and certificate URIs: both pkcs11:, the right types, one label.
void check_uris(Checks& c, const GgConfigFile& f, ConfigView& v) {
  const bool java = f.nucleus == Nucleus::Java;
  auto parse = [&](const std::string& uri) { return java ? parse_pkcs11_uri_java(uri) : parse_pkcs11_uri(uri); };
  auto key = parse(f.key_uri);
  auto cert = parse(f.cert_uri);
  const std::string how = java ? " (as Greengrass's Java provider decodes it)" : " (as OpenSSL's pkcs11-provider decodes it)";
  if (!key || !cert) {
    c.add("config URIs", false, "privateKeyPath / certificateFilePath: " + (!key ? key.error().message : cert.error().message),
          "se05x greengrass-config --output DIR writes URIs that work");
    return;
  }
  const bool types = (*key)["type"] == "private" && (*cert)["type"] == "cert";
  const std::string kl = (*key)["object"], cl = (*cert)["object"];
  const bool same = !kl.empty() && kl == cl;
  c.add("config URIs", types && same,
        types && same ? "key and certificate both name '" + kl + "'" + how
        : !types      ? "privateKeyPath must say type=private and certificateFilePath type=cert"
                      : "privateKeyPath names '" + kl + "', certificateFilePath '" + cl + "'" + how,
        "give key and certificate one label (se05x relabel) and use se05x greengrass-config --output DIR");
  if (!same) return;
  v.label = kl;
  if (!java) {
    v.token = (*key)["token"];
    if (auto pv = key->find("pin-value"); pv != key->end()) v.pin = pv->second;
  }
}

// Reads the file(s) before anything touches the chip; false when there is
// nothing to go on.
bool read_config(Checks& c, const DoctorOpts& o, ConfigView& v) {
  std::optional<Nucleus> forced;
  if (o.nucleus == "java") forced = Nucleus::Java;
  else if (o.nucleus == "lite") forced = Nucleus::Lite;
  auto f = read_greengrass_config(o.config, forced);
  c.add("config file", static_cast<bool>(f), o.config + (f ? ": " + std::string(f->nucleus == Nucleus::Java ? "Java nucleus" : "nucleus lite") : ": " + f.error().message),
        "se05x greengrass-config --nucleus java|lite --output DIR writes a complete file");
  if (!f) return false;
  v.read = true;
  v.nucleus = f->nucleus;
  check_uris(c, *f, v);
  if (f->nucleus == Nucleus::Java) {
    c.add("provider plugin", f->has_provider, f->has_provider ? "aws.greengrass.crypto.Pkcs11Provider configured" : "no services.aws.greengrass.crypto.Pkcs11Provider",
          "add the Pkcs11Provider block (se05x greengrass-config --nucleus java)");
    v.module = f->library;
    v.slot = f->slot;
    v.pin = f->user_pin;
    if (!f->slot) c.add("config slot", false, "no slot in the Pkcs11Provider configuration", "set slot: 0");
    return true;
  }
  v.openssl_conf = o.openssl_conf;
  if (v.openssl_conf.empty())
    if (const char* e = std::getenv("OPENSSL_CONF"); e != nullptr) v.openssl_conf = e;
  if (v.openssl_conf.empty()) {
    c.add("openssl config", false, "nucleus lite loads the key through OpenSSL: no --openssl-conf and no OPENSSL_CONF",
          "give the services OPENSSL_CONF (the drop-ins of se05x greengrass-config --nucleus lite --output DIR); "
          "check with --openssl-conf FILE");
    return true;
  }
  auto oc = read_openssl_p11_conf(v.openssl_conf);
  const bool ok = oc && oc->found && oc->activated;
  c.add("openssl config", ok,
        v.openssl_conf + ": " + (!oc ? oc.error().message
                                 : !oc->found ? "no provider section with pkcs11-module-path"
                                 : !oc->activated ? "the pkcs11 provider section lacks activate = 1"
                                                  : "pkcs11-provider with " + oc->module_path),
        "se05x greengrass-config --nucleus lite --output DIR writes a working OpenSSL configuration");
  if (!oc || !oc->found) return true;
  const std::string prov = oc->provider_module.empty() ? default_provider_module_path() : oc->provider_module;
  struct stat st{};
  const bool prov_ok = ::stat(prov.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  c.add("pkcs11-provider", prov_ok, "OpenSSL's pkcs11-provider " + prov + (prov_ok ? "" : " is missing"),
        "apt-get install -t bookworm-backports pkcs11-provider (Debian 12), or fix `module =` in " + v.openssl_conf);
  v.module = oc->module_path;
  if (!v.pin) {
    if (oc->pin) v.pin = oc->pin;
    else if (!oc->pin_error.empty()) c.add("config PIN", false, oc->pin_error, "make the PIN file readable by the nucleus user");
  }
  if (prov_ok && ok) {
    const std::string why = try_load_provider(v.openssl_conf);
    c.add("provider loads", why.empty(), why.empty() ? "OpenSSL loads pkcs11-provider with this configuration" : why,
          "check `OPENSSL_CONF=" + v.openssl_conf + " openssl list -providers`");
  }
  return true;
}

// The PIN the nucleus will log in with, checked so that it costs no try when
// it cannot be right, and never the last try.
void check_config_pin(Checks& c, Ctx& ctx, const ConfigView& v) {
  const std::string fix = "put the user PIN into the configuration (se05x greengrass-config --output DIR)";
  if (!v.pin) {
    c.add("config PIN", false, v.nucleus == Nucleus::Java ? "no userPin" : "no PIN (pkcs11-module-token-pin or pin-value)", fix);
    return;
  }
  if (placeholder_pin(*v.pin)) {
    c.add("config PIN", false, "the PIN is empty or a placeholder; not tried (it would fail on every start)", fix);
    return;
  }
  if (v.pin->size() < 4) {
    c.add("config PIN", false, "the PIN is shorter than 4 characters; not tried", fix);
    return;
  }
  const auto ti = ctx.token().info();
  if (ti.user_locked) return;  // reported by the "user PIN" check
  const int left = static_cast<int>(ti.user_max) - static_cast<int>(ti.user_failures);
  if (left <= 1) {
    c.add("config PIN", false, "not tried: only 1 try is left before the user PIN locks",
          "check the PIN by hand, or set a new one with se05x token init-pin (SO PIN)", true);
    return;
  }
  ctx.note("doctor: trying the configuration's PIN (a wrong PIN costs one of " + std::to_string(left) + " tries left)");
  auto r = ctx.check_pin(token::UserType::User, *v.pin);
  const bool ok = r && *r == token::PinResult::Ok;
  c.add("config PIN", ok,
        ok ? "the token accepts the configuration's PIN"
        : !r ? "PIN check failed: " + r.error().message
             : "the token refuses the configuration's PIN (" + std::to_string(left - 1) + " tries left)",
        fix);
}

// The module path the nucleus will load: from the config when one was read
// (which must name it absolutely), else --module or the default. Empty when
// the config names a relative path (reported; nothing further is checked).
std::string module_to_check(Checks& c, const DoctorOpts& o, const ConfigView& cv) {
  std::string module = o.module.empty() ? default_module_path() : o.module;
  if (cv.read) {
    if (!cv.module.empty()) module = cv.module;
    const bool abs = !module.empty() && module.front() == '/';
    c.add("config library", abs, (cv.nucleus == Nucleus::Java ? "library: " : "pkcs11-module-path: ") + module,
          "use the module's absolute path, e.g. " + default_module_path());
    if (!abs) return "";
  }
  return module;
}

// Load the module as Greengrass will and let it find the token with its own
// configuration — a module that exists but cannot load (missing libssl3, wrong
// architecture) or that points at another chip is the usual field failure.
// Probed before this process opens the chip: the module takes the same lock.
std::optional<ModuleProbe> probe_step(Checks& c, const std::string& module, const ConfigView& cv) {
  std::optional<ModuleProbe> probe = probe_module(module);
  c.add("module loads", probe->loaded, probe->loaded ? probe->library : probe->error,
        "reinstall se05x-pkcs11 for this architecture; `ldd " + module + "` names a missing library");
  if (probe->loaded && cv.slot) {
    bool have = false;
    for (auto s : probe->slots) have |= *cv.slot >= 0 && s == static_cast<unsigned long>(*cv.slot);
    c.add("config slot", have, "slot " + std::to_string(*cv.slot) + (have ? " exists" : " does not exist in the module"),
          "set slot: 0 (the module's one slot)");
  }
  return probe;
}

// What the module logged during the probe belongs to its check, not
// between doctor's lines.
std::string module_said(const std::optional<ModuleProbe>& probe) {
  if (!probe || probe->log.empty()) return "";
  std::string l = probe->log;
  for (char& ch : l)
    if (ch == '\n') ch = ' ';
  if (l.size() > 400) l = l.substr(0, 400) + "...";
  return " (the module logged: " + l + ")";
}

void check_module_token(Checks& c, Ctx& ctx, const std::optional<ModuleProbe>& probe, const std::string& cli_label,
                        bool cli_reached, bool cli_no_chip) {
  if (!probe || !probe->loaded) return;
  const bool same = probe->token_present && (!cli_reached || probe->token_label == cli_label);
  // Neither this command nor the module reaches the chip: the chip (or its
  // link) is down, whatever the configuration says.
  if (!probe->token_present && cli_no_chip) {
    c.add("module token", false, "the chip is unreachable: the module finds no token either" + module_said(probe),
          "check that the chip is powered and connected (the I2C device, SE05X_PORT) or that se05xd runs and "
          "reaches it (`se05x info` through it shows the broker's state)");
    return;
  }
  c.add("module token", same,
        !probe->token_present ? "the module finds no token: " + probe->error + module_said(probe)
        : same                ? "the module sees token '" + probe->token_label + "'"
                              : "the module sees token '" + probe->token_label + "', this command sees '" +
                                    cli_label + "'",
        "the module's connection differs from this command's (" + ctx.connection() +
            "): set port in /etc/se05x-pkcs11.conf (or SE05X_PKCS11_CONF / SE05X_PORT), or start se05xd");
}

// RSA below 2048 bits is made for legacy clients only (docs/mechanisms.md, RSA
// sizes): a warning for each such key on the chip, whatever its label.
void check_rsa_sizes(Checks& c, token::Token& tok) {
  for (const auto& o : tok.objects()) {
    if (o.cls != token::ObjectClass::PrivateKey || o.key_type != token::KeyType::Rsa || o.modulus_bits >= 2048) continue;
    c.add("weak rsa key " + o.label, false,
          "'" + o.label + "': RSA-" + std::to_string(o.modulus_bits) + " at " + hex_id(o.chip_id) + " (below 2048 bits)",
          "replace it with an RSA >= 2048 or EC key (se05x keygen --type rsa:2048)", true);
  }
}

// The token's label and PINs, then the labels to check: the config's, --label's
// or every key with a certificate.
void check_token(Checks& c, Ctx& ctx, const DoctorOpts& o, const ConfigView& cv, const token::TokenInfo& ti) {
  auto& tok = ctx.token();
  c.add("token label", !ti.label.empty(), ti.label.empty() ? "token has no label" : "token '" + ti.label + "'",
        "se05x token init --label NAME");
  // With the SO PIN locked, init-pin cannot help: the way out is a reset.
  // A chip-PIN token's SO UserID cannot be replaced: only the chip's DeleteAll (docs/cli.md).
  const std::string reset_fix =
      ti.chip_pin ? "se05x token reset --factory (destroys every key, certificate and PIN on the chip; factory objects stay)"
                  : "se05x token reset --yes --label NAME (new SO PIN; deletes the module's keys and certificates, "
                    "factory objects stay)";
  if (ti.initialized)
    c.add("SO PIN", !ti.so_locked, ti.so_locked ? "SO PIN is locked" : "SO PIN set, not locked", reset_fix);
  c.add("user PIN", ti.user_pin_set && !ti.user_locked,
        !ti.user_pin_set ? "no user PIN set" : ti.user_locked ? "user PIN is locked" : "user PIN set, not locked",
        ti.so_locked    ? reset_fix
        : ti.user_locked ? "se05x token init-pin (with the SO PIN)"
                         : "se05x token init-pin");
  const token::ChipCapabilities caps = device::chip_facts(tok.client()).caps;
  std::vector<std::string> labels;
  if (cv.read) {
    if (!cv.token.empty())
      c.add("config token", cv.token == ti.label, "the URIs name token '" + cv.token + "', the chip's token is '" + ti.label + "'",
            "use token=" + uri_escape(ti.label) + " in the URIs");
    if (!cv.label.empty()) labels.push_back(cv.label);
    if (!ti.user_locked && ti.user_pin_set) check_config_pin(c, ctx, cv);
  } else if (!o.label.empty()) {
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
  check_rsa_sizes(c, tok);
}

int run_doctor(Ctx& ctx, const DoctorOpts& o) {
  Checks c;
  ConfigView cv;
  if (!o.config.empty() && !read_config(c, o, cv)) return report(ctx, c);
  const std::string module = module_to_check(c, o, cv);
  if (module.empty()) return report(ctx, c);
  struct stat st{};
  const bool module_file = ::stat(module.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  c.add("module", module_file, "PKCS#11 module " + module, "install the se05x-pkcs11 package or pass --module PATH");
  // The lock file serialises processes on a direct I2C link only; behind
  // se05xd the broker does, and the file is not consulted.
  const std::string lp = ctx.lock_path();
  const bool busy = uses_lock_file(ctx.connection()) && lock_held_elsewhere(lp);
  if (uses_lock_file(ctx.connection()))
    c.add("chip lock", !busy, busy ? "another process holds the chip lock " + lp : "chip lock free",
          "another program (Greengrass, an NXP tool) is using the chip; let it finish or stop it");
  std::optional<ModuleProbe> probe;
  if (module_file && !busy) probe = probe_step(c, module, cv);
  std::string err;
  bool no_chip = false;
  if (busy || !ctx.try_open(err, no_chip)) {
    if (!busy)
      c.add("chip", false, no_chip ? "chip unreachable: " + err : err,
            "check --port / SE05X_PORT, the I2C device, or the se05xd broker");
    check_module_token(c, ctx, probe, "", false, !busy && no_chip);
  } else {
    c.add("chip", true, "reachable at " + ctx.connection());
    const auto ti = ctx.token().info();
    check_module_token(c, ctx, probe, ti.label, true, false);
    check_token(c, ctx, o, cv, ti);
  }
  return report(ctx, c);
}

}  // namespace

void add_doctor_command(Command& app, Ctx& ctx) {
  add_command<DoctorOpts>(
      app, ctx, "doctor", "check everything Greengrass needs and say what to fix", run_doctor,
      [](Command& c, DoctorOpts& o) {
        c.option("--label,-l", o.label, "the key label Greengrass uses (default: every key with a certificate)");
        c.option("--module", o.module, "PKCS#11 module path (default: " + default_module_path() + ")");
        c.option("--config", o.config,
                 "check a Greengrass config.yaml as the nucleus reads it: module, slot, URIs, label and ID, PIN");
        c.option("--nucleus", o.nucleus, "java or lite (default: told from the --config file)");
        c.option("--openssl-conf", o.openssl_conf, "nucleus lite: the OpenSSL configuration its services use (default: OPENSSL_CONF)");
      });
}

}  // namespace sx::cli

