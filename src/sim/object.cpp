#include "sim/object.h"

#include "sim/curves.h"

namespace sx::sim {

using se05x::tag::k10;
using se05x::tag::k3;
using se05x::tag::k4;
using se05x::tag::k5;
using se05x::tag::k6;
using se05x::tag::k7;
using se05x::tag::k8;
using se05x::tag::k9;

bool SecureObject::complete() const {
  if (!is_rsa(kind)) return true;
  auto have = [&](std::initializer_list<uint8_t> tags) {
    for (uint8_t t : tags)
      if (!rsa.count(t)) return false;
    return true;
  };
  switch (kind) {
    case ObjectKind::RsaPublic: return have({k8, k10});
    case ObjectKind::RsaPrivate: return rsa_crt ? have({k3, k4, k5, k6, k7}) : have({k9, k10});
    default: return rsa_crt ? have({k3, k4, k5, k6, k7, k8, k10}) : have({k8, k9, k10});
  }
}

uint8_t type_code(const SecureObject& o, bool per_curve_codes) {
  using T = se05x::ObjectType;
  if (is_ec(o.kind)) {
    const uint8_t part = o.kind == ObjectKind::EcPair ? 0 : o.kind == ObjectKind::EcPrivate ? 1 : 2;
    if (!per_curve_codes) return static_cast<uint8_t>(static_cast<uint8_t>(T::EcKeyPair) + part);
    // 7.2: 0x21 + 4*(curve-1) + part (P-192 21..23, P-256 29..2B, ..., BN-P256 61..63).
    return static_cast<uint8_t>(0x21 + 4 * (o.curve - 1) + part);
  }
  if (o.auth == AuthKind::UserId) return static_cast<uint8_t>(T::UserId);
  switch (o.kind) {
    case ObjectKind::RsaPair: return static_cast<uint8_t>(o.rsa_crt ? T::RsaKeyPairCrt : T::RsaKeyPair);
    case ObjectKind::RsaPrivate: return static_cast<uint8_t>(o.rsa_crt ? T::RsaPrivateCrt : T::RsaPrivate);
    case ObjectKind::RsaPublic: return static_cast<uint8_t>(T::RsaPublic);
    case ObjectKind::Aes: return static_cast<uint8_t>(T::Aes);
    case ObjectKind::Des: return static_cast<uint8_t>(T::Des);
    case ObjectKind::Hmac: return static_cast<uint8_t>(T::Hmac);
    default: return static_cast<uint8_t>(T::BinaryFile);
  }
}

uint16_t object_size(const SecureObject& o) {
  if (is_ec(o.kind)) {
    const CurveInfo* c = find_curve(o.curve);
    return static_cast<uint16_t>(c ? c->bytes() : 0);
  }
  if (is_rsa(o.kind)) return static_cast<uint16_t>(o.rsa_bits / 8);
  return static_cast<uint16_t>(o.data.size());
}

size_t nvm_cost(const SecureObject& o) {
  size_t payload = 0;
  if (is_ec(o.kind)) {
    const CurveInfo* c = find_curve(o.curve);
    const size_t b = c ? c->bytes() : 0;
    payload = (has_private(o.kind) ? b : 0) + (has_public(o.kind) ? 1 + 2 * b : 0);
  } else if (is_rsa(o.kind)) {
    // Allocated from the declared size at creation, whatever has been imported yet.
    const size_t k = o.rsa_bits / 8u, h = k / 2u;
    const size_t pub = k + 4, priv = o.rsa_crt ? 5 * h : k;
    payload = o.kind == ObjectKind::RsaPublic ? pub : o.kind == ObjectKind::RsaPrivate ? priv : pub + priv;
  } else {
    payload = o.data.size();
  }
  return kObjectOverhead + o.policy.size() + payload;
}

uint32_t default_rules(ObjectKind k) {
  namespace p = se05x::policy;
  if (is_ec(k) || is_rsa(k))
    return p::kAllowSign | p::kAllowVerify | p::kAllowKeyAgreement | p::kAllowEncrypt | p::kAllowDecrypt |
           p::kAllowKdf | p::kAllowWrap | p::kAllowRead | p::kAllowWrite | p::kAllowGen | p::kAllowDelete |
           p::kAllowImportExport;
  if (is_symmetric(k))
    return p::kAllowSign | p::kAllowVerify | p::kAllowEncrypt | p::kAllowDecrypt | p::kAllowKdf | p::kAllowWrap |
           p::kAllowWrite | p::kAllowGen | p::kAllowDelete | p::kAllowImportExport;
  return p::kAllowRead | p::kAllowWrite | p::kAllowDelete;
}

uint32_t default_rules(const SecureObject& o) {
  // [U] P11-4.7's idea for a UserID without a policy: anyone may change (WRITE) or DELETE it.
  if (o.is_auth()) return se05x::policy::kAllowWrite | se05x::policy::kAllowDelete;
  return default_rules(o.kind);
}

size_t Store::used_persistent() const {
  size_t n = 0;
  for (const auto& [id, o] : objects)
    if (!o.transient && o.origin != se05x::Origin::Provisioned) n += nvm_cost(o);
  return n;
}

size_t Store::used_transient() const {
  size_t n = 0;
  for (const auto& [id, o] : objects)
    if (o.transient) n += nvm_cost(o);
  return n;
}

}  // namespace sx::sim
