// Signature dispatch (by object kind), ECDSASign, ECDSAVerify, ECDHGenerateSharedSecret.
#include "sim/applet.h"
#include "sim/curves.h"
#include "sim/ec_crypto.h"
#include "sim/policy.h"

namespace sx::sim {

namespace t = se05x::tag;
namespace pol = se05x::policy;

namespace {

// Digest length an ECSignatureAlgo requires; 0 for PLAIN (any length up to 64), -1 unknown.
int digest_len(uint8_t algo) {
  switch (static_cast<se05x::EcSignAlgo>(algo)) {
    case se05x::EcSignAlgo::Plain: return 0;
    case se05x::EcSignAlgo::Sha1: return 20;
    case se05x::EcSignAlgo::Sha224: return 28;
    case se05x::EcSignAlgo::Sha256: return 32;
    case se05x::EcSignAlgo::Sha384: return 48;
    case se05x::EcSignAlgo::Sha512: return 64;
    default: return -1;
  }
}

bool digest_ok(uint8_t algo, ByteView digest) {
  const int want = digest_len(algo);
  if (want < 0) return false;
  if (want == 0) return !digest.empty() && digest.size() <= 64;
  return digest.size() == static_cast<size_t>(want);
}

}  // namespace

Applet::Reply Applet::sign(const Tlvs& tl) {
  name_ = "Sign";
  auto id = tl.require_u32(t::k1);
  if (!id) return sw(sw_choice::kBadTlv);
  const SecureObject* o = find(*id);
  if (!o) return sw(sw_choice::kNoObject);
  if (is_rsa(o->kind)) return rsa_sign(*o, tl);
  if (is_ec(o->kind)) return ecdsa_sign(*o, tl);
  return sw(sw_choice::kWrongType);
}

Applet::Reply Applet::verify(const Tlvs& tl) {
  name_ = "Verify";
  auto id = tl.require_u32(t::k1);
  if (!id) return sw(sw_choice::kBadTlv);
  const SecureObject* o = find(*id);
  if (!o) return sw(sw_choice::kNoObject);
  if (is_rsa(o->kind)) return rsa_verify(*o, tl);
  if (is_ec(o->kind)) return ecdsa_verify(*o, tl);
  return sw(sw_choice::kWrongType);
}

Applet::Reply Applet::ecdsa_sign(const SecureObject& o, const Tlvs& tl) {
  name_ = "ECDSASign";
  const CurveInfo* c = find_curve(o.curve);
  op_ = {Op::EcSign, c ? c->bits : 0u, 0};
  auto algo = tl.require_u8(t::k2);
  auto digest = tl.require(t::k3);
  if (!algo || !digest) return sw(sw_choice::kBadTlv);
  if (!has_private(o.kind) || !c) return sw(sw_choice::kWrongType);
  if (!allowed(o, pol::kAllowSign)) return sw(sw_choice::kDenied);
  if (!digest_ok(*algo, *digest)) return sw(sw_choice::kBadTlv);
  auto key = ec_pkey(o);
  if (!key) return sw(se05x::sw::kUnknown);
  auto sig = sx::sim::ecdsa_sign(key->get(), *digest);
  if (!sig) return sw(se05x::sw::kUnknown);
  return ok(se05x::TlvWriter().bytes(t::k1, *sig).take());
}

Applet::Reply Applet::ecdsa_verify(const SecureObject& o, const Tlvs& tl) {
  name_ = "ECDSAVerify";
  const CurveInfo* c = find_curve(o.curve);
  op_ = {Op::EcVerify, c ? c->bits : 0u, 0};
  auto algo = tl.require_u8(t::k2);
  auto digest = tl.require(t::k3);
  auto sig = tl.require(t::k5);
  if (!algo || !digest || !sig) return sw(sw_choice::kBadTlv);
  if (!c || o.ec_pub.empty()) return sw(sw_choice::kWrongType);
  if (!allowed(o, pol::kAllowVerify)) return sw(sw_choice::kDenied);
  if (!digest_ok(*algo, *digest)) return sw(sw_choice::kBadTlv);
  SecureObject pub = o;  // verify with the public part only
  pub.kind = Kind::EcPublic;
  pub.ec_priv.clear();
  auto key = ec_pkey(pub);
  if (!key) return sw(se05x::sw::kUnknown);
  // [U] an unparseable signature is reported as a failed verification, not as an error SW.
  const bool good = sx::sim::ecdsa_verify(key->get(), *digest, *sig);
  return ok(se05x::TlvWriter().u8(t::k1, good ? se05x::kResultSuccess : se05x::kResultFailure).take());
}

Applet::Reply Applet::ecdh(const Tlvs& tl) {
  name_ = "ECDHGenerateSharedSecret";
  auto id = tl.require_u32(t::k1);
  auto peer = tl.require(t::k2);
  if (!id || !peer) return sw(sw_choice::kBadTlv);
  const SecureObject* o = find(*id);
  if (!o) return sw(sw_choice::kNoObject);
  const CurveInfo* c = is_ec(o->kind) ? find_curve(o->curve) : nullptr;
  if (!c || !has_private(o->kind)) return sw(sw_choice::kWrongType);
  op_ = {Op::Ecdh, c->bits, 0};
  if (!allowed(*o, pol::kAllowKeyAgreement)) return sw(sw_choice::kDenied);
  auto key = ec_pkey(*o);
  if (!key) return sw(se05x::sw::kUnknown);
  auto secret = ecdh_x(key->get(), *c, *peer);
  if (!secret) return sw(sw_choice::kBadTlv);
  return ok(se05x::TlvWriter().bytes(t::k1, *secret).take());
}

}  // namespace sx::sim
