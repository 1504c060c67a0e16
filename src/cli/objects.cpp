#include "cli/objects.h"

#include <map>

#include "cli/keys.h"
#include "cli/parse.h"
#include "cli/printable.h"

namespace sx::cli {

using token::ObjectClass;

LabelGroup group_of(const token::Token& t, const std::string& label) {
  LabelGroup g;
  for (const auto* o : t.find_label(label)) {
    g.all.push_back(o);
    if (o->cls == ObjectClass::PrivateKey && !g.priv) g.priv = o;
    if (o->cls == ObjectClass::PublicKey && !g.pub) g.pub = o;
    if (o->cls == ObjectClass::Certificate && !g.cert) g.cert = o;
  }
  return g;
}

std::optional<int> require_label_free(Ctx& ctx, const std::string& label, const std::set<uint32_t>& exclude) {
  for (const auto& o : ctx.token().objects()) {
    if (o.cls == ObjectClass::Data || exclude.count(o.chip_id) != 0 || o.label != label) continue;
    return ctx.fail(Exit::Conflict, "label '" + label + "' is already used by the " + token::class_name(o.cls) +
                                        " at chip object " + hex_id(o.chip_id) + " (choose another label or delete it)");
  }
  return std::nullopt;
}

std::optional<int> require_id_free(Ctx& ctx, ByteView id, const std::set<uint32_t>& exclude) {
  for (const auto& o : ctx.token().objects()) {
    if (o.cls == ObjectClass::Data || exclude.count(o.chip_id) != 0) continue;
    if (o.id.size() == id.size() && std::equal(id.begin(), id.end(), o.id.begin()))
      return ctx.fail(Exit::Conflict, "ID " + id_text(id) + " is already used by the " + token::class_name(o.cls) +
                                          " '" + printable(o.label) + "' (chip object " + hex_id(o.chip_id) + ")");
  }
  return std::nullopt;
}

std::optional<int> prepare_new_key(Ctx& ctx, const std::string& label, const std::optional<Bytes>& id) {
  if (auto rc = ctx.open()) return rc;
  if (auto rc = ctx.login_user()) return rc;
  if (auto rc = require_label_free(ctx, label)) return rc;
  if (id) return require_id_free(ctx, *id);
  return std::nullopt;
}

std::string id_text(ByteView id) { return to_hex(id); }

nlohmann::json object_json(const token::Object& o) {
  nlohmann::json j;
  j["chip_id"] = hex_id(o.chip_id);
  j["class"] = token::class_name(o.cls);
  j["chip_type"] = token::chip_kind_name(o.chip_kind, o.chip_cert);
  j["label"] = o.label;
  j["id"] = id_text(o.id);
  j["factory"] = o.factory;
  j["adopted"] = o.adopted;
  if (o.key_type != token::KeyType::None) {
    j["key_type"] = object_key_type(o);
    j["bits"] = o.key_type == token::KeyType::Rsa ? o.modulus_bits
                : o.curve == se05x::Curve::NistP521 ? 521u
                : o.curve == se05x::Curve::NistP384 ? 384u : 256u;
  } else {
    j["bytes"] = o.value.size();
  }
  return j;
}

nlohmann::json groups_json(const token::Token& t) {
  // (label, id) -> the key/cert views sharing them.
  std::map<std::pair<std::string, Bytes>, LabelGroup> groups;
  for (const auto& o : t.objects()) {
    if (o.cls == ObjectClass::Data || o.label.empty()) continue;
    auto& g = groups[{o.label, o.id}];
    if (o.cls == ObjectClass::PrivateKey) g.priv = &o;
    if (o.cls == ObjectClass::PublicKey) g.pub = &o;
    if (o.cls == ObjectClass::Certificate) g.cert = &o;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [k, g] : groups) {
    if ((g.priv ? 1 : 0) + (g.pub ? 1 : 0) + (g.cert ? 1 : 0) < 2) continue;
    nlohmann::json j{{"label", k.first}, {"id", id_text(k.second)}};
    if (g.priv) j["private_key"] = hex_id(g.priv->chip_id);
    if (g.pub) j["public_key"] = hex_id(g.pub->chip_id);
    if (g.cert) j["certificate"] = hex_id(g.cert->chip_id);
    const token::Object* key = g.priv ? g.priv : g.pub;
    if (key && g.cert) {
      auto kp = object_public_key(*key);
      auto cp = cert_public_key(g.cert->value);
      j["match"] = kp.ok() && cp.ok() && same_public_key(kp->get(), cp->get());
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace sx::cli
