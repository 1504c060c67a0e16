// WriteECKey: generate on chip, import pair / private / public, update an existing key.
#include "sim/applet.h"
#include "sim/curves.h"
#include "sim/ec_crypto.h"

namespace sx::sim {

namespace t = se05x::tag;

namespace {

struct Material {
  bool ok = false;
  Bytes priv, pub;
  bool generated = false;
};

// Builds the key material for `kind` from TAG_3 (d) / TAG_4 (Q), or generates a pair.
Material make_material(ObjectKind kind, const CurveInfo& c, std::optional<ByteView> d, std::optional<ByteView> q) {
  Material m;
  if (kind == ObjectKind::EcPair && !d && !q) {
    auto g = ec_generate(c);
    if (!g) return m;
    m.priv = std::move(g->priv);
    m.pub = std::move(g->pub);
    m.generated = m.ok = true;
    return m;
  }
  if ((kind == ObjectKind::EcPair && (!d || !q)) || (kind == ObjectKind::EcPrivate && !d) || (kind == ObjectKind::EcPublic && (!q || d)))
    return m;
  if (d) {
    // The MW strips a DER leading 00; accept shorter scalars and pad.
    ByteView s = ossl::strip_zeros(*d);
    if (s.empty() || s.size() > c.bytes()) return m;
    m.priv.assign(c.bytes() - s.size(), 0);
    m.priv.insert(m.priv.end(), s.begin(), s.end());
    auto pub = ec_public_from_private(c, m.priv);
    if (!pub) return m;
    m.pub = std::move(*pub);
  }
  if (q) {
    // [U] the chip is not known to check that an imported Q matches d; neither do we.
    if (!ec_point_valid(c, *q)) return m;
    m.pub.assign(q->begin(), q->end());
  }
  m.ok = true;
  return m;
}

}  // namespace

Applet::Reply Applet::on_WriteECKey(const Request& r) {
  op_.op = Op::WriteKey;
  if (r.opt(t::kMaxAttempts)) return sw(sw_choice::kBadTlv);
  const uint32_t id = r.u32(t::k1);
  const auto curve = r.opt_u8(t::k2);
  const auto d = r.opt(t::k3), q = r.opt(t::k4);
  const uint8_t part = r.apdu.header.p1 & se05x::p1::kKeyPartMask;

  if (SecureObject* o = find(id)) {
    // Existing object: key-part bits and policy are ignored, the curve must not change.
    if (!is_ec(o->kind)) return sw(sw_choice::kExists);
    if (curve && *curve != o->curve) return sw(sw_choice::kExists);
    if (o->origin == se05x::Origin::Provisioned || !may(*o))
      return sw(sw_choice::kDenied);
    const CurveInfo* info = find_curve(o->curve);
    if (!info) return sw(sw_choice::kWrongType);
    Material m = make_material(o->kind, *info, d, q);
    if (!m.ok) return sw(sw_choice::kBadTlv);
    if (m.generated) op_ = {Op::EcKeygen, info->bits, 0};
    return sw(commit(
        [id, m](Store& s) {
          auto& obj = s.objects.at(id);
          obj.ec_priv = m.priv;
          obj.ec_pub = m.pub;
        },
        nullptr, !o->transient));
  }

  if (part == 0 || !curve) return sw(sw_choice::kBadTlv);
  const CurveInfo* info = find_curve(*curve);
  if (!info || !curve_usable(info->id)) return sw(sw_choice::kBadTlv);  // [U] curve not created: 6A80
  SecureObject n;
  n.id = id;
  n.kind = part == se05x::p1::kKeyPair ? ObjectKind::EcPair : part == se05x::p1::kPrivate ? ObjectKind::EcPrivate : ObjectKind::EcPublic;
  n.curve = info->id;
  n.transient = r.transient();
  if (auto p = r.opt(t::kPolicy)) n.policy.assign(p->begin(), p->end());
  if (const uint16_t code = check_new_object(n); code != se05x::sw::kOk) return sw(code);
  Material m = make_material(n.kind, *info, d, q);
  if (!m.ok) return sw(sw_choice::kBadTlv);
  if (m.generated) {
    op_ = {Op::EcKeygen, info->bits, 0};
    n.origin = se05x::Origin::Internal;
  }
  n.ec_priv = std::move(m.priv);
  n.ec_pub = std::move(m.pub);
  const bool persistent = !n.transient;
  return sw(commit([n](Store& s) { s.objects.emplace(n.id, n); }, nullptr, persistent));
}

}  // namespace sx::sim
