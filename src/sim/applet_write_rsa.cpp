// WriteRSAKey: generate (RAW or CRT), component-per-APDU import of pair / private / public.
#include "sim/applet.h"
#include "sim/policy.h"
#include "sim/rsa_crypto.h"

namespace sx::sim {

namespace t = se05x::tag;

namespace {

bool valid_bits(uint16_t b) { return b == 512 || b == 1024 || b == 1152 || b == 2048 || b == 3072 || b == 4096; }

// Tags a key of this kind and format may carry.
bool tag_allowed(ObjectKind kind, bool crt, uint8_t tag) {
  const bool crt_part = tag >= t::k3 && tag <= t::k7;
  switch (kind) {
    case ObjectKind::RsaPublic: return tag == t::k8 || tag == t::k10;
    case ObjectKind::RsaPrivate: return crt ? crt_part : (tag == t::k9 || tag == t::k10);
    default: return crt ? (crt_part || tag == t::k8 || tag == t::k10) : (tag == t::k8 || tag == t::k9 || tag == t::k10);
  }
}

// Largest byte length of a component of a `bits`-bit key.
size_t max_len(uint8_t tag, uint16_t bits) {
  const size_t k = (bits + 7u) / 8u;
  return (tag >= t::k3 && tag <= t::k7) ? (k + 1) / 2 : k;
}

void keep_format(RsaComponents& c, bool crt) {
  if (crt) {
    c.erase(t::k9);
  } else {
    for (uint8_t tag = t::k3; tag <= t::k7; ++tag) c.erase(tag);
  }
}

}  // namespace

// RSA support and the key format (P2) were checked before (Applet::admit).
Applet::Reply Applet::on_WriteRSAKey(const Request& r) {
  op_.op = Op::WriteKey;
  const bool crt = r.apdu.header.p2 == se05x::kRsaFormatCrt;
  if (r.opt(t::kMaxAttempts)) return sw(sw_choice::kBadTlv);
  const uint32_t id = r.u32(t::k1);
  const auto bits = r.opt_u16(t::k2);
  const uint8_t part = r.apdu.header.p1 & se05x::p1::kKeyPartMask;

  SecureObject* o = find(id);
  SecureObject n;
  if (o) {
    if (!is_rsa(o->kind) || o->rsa_crt != crt) return sw(sw_choice::kExists);
    if (bits && *bits != o->rsa_bits) return sw(sw_choice::kExists);
    if (o->origin == se05x::Origin::Provisioned) return sw(sw_choice::kDenied);
    // Components of a key still being imported are part of its creation.
    if (o->complete() && !may(*o)) return sw(sw_choice::kDenied);
    n = *o;
  } else {
    if (part == 0 || !bits || !valid_bits(*bits)) return sw(sw_choice::kBadTlv);
    n.id = id;
    n.kind = part == se05x::p1::kKeyPair ? ObjectKind::RsaPair : part == se05x::p1::kPrivate ? ObjectKind::RsaPrivate : ObjectKind::RsaPublic;
    n.rsa_crt = crt;
    n.rsa_bits = *bits;
    n.transient = r.transient();
    if (auto p = r.opt(t::kPolicy)) n.policy.assign(p->begin(), p->end());
    if (const uint16_t code = check_new_object(n); code != se05x::sw::kOk) return sw(code);
  }

  bool any = false;
  for (uint8_t tag = t::k3; tag <= t::k10; ++tag) {
    auto v = r.opt(tag);
    if (!v) continue;
    if (!tag_allowed(n.kind, crt, tag)) return sw(sw_choice::kBadTlv);
    const ByteView s = ossl::strip_zeros(*v);  // the MW's even-length "ByteShift" 00
    if (s.empty() || s.size() > max_len(tag, n.rsa_bits)) return sw(sw_choice::kBadTlv);
    n.rsa[tag].assign(s.begin(), s.end());
    any = true;
  }
  if (!any) {
    if (n.kind != ObjectKind::RsaPair) return sw(sw_choice::kBadTlv);
    op_ = {Op::RsaKeygen, n.rsa_bits, 0};
    auto gen = rsa_generate(n.rsa_bits);
    if (!gen) return sw(se05x::sw::kUnknown);
    keep_format(*gen, crt);
    n.rsa = std::move(*gen);
    n.origin = se05x::Origin::Internal;
  }
  const bool persistent = !n.transient;
  return sw(commit([n](Store& s) { s.objects[n.id] = n; }, nullptr, persistent));
}

}  // namespace sx::sim
