// `policy show OBJECT`: an object's chip policy in words (docs/chip-pin.md §2).
#include <map>
#include <sstream>

#include "cli/chip_policy.h"
#include "cli/commands.h"
#include "cli/objects.h"
#include "cli/parse.h"
#include "cli/printable.h"
#include "se05x/policy.h"
#include "token/id_range.h"

namespace sx::cli {
namespace {

struct PolicyOpts {
  std::string object, label, chip_id;
};

// What a chip object is, for the heading: the token's view, or the module's
// hidden objects by their ID.
std::string describe(const token::Object* o, uint32_t id) {
  if (o != nullptr) {
    std::string origin = o->factory ? "factory" : (o->adopted ? (o->has_metadata ? "adopted" : "other tool") : "module");
    return std::string(token::class_name(o->cls)) + " '" + printable(o->label) + "' (" + origin + ")";
  }
  if (id == token::ids::kUserUserId) return "the user PIN (UserID)";
  if (id == token::ids::kSoUserId) return "the SO PIN (UserID)";
  if (token::ids::is_store_object(id)) return "token metadata";
  return "not listed by the token";
}

// The chip IDs OBJECT names: "0x…" is a chip ID; otherwise a label of the
// token, else hex digits as a chip ID (as --object of the other commands).
std::optional<int> resolve(Ctx& ctx, const PolicyOpts& o, std::vector<uint32_t>& ids) {
  const int given = !o.object.empty() + !o.label.empty() + !o.chip_id.empty();
  if (given != 1) return ctx.fail(Exit::Usage, "give exactly one of OBJECT, --label or --object");
  std::string label = o.label;
  std::string hex = o.chip_id;
  if (!o.object.empty()) {
    const bool prefixed = o.object.rfind("0x", 0) == 0 || o.object.rfind("0X", 0) == 0;
    if (!prefixed && !group_of(ctx.token(), o.object).all.empty()) label = o.object;
    else hex = o.object;
  }
  if (!label.empty()) {
    for (const auto* v : group_of(ctx.token(), label).all)
      if (std::find(ids.begin(), ids.end(), v->chip_id) == ids.end()) ids.push_back(v->chip_id);
    if (ids.empty()) return ctx.fail(Exit::NotFound, "no object labelled '" + printable(label) + "' (see `se05x list`)");
    return std::nullopt;
  }
  auto id = parse_chip_id(hex);
  if (!id) return ctx.fail(Exit::Usage, id.error().message + " (or a label: see `se05x list`)");
  ids.push_back(*id);
  return std::nullopt;
}

const token::Object* view_of(const token::Token& tok, uint32_t id) {
  const token::Object* best = nullptr;
  for (const auto& v : tok.objects())
    if (v.chip_id == id && (best == nullptr || v.cls == token::ObjectClass::PrivateKey)) best = &v;
  return best;
}

int run_policy_show(Ctx& ctx, const PolicyOpts& o) {
  if (auto rc = ctx.open()) return *rc;
  std::vector<uint32_t> ids;
  if (auto rc = resolve(ctx, o, ids)) return *rc;
  auto& tok = ctx.token();
  nlohmann::json arr = nlohmann::json::array();
  std::ostringstream t;
  for (uint32_t id : ids) {
    auto exists = [&]() -> Result<bool> {
      SX_ASSIGN(auto lock, tok.hold_single());
      return tok.client().check_object_exists(id);
    }();
    if (!exists) return ctx.fail(exists.error(), "asking the chip for " + hex_id(id));
    if (!*exists) return ctx.fail(Exit::NotFound, "no chip object " + hex_id(id) + " (see `se05x list`)");
    auto p = read_object_policy(tok, id);
    if (!p) return ctx.fail(p.error(), "reading the attributes of " + hex_id(id));
    const token::Object* v = view_of(tok, id);
    nlohmann::json j = policy_json(*p);
    j["object"] = describe(v, id);
    if (v != nullptr) j["label"] = v->label;
    // "Protected" speaks of using a key: said of private keys only.
    if (v == nullptr || v->cls != token::ObjectClass::PrivateKey) {
      j.erase("pin_protected_by_chip");
      j.erase("uses_outside_user_session");
    }
    arr.push_back(j);
    t << hex_id(id) << "  " << describe(v, id) << "\n";
    for (const auto& line : policy_lines(*p)) t << "  " << line << "\n";
    if (p->auth_object)
      t << "  attempts: " << p->attempts << " failed of " << p->max_attempts << (p->max_attempts == 0 ? " (no limit)" : "")
        << "\n";
    else if (v != nullptr && v->cls == token::ObjectClass::PrivateKey) {
      const uint32_t foreign = uses_outside_user_session(*p);
      if (foreign == 0) t << "  PIN-protected by the chip: yes (only the user's session may use the key)\n";
      else
        t << "  NOT PIN-protected by the chip: " << se05x::rights_in_words(foreign)
          << " without the user's PIN; generate a new key for what the PIN must protect\n";
    }
  }
  return ctx.done({{"objects", arr}}, t.str());
}

}  // namespace

void add_policy_commands(Command& app, Ctx& ctx) {
  Command p = app.subcommand("policy", "the chip's access policies of objects");
  p.require_subcommand();
  add_command<PolicyOpts>(
      p, ctx, "show",
      "an object's chip policy in words: which session (user, SO, any / none) may do what", run_policy_show,
      [](Command& c, PolicyOpts& o) {
        c.option("OBJECT", o.object, "chip ID (0x7B5E0001) or label");
        c.option("--label,-l", o.label, "every chip object with this label (key pair and certificate)");
        c.option("--object", o.chip_id, "one chip object by ID");
      });
}

}  // namespace sx::cli
