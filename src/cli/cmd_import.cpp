// `import-cert` (certificate for an existing key) and `import` (key + certificate from files).
#include <iostream>
#include <optional>
#include <set>

#include "cli/commands.h"
#include "cli/file_format.h"
#include "cli/keys.h"
#include "cli/objects.h"
#include "cli/parse.h"

namespace sx::cli {
namespace {

struct ImportCertOpts {
  std::string label, file;
  bool replace = false;
};
struct ImportOpts {
  std::string label, id, key, cert, password_file;
};

// Reads and parses a certificate file; failures are BadInput with the file named.
std::optional<int> read_cert(Ctx& ctx, const std::string& path, Bytes& der) {
  auto data = read_file(path);
  if (!data) return ctx.fail(Exit::BadInput, data.error().message);
  auto c = load_certificate(*data);
  if (!c) return ctx.fail(Exit::BadInput, path + ": " + c.error().message);
  der = std::move(*c);
  return std::nullopt;
}

std::optional<int> require_match(Ctx& ctx, const EVP_PKEY* key, ByteView cert_der, const std::string& what) {
  auto cp = cert_public_key(cert_der);
  if (!cp) return ctx.fail(Exit::BadInput, "certificate: " + cp.error().message);
  if (!same_public_key(key, cp->get()))
    return ctx.fail(Exit::Mismatch, "the certificate's public key does not match " + what);
  return std::nullopt;
}

int run_import_cert(Ctx& ctx, const ImportCertOpts& o) {
  if (auto s = check_label(o.label); !s) return ctx.fail(Exit::Usage, s.error().message);
  Bytes der;
  if (auto rc = read_cert(ctx, o.file, der)) return *rc;
  if (auto rc = ctx.open()) return *rc;
  // Login first: a PIN check may update the token, which invalidates object pointers.
  if (auto rc = ctx.login_user()) return *rc;
  const auto g = group_of(ctx.token(), o.label);
  if (!g.priv) return ctx.fail(Exit::NotFound, "no private key labelled '" + o.label + "' (see `se05x list`)");
  auto kp = object_public_key(*g.priv);
  if (!kp) return ctx.fail(kp.error(), "key");
  if (auto rc = require_match(ctx, kp->get(), der, "the key labelled '" + o.label + "'")) return *rc;
  if (g.cert && !o.replace)
    return ctx.fail(Exit::Conflict, "key '" + o.label + "' already has a certificate (chip object " +
                                        hex_id(g.cert->chip_id) + "); renew it with `se05x import-cert --replace --label " +
                                        o.label + " FILE`, or remove it alone with `se05x delete --object " +
                                        hex_id(g.cert->chip_id) + " --yes` (`delete --label` removes the key too)");
  std::set<uint32_t> ours{g.priv->chip_id};
  std::optional<uint32_t> old_cert;
  if (g.cert && o.replace) {
    if (g.cert->factory)
      return ctx.fail(Exit::Conflict, "the certificate of '" + o.label + "' (chip object " + hex_id(g.cert->chip_id) +
                                          ") is a factory certificate and cannot be replaced");
    old_cert = g.cert->chip_id;
    ours.insert(*old_cert);
  }
  if (auto rc = require_id_free(ctx, g.priv->id, ours)) return *rc;
  // Still imported (the user may install a certificate ahead of time, or need
  // the old one back), but never silently.
  nlohmann::json warnings = nlohmann::json::array();
  if (const std::string w = cert_validity_warning(der); !w.empty()) {
    // On stderr with --json too: a warning is for whoever runs the command.
    std::cerr << "se05x: warning: " << w << "; imported anyway\n";
    warnings.push_back(w);
  }
  // Object pointers do not survive a token update: keep the ID.
  const Bytes kid = g.priv->id;
  token::NewObject attrs;
  attrs.label = o.label;
  attrs.id = kid;
  // Renewal: the new certificate is in place before the old one goes (one
  // metadata commit switches them; token.h replace_certificate).
  auto ref = old_cert ? ctx.token().replace_certificate(*old_cert, der, attrs) : ctx.token().create_certificate(der, attrs);
  if (!ref) return ctx.fail(ref.error(), old_cert ? "replacing the certificate failed (the old one stays)"
                                                  : "storing the certificate failed");
  nlohmann::json j{{"label", o.label}, {"id", id_text(kid)}, {"chip_id", hex_id(ref->chip_id)}, {"warnings", warnings}};
  if (old_cert) j["replaced_chip_id"] = hex_id(*old_cert);
  return ctx.done(j, std::string(old_cert ? "Certificate replaced" : "Certificate stored") + " with key '" + o.label +
                         "' (ID " + id_text(kid) + ", chip object " + hex_id(ref->chip_id) +
                         (old_cert ? "; the old one, " + hex_id(*old_cert) + ", is deleted" : "") + ")");
}

int run_import(Ctx& ctx, const ImportOpts& o) {
  if (auto s = check_label(o.label); !s) return ctx.fail(Exit::Usage, s.error().message);
  std::optional<Bytes> id;
  if (!o.id.empty()) {
    auto r = parse_ckid(o.id);
    if (!r) return ctx.fail(Exit::Usage, r.error().message);
    id = *r;
  }
  auto data = read_file(o.key);
  if (!data) return ctx.fail(Exit::BadInput, data.error().message);
  PasswordFn pw = [&o]() { return read_secret(o.password_file, "SE05X_KEY_PASSWORD", "Password of " + o.key); };
  auto key = load_private_key(*data, pw);
  secure_wipe(*data);
  if (!key) return ctx.fail(Exit::BadInput, o.key + ": " + key.error().message);
  std::optional<Bytes> cert = std::move(key->cert_der);
  if (!o.cert.empty()) {
    Bytes der;
    if (auto rc = read_cert(ctx, o.cert, der)) return *rc;
    cert = std::move(der);
  }
  if (cert)
    if (auto rc = require_match(ctx, key->pkey.get(), *cert, "the private key in " + o.key)) return *rc;
  if (auto rc = prepare_new_key(ctx, o.label, id)) return *rc;
  token::NewObject attrs;
  attrs.label = o.label;
  attrs.id = id;
  if (cert) {
    // Key and certificate appear together or not at all: one metadata commit
    // makes both visible (a failure or power cut before it leaves neither).
    auto refs = ctx.token().import_private_key_with_certificate(std::move(key->material), *cert, attrs);
    if (!refs) return ctx.fail(refs.error(), "importing the key and its certificate failed");
    const token::Object* k = ctx.token().find(refs->first);
    if (!k) return ctx.fail(Exit::Error, "the imported key is not visible");
    const Bytes kid = k->id;
    const uint32_t kchip = k->chip_id, cchip = refs->second.chip_id;
    return ctx.done({{"label", o.label}, {"id", id_text(kid)}, {"key_chip_id", hex_id(kchip)}, {"cert_chip_id", hex_id(cchip)}},
                    "Imported key '" + o.label + "' (ID " + id_text(kid) + ", chip object " + hex_id(kchip) +
                        ")\nCertificate stored (chip object " + hex_id(cchip) + ")");
  }
  auto ref = ctx.token().import_private_key(std::move(key->material), attrs);
  if (!ref) return ctx.fail(ref.error(), "importing the key failed");
  const token::Object* k = ctx.token().find(*ref);
  if (!k) return ctx.fail(Exit::Error, "the imported key is not visible");
  const Bytes kid = k->id;
  const uint32_t kchip = k->chip_id;
  nlohmann::json j{{"label", o.label}, {"id", id_text(kid)}, {"key_chip_id", hex_id(kchip)}};
  std::string text = "Imported key '" + o.label + "' (ID " + id_text(kid) + ", chip object " + hex_id(kchip) + ")";
  return ctx.done(j, text);
}

}  // namespace

void add_import_commands(Command& app, Ctx& ctx) {
  add_command<ImportCertOpts>(
      app, ctx, "import-cert", "store a certificate (PEM or DER) with the label and ID of its key", run_import_cert,
      [](Command& c, ImportCertOpts& o) {
        c.required("--label,-l", o.label, "label of the key");
        c.required("certificate", o.file, "certificate file");
        c.flag("--replace", o.replace, "renew: replace the key's certificate (the old one stays if anything fails)");
      });

  add_command<ImportOpts>(
      app, ctx, "import", "put an existing private key (and its certificate) into the chip", run_import,
      [](Command& c, ImportOpts& o) {
        c.required("--label,-l", o.label, "label for key and certificate");
        c.option("--id", o.id, "CKA_ID in hex (default: the chip object ID)");
        c.required("--key,-k", o.key, "private key: PEM, DER, PKCS#8 (encrypted too) or PKCS#12");
        c.option("--cert,-c", o.cert, "certificate (PEM or DER); default: the one in the PKCS#12 file");
        c.option("--password-file", o.password_file,
                 "password of an encrypted key / PKCS#12 (else SE05X_KEY_PASSWORD, else a prompt)");
      });
}

}  // namespace sx::cli
