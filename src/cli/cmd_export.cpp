// `export-cert` and `export-pubkey` (PEM by default, DER with --der).
#include "cli/commands.h"
#include "cli/file_format.h"
#include "cli/keys.h"
#include "cli/objects.h"

namespace sx::cli {
namespace {

struct ExportOpts {
  std::string label, out;
  bool der = false;
};

int emit(Ctx& ctx, const ExportOpts& o, ByteView der, const std::string& pem, const char* what) {
  if (!o.out.empty()) {
    const ByteView data = o.der ? der : ByteView(reinterpret_cast<const uint8_t*>(pem.data()), pem.size());
    if (auto w = write_file(o.out, data); !w) return ctx.fail(Exit::BadInput, w.error().message);
    return ctx.done({{"label", o.label}, {"file", o.out}}, std::string(what) + " written to " + o.out);
  }
  if (o.der && !ctx.json()) {
    std::fwrite(der.data(), 1, der.size(), stdout);
    return 0;
  }
  return ctx.done({{"label", o.label}, {"pem", pem}, {"der_hex", to_hex(der)}}, pem);
}

int run_export_cert(Ctx& ctx, const ExportOpts& o) {
  if (auto rc = ctx.open()) return *rc;
  const auto g = group_of(ctx.token(), o.label);
  if (!g.cert) return ctx.fail(Exit::NotFound, "no certificate labelled '" + o.label + "'");
  return emit(ctx, o, g.cert->value, pem_certificate(g.cert->value), "Certificate");
}

int run_export_pubkey(Ctx& ctx, const ExportOpts& o) {
  if (auto rc = ctx.open()) return *rc;
  const auto g = group_of(ctx.token(), o.label);
  const token::Object* k = g.pub ? g.pub : g.priv;
  if (!k) return ctx.fail(Exit::NotFound, "no key labelled '" + o.label + "'");
  auto spki = public_key_spki(*k);
  if (!spki) return ctx.fail(spki.error(), "public key");
  return emit(ctx, o, *spki, pem_public_key(*spki), "Public key");
}

void add_one(Command& app, Ctx& ctx, const char* name, const char* help,
             int (*fn)(Ctx&, const ExportOpts&)) {
  add_command<ExportOpts>(app, ctx, name, help, fn, [](Command& c, ExportOpts& o) {
    c.required("--label,-l", o.label, "label");
    c.option("--out,-o", o.out, "file (default: stdout)");
    c.flag("--der", o.der, "DER instead of PEM");
  });
}

}  // namespace

void add_export_commands(Command& app, Ctx& ctx) {
  add_one(app, ctx, "export-cert", "write the certificate with this label", run_export_cert);
  add_one(app, ctx, "export-pubkey", "write the public key with this label (SubjectPublicKeyInfo)", run_export_pubkey);
}

}  // namespace sx::cli
