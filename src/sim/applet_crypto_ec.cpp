// Signature dispatch (by object kind), ECDSASign, ECDSAVerify, ECDHGenerateSharedSecret.
#include "sim/applet.h"
#include "sim/curves.h"
#include "sim/ec_crypto.h"

namespace sx::sim {

namespace t = se05x::tag;

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

// ECDSASign and RSASign (ECDSAVerify and RSAVerify) share a header: Applet::admit ran the
// row of the key's type, so TAG_1 names an existing key of that type.
Applet::Reply Applet::on_ECDSASign(const Request& r) { return with_key(r, &Applet::ecdsa_sign); }
Applet::Reply Applet::on_RSASign(const Request& r) { return with_key(r, &Applet::rsa_sign); }
Applet::Reply Applet::on_ECDSAVerify(const Request& r) { return with_key(r, &Applet::ecdsa_verify); }
Applet::Reply Applet::on_RSAVerify(const Request& r) { return with_key(r, &Applet::rsa_verify); }

Applet::Reply Applet::with_key(const Request& r, KeyOp op) {
  const SecureObject* o = find(r.u32(t::k1));
  if (!o) return sw(sw_choice::kNoObject);
  return (this->*op)(*o, r);
}

Applet::Reply Applet::ecdsa_sign(const SecureObject& o, const Request& r) {
  const CurveInfo* c = find_curve(o.curve);
  op_ = {Op::EcSign, c ? c->bits : 0u, 0};
  const ByteView digest = r.bin(t::k3);
  if (!has_private(o.kind) || !c) return sw(sw_choice::kWrongType);
  if (!may(o)) return sw(sw_choice::kDenied);
  if (!digest_ok(r.u8(t::k2), digest)) return sw(sw_choice::kBadTlv);
  auto key = ec_pkey(o);
  if (!key) return sw(se05x::sw::kUnknown);
  auto sig = sx::sim::ecdsa_sign(key->get(), digest);
  if (!sig) return sw(se05x::sw::kUnknown);
  return ok(se05x::TlvWriter().bytes(t::k1, *sig).take());
}

Applet::Reply Applet::ecdsa_verify(const SecureObject& o, const Request& r) {
  const CurveInfo* c = find_curve(o.curve);
  op_ = {Op::EcVerify, c ? c->bits : 0u, 0};
  const ByteView digest = r.bin(t::k3);
  if (!c || o.ec_pub.empty()) return sw(sw_choice::kWrongType);
  if (!may(o)) return sw(sw_choice::kDenied);
  if (!digest_ok(r.u8(t::k2), digest)) return sw(sw_choice::kBadTlv);
  SecureObject pub = o;  // verify with the public part only
  pub.kind = ObjectKind::EcPublic;
  pub.ec_priv.clear();
  auto key = ec_pkey(pub);
  if (!key) return sw(se05x::sw::kUnknown);
  // [U] an unparseable signature is reported as a failed verification, not as an error SW.
  const bool good = sx::sim::ecdsa_verify(key->get(), digest, r.bin(t::k5));
  return ok(se05x::TlvWriter().u8(t::k1, good ? se05x::kResultSuccess : se05x::kResultFailure).take());
}

Applet::Reply Applet::on_ECDHGenerateSharedSecret(const Request& r) {
  const SecureObject* o = find(r.u32(t::k1));
  if (!o) return sw(sw_choice::kNoObject);
  const CurveInfo* c = is_ec(o->kind) ? find_curve(o->curve) : nullptr;
  if (!c || !has_private(o->kind)) return sw(sw_choice::kWrongType);
  op_ = {Op::Ecdh, c->bits, 0};
  if (!may(*o)) return sw(sw_choice::kDenied);
  auto key = ec_pkey(*o);
  if (!key) return sw(se05x::sw::kUnknown);
  auto secret = ecdh_x(key->get(), *c, r.bin(t::k2));
  if (!secret) return sw(sw_choice::kBadTlv);
  return ok(se05x::TlvWriter().bytes(t::k1, *secret).take());
}

}  // namespace sx::sim
