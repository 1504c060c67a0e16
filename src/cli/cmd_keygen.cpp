// `keygen` (key pair generated inside the chip, optional CSR) and `csr`.
#include <unistd.h>

#include "cli/commands.h"
#include "cli/file_format.h"
#include "cli/keys.h"
#include "cli/objects.h"
#include "cli/parse.h"
#include "cli/progress.h"

namespace sx::cli {
namespace {

struct KeygenOpts {
  std::string label, id, type = "ec:p256", csr, subject;
};
struct CsrOpts {
  std::string label, subject, out;
};

bool wants_der(const std::string& path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".der") == 0;
}

// PEM (or DER for *.der) to the path, or PEM to stdout when path is empty.
Status emit_csr(const std::string& path, ByteView der) {
  if (path.empty()) return {};
  if (wants_der(path)) return write_file(path, der);
  const std::string pem = pem_csr(der);
  return write_file(path, ByteView(reinterpret_cast<const uint8_t*>(pem.data()), pem.size()));
}

int keygen_on_chip(Ctx& ctx, const KeygenOpts& o, const token::KeySpec& spec_v, const std::optional<Bytes>& id,
                   const Bytes& subject);

int run_keygen(Ctx& ctx, const KeygenOpts& o) {
  if (auto s = check_label(o.label); !s) return ctx.fail(Exit::Usage, s.error().message);
  auto spec = parse_key_type(o.type);
  if (!spec) return ctx.fail(Exit::Usage, spec.error().message);
  std::optional<Bytes> id;
  if (!o.id.empty()) {
    auto r = parse_ckid(o.id);
    if (!r) return ctx.fail(Exit::Usage, r.error().message);
    id = *r;
  }
  Bytes subject;
  if (!o.csr.empty() || !o.subject.empty()) {
    if (o.csr.empty() || o.subject.empty()) return ctx.fail(Exit::Usage, "--csr and --subject go together");
    auto rdns = parse_subject(o.subject);
    if (!rdns) return ctx.fail(Exit::Usage, rdns.error().message);
    auto der = subject_der(*rdns);
    if (!der) return ctx.fail(Exit::Usage, der.error().message);
    subject = *der;
    // Fail on an unwritable CSR path before the chip changes.
    if (auto w = write_file(o.csr, {}); !w) return ctx.fail(Exit::BadInput, w.error().message);
  }
  const int rc = keygen_on_chip(ctx, o, *spec, id, subject);
  if (rc != 0 && !o.csr.empty()) ::unlink(o.csr.c_str());  // no empty CSR left behind
  return rc;
}

int keygen_on_chip(Ctx& ctx, const KeygenOpts& o, const token::KeySpec& spec_v, const std::optional<Bytes>& id,
                   const Bytes& subject) {
  const token::KeySpec* spec = &spec_v;
  if (auto rc = prepare_new_key(ctx, o.label, id)) return *rc;
  token::NewObject attrs;
  attrs.label = o.label;
  attrs.id = id;
  attrs.subject = subject;
  Result<token::ObjectRef> ref = make_error(Errc::Internal, "not run");
  {
    Progress p("Generating " + key_type_name(*spec) + " key in the SE05x...", !ctx.json());
    ref = ctx.token().generate_key_pair(*spec, attrs);
  }
  if (!ref) return ctx.fail(ref.error(), "key generation failed");
  const token::Object* key = ctx.token().find(*ref);
  if (!key) return ctx.fail(Exit::Error, "the new key is not visible after generation");
  nlohmann::json j{{"label", key->label}, {"id", id_text(key->id)}, {"chip_id", hex_id(key->chip_id)},
                   {"type", object_key_type(*key)}};
  std::string text = "Generated " + object_key_type(*key) + " key '" + key->label + "' (ID " + id_text(key->id) +
                     ", chip object " + hex_id(key->chip_id) + ")";
  if (!o.csr.empty()) {
    auto csr = make_csr(ctx.token(), *key, subject);
    if (!csr) return ctx.fail(csr.error(), "the key was generated but the CSR failed");
    if (auto w = emit_csr(o.csr, *csr); !w) return ctx.fail(Exit::BadInput, w.error().message);
    j["csr"] = o.csr;
    text += "\nCSR written to " + o.csr;
  }
  return ctx.done(j, text);
}

int run_csr(Ctx& ctx, const CsrOpts& o) {
  auto rdns = parse_subject(o.subject);
  if (!rdns) return ctx.fail(Exit::Usage, rdns.error().message);
  auto subject = subject_der(*rdns);
  if (!subject) return ctx.fail(Exit::Usage, subject.error().message);
  if (auto rc = ctx.open()) return *rc;
  if (auto rc = ctx.login_user()) return *rc;
  const auto g = group_of(ctx.token(), o.label);
  if (!g.priv) return ctx.fail(Exit::NotFound, "no private key labelled '" + o.label + "' (see `se05x list`)");
  auto csr = make_csr(ctx.token(), *g.priv, *subject);
  if (!csr) return ctx.fail(csr.error(), "CSR");
  const std::string pem = pem_csr(*csr);
  if (!o.out.empty()) {
    if (auto w = emit_csr(o.out, *csr); !w) return ctx.fail(Exit::BadInput, w.error().message);
    return ctx.done({{"label", o.label}, {"csr", o.out}}, "CSR written to " + o.out);
  }
  return ctx.done({{"label", o.label}, {"csr_pem", pem}}, pem);
}

}  // namespace

void add_keygen_commands(Command& app, Ctx& ctx) {
  add_command<KeygenOpts>(
      app, ctx, "keygen", "generate a key pair inside the chip (optionally with a CSR signed by it)", run_keygen,
      [](Command& c, KeygenOpts& o) {
        c.required("--label,-l", o.label, "label of the key (and later of its certificate)");
        c.option("--id", o.id, "CKA_ID in hex (default: the chip object ID)");
        c.option("--type,-t", o.type, "ec:p256 (default), ec:p384, ec:p521, rsa:2048, rsa:3072, rsa:4096; legacy, weak: rsa:1024, rsa:1152");
        c.option("--csr", o.csr, "write a CSR here (PEM; DER when the name ends in .der)");
        c.option("--subject,-s", o.subject, "CSR subject, e.g. \"CN=my-thing,O=Acme\"");
      });

  add_command<CsrOpts>(
      app, ctx, "csr", "a certificate signing request for an existing key, signed by the chip", run_csr,
      [](Command& c, CsrOpts& o) {
        c.required("--label,-l", o.label, "label of the key");
        c.required("--subject,-s", o.subject, "subject, e.g. \"CN=my-thing\"");
        c.option("--out,-o", o.out, "file to write (default: PEM on stdout)");
      });
}

}  // namespace sx::cli
