// `adopt`, `relabel`, `delete`: metadata and lifetime of existing objects.
#include <unistd.h>

#include <iostream>
#include <map>

#include "cli/chip_policy.h"
#include "cli/commands.h"
#include "cli/keys.h"
#include "cli/objects.h"
#include "cli/parse.h"

namespace sx::cli {
namespace {

struct AdoptOpts {
  std::string key, cert, label, id;
};
struct RelabelOpts {
  std::string label, object, new_label, new_id;
};
struct DeleteOpts {
  std::string label, object;
  bool yes = false;
};

// The objects a command acts on: every view with the label, or every view of one chip object.
std::optional<int> select_targets(Ctx& ctx, const std::string& label, const std::string& object,
                                  std::vector<const token::Object*>& out) {
  if (label.empty() == object.empty()) return ctx.fail(Exit::Usage, "give exactly one of --label or --object");
  if (!label.empty()) {
    out = group_of(ctx.token(), label).all;
    if (out.empty()) return ctx.fail(Exit::NotFound, "no object labelled '" + label + "' (see `se05x list`)");
    return std::nullopt;
  }
  auto id = parse_chip_id(object);
  if (!id) return ctx.fail(Exit::Usage, id.error().message);
  for (const auto& o : ctx.token().objects())
    if (o.chip_id == *id) out.push_back(&o);
  if (out.empty()) return ctx.fail(Exit::NotFound, "no chip object " + hex_id(*id) + " (see `se05x list`)");
  return std::nullopt;
}

// One view per chip object (a pair's private view stands for both).
std::vector<token::ObjectRef> per_chip_object(const std::vector<const token::Object*>& views) {
  std::map<uint32_t, token::ObjectRef> m;
  for (const auto* o : views) {
    auto it = m.find(o->chip_id);
    if (it == m.end() || o->cls == token::ObjectClass::PrivateKey) m[o->chip_id] = o->ref();
  }
  std::vector<token::ObjectRef> out;
  for (const auto& [id, r] : m) out.push_back(r);
  return out;
}

// Adopting gives a key a label, not a policy: the chip keeps the policy the key
// was made with (docs/chip-pin.md §5). Empty when only the user's session may use it.
std::string adopt_policy_warning(Ctx& ctx, uint32_t key) {
  auto p = read_object_policy(ctx.token(), key);
  if (!p) return "the chip policy of key " + hex_id(key) + " could not be read (" + p.error().message + ")";
  const uint32_t foreign = uses_outside_user_session(*p);
  if (foreign == 0) return "";
  return "key " + hex_id(key) + " is not PIN-protected by the chip: its policy lets sessions other than the user's (" +
         se05x::rights_in_words(foreign) + ") use it without the PIN, and adopting cannot change a policy; "
         "`se05x policy show " + hex_id(key) + "` shows it, `se05x keygen` makes a protected key";
}

int run_adopt(Ctx& ctx, const AdoptOpts& o) {
  if (auto s = check_label(o.label); !s) return ctx.fail(Exit::Usage, s.error().message);
  auto kid = parse_chip_id(o.key);
  if (!kid) return ctx.fail(Exit::Usage, kid.error().message);
  auto cid = parse_chip_id(o.cert);
  if (!cid) return ctx.fail(Exit::Usage, cid.error().message);
  std::optional<Bytes> id;
  if (!o.id.empty()) {
    auto r = parse_ckid(o.id);
    if (!r) return ctx.fail(Exit::Usage, r.error().message);
    id = *r;
  }
  if (auto rc = ctx.open()) return *rc;
  // Login first: a PIN check may update the token, which invalidates object pointers.
  if (auto rc = ctx.login_user()) return *rc;
  auto& tok = ctx.token();
  const token::Object* key = tok.find({*kid, token::ObjectClass::PrivateKey});
  if (!key) return ctx.fail(Exit::NotFound, "chip object " + hex_id(*kid) + " is not a private key (see `se05x list`)");
  const token::Object* cert = tok.find({*cid, token::ObjectClass::Certificate});
  if (!cert) return ctx.fail(Exit::NotFound, "chip object " + hex_id(*cid) + " is not a certificate (see `se05x list`)");
  auto kp = object_public_key(*key);
  auto cp = cert_public_key(cert->value);
  if (!kp || !cp || !same_public_key(kp->get(), cp->get()))
    return ctx.fail(Exit::Mismatch, "certificate " + hex_id(*cid) + " does not belong to key " + hex_id(*kid));
  const Bytes ckid = id ? *id : key->id;
  if (ckid.empty()) return ctx.fail(Exit::Usage, "the key has no ID; give one with --id");
  const std::set<uint32_t> ours{*kid, *cid};
  if (auto rc = require_label_free(ctx, o.label, ours)) return *rc;
  if (auto rc = require_id_free(ctx, ckid, ours)) return *rc;
  token::AttributeUpdate u;
  u.label = o.label;
  u.id = ckid;
  // Both in one metadata commit: never the key adopted and the certificate not.
  if (auto s = tok.set_attributes({{{*kid, token::ObjectClass::PrivateKey}, u}, {{*cid, token::ObjectClass::Certificate}, u}});
      !s)
    return ctx.fail(s.error(), "adopting the key and certificate (nothing changed)");
  nlohmann::json warnings = nlohmann::json::array();
  if (const std::string w = adopt_policy_warning(ctx, *kid); !w.empty()) {
    // On stderr with --json too: a warning is for whoever runs the command.
    std::cerr << "se05x: warning: " << w << "\n";
    warnings.push_back(w);
  }
  return ctx.done({{"label", o.label}, {"id", id_text(ckid)}, {"key_chip_id", hex_id(*kid)}, {"cert_chip_id", hex_id(*cid)},
                   {"warnings", warnings}},
                  "Key " + hex_id(*kid) + " and certificate " + hex_id(*cid) + " are now '" + o.label + "' (ID " +
                      id_text(ckid) + ")");
}

int run_relabel(Ctx& ctx, const RelabelOpts& o) {
  if (o.new_label.empty() && o.new_id.empty()) return ctx.fail(Exit::Usage, "give --new-label and/or --new-id");
  if (!o.new_label.empty())
    if (auto s = check_label(o.new_label); !s) return ctx.fail(Exit::Usage, s.error().message);
  std::optional<Bytes> nid;
  if (!o.new_id.empty()) {
    auto r = parse_ckid(o.new_id);
    if (!r) return ctx.fail(Exit::Usage, r.error().message);
    nid = *r;
  }
  if (auto rc = ctx.open()) return *rc;
  if (auto rc = ctx.login_user()) return *rc;
  std::vector<const token::Object*> views;
  if (auto rc = select_targets(ctx, o.label, o.object, views)) return *rc;
  std::set<uint32_t> ours;
  for (const auto* v : views) ours.insert(v->chip_id);
  const auto refs = per_chip_object(views);
  if (!o.new_label.empty())
    if (auto rc = require_label_free(ctx, o.new_label, ours)) return *rc;
  if (nid)
    if (auto rc = require_id_free(ctx, *nid, ours)) return *rc;
  token::AttributeUpdate u;
  if (!o.new_label.empty()) u.label = o.new_label;
  u.id = nid;
  // Every chip object in one metadata commit: a key and its certificate are
  // never left under different labels.
  nlohmann::json changed = nlohmann::json::array();
  std::vector<std::pair<token::ObjectRef, token::AttributeUpdate>> updates;
  for (const auto& r : refs) {
    updates.emplace_back(r, u);
    changed.push_back(hex_id(r.chip_id));
  }
  if (auto s = ctx.token().set_attributes(updates); !s) return ctx.fail(s.error(), "relabelling (nothing changed)");
  return ctx.done({{"changed", changed}, {"label", o.new_label}},
                  "Relabelled " + std::to_string(changed.size()) + " chip object(s)");
}

bool confirm(const std::string& question) {
  std::cerr << question << " [y/N] " << std::flush;
  std::string a;
  if (!std::getline(std::cin, a)) return false;
  return a == "y" || a == "Y" || a == "yes";
}

int run_delete(Ctx& ctx, const DeleteOpts& o) {
  if (auto rc = ctx.open()) return *rc;
  std::vector<const token::Object*> views;
  if (auto rc = select_targets(ctx, o.label, o.object, views)) return *rc;
  auto refs = per_chip_object(views);
  // Certificates before keys: an interruption never leaves a certificate without its key.
  std::stable_partition(refs.begin(), refs.end(), [](const token::ObjectRef& r) { return r.cls == token::ObjectClass::Certificate; });
  if (!o.yes) {
    if (!::isatty(STDIN_FILENO) || ctx.json()) return ctx.fail(Exit::Declined, "refusing to delete without --yes (no terminal to ask)");
    std::string what;
    for (const auto& r : refs) what += " " + hex_id(r.chip_id);
    if (!confirm("Delete chip object(s)" + what + "?")) return ctx.fail(Exit::Declined, "not deleted");
  }
  if (auto rc = ctx.login_user()) return *rc;
  nlohmann::json deleted = nlohmann::json::array(), reset = nlohmann::json::array();
  for (const auto& r : refs) {
    const token::Object* obj = ctx.token().find(r);
    if (obj && obj->factory) {
      // Factory objects cannot be deleted; give them back their default names.
      if (auto s = ctx.token().forget(r.chip_id); !s) return ctx.fail(s.error(), "resetting " + hex_id(r.chip_id));
      reset.push_back(hex_id(r.chip_id));
      continue;
    }
    if (auto s = ctx.token().destroy(r); !s) return ctx.fail(s.error(), "deleting " + hex_id(r.chip_id));
    deleted.push_back(hex_id(r.chip_id));
  }
  std::string text = "Deleted " + std::to_string(deleted.size()) + " chip object(s)";
  if (!reset.empty()) text += "; " + std::to_string(reset.size()) + " factory object(s) kept, their label and ID reset";
  return ctx.done({{"deleted", deleted}, {"factory_reset", reset}}, text);
}

}  // namespace

void add_object_commands(Command& app, Ctx& ctx) {
  add_command<AdoptOpts>(
      app, ctx, "adopt", "present existing chip objects (factory or other tools) under one label and ID", run_adopt,
      [](Command& c, AdoptOpts& o) {
        c.required("--key", o.key, "chip object ID of the key, e.g. 0xF0000100");
        c.required("--cert", o.cert, "chip object ID of its certificate, e.g. 0xF0000101");
        c.required("--label,-l", o.label, "label to give both");
        c.option("--id", o.id, "CKA_ID in hex (default: the key's current ID)");
      });

  add_command<RelabelOpts>(
      app, ctx, "relabel", "change the label and/or ID of objects", run_relabel,
      [](Command& c, RelabelOpts& o) {
        c.option("--label,-l", o.label, "objects with this label");
        c.option("--object", o.object, "or: the chip object with this ID (hex)");
        c.option("--new-label", o.new_label, "new label");
        c.option("--new-id", o.new_id, "new CKA_ID in hex");
      });

  add_command<DeleteOpts>(
      app, ctx, "delete", "delete objects (asks first unless --yes)", run_delete,
      [](Command& c, DeleteOpts& o) {
        c.option("--label,-l", o.label, "objects with this label");
        c.option("--object", o.object, "or: the chip object with this ID (hex)");
        c.flag("--yes,-y", o.yes, "do not ask");
      });
}

}  // namespace sx::cli
