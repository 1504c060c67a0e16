// RSASign / RSAVerify (message in, hashed on card), RSAEncrypt / RSADecrypt.
#include "sim/applet.h"
#include "sim/rsa_crypto.h"

namespace sx::sim {

namespace t = se05x::tag;

namespace {
// The checks RSASign and RSAVerify share, in the card's order: the key holds
// the half the operation needs, its policy allows it (`permitted`), the scheme byte is known
// (then stored in `scheme`). 0 when all pass, else the status word to answer.
uint16_t rsa_sig_refusal(bool has_half, const SecureObject& o, bool permitted, uint8_t algo, RsaSignScheme& scheme) {
  if (!has_half || !o.complete()) return sw_choice::kWrongType;
  if (!permitted) return sw_choice::kDenied;
  scheme = rsa_sign_scheme(algo);
  if (!scheme.md) return sw_choice::kBadTlv;
  return 0;
}
}  // namespace

Applet::Reply Applet::rsa_sign(const SecureObject& o, const Request& r) {
  op_ = {Op::RsaPrivate, o.rsa_bits, 0};
  RsaSignScheme scheme;
  if (uint16_t no = rsa_sig_refusal(has_private(o.kind), o, may(o), r.u8(t::k2), scheme)) return sw(no);
  auto key = rsa_pkey(o);
  if (!key) return sw(sw_choice::kWrongType);  // e.g. a private-only key without n/e
  auto sig = sx::sim::rsa_sign(key->get(), scheme, r.bin(t::k3));
  if (!sig) return sw(sw_choice::kBadTlv);
  return ok(se05x::TlvWriter().bytes(t::k1, *sig).take());
}

Applet::Reply Applet::rsa_verify(const SecureObject& o, const Request& r) {
  op_ = {Op::RsaPublic, o.rsa_bits, 0};
  RsaSignScheme scheme;
  if (uint16_t no = rsa_sig_refusal(has_public(o.kind), o, may(o), r.u8(t::k2), scheme)) return sw(no);
  SecureObject pub = o;
  pub.kind = ObjectKind::RsaPublic;
  auto key = rsa_pkey(pub);
  if (!key) return sw(sw_choice::kWrongType);
  const bool good = sx::sim::rsa_verify(key->get(), scheme, r.bin(t::k3), r.bin(t::k5));
  return ok(se05x::TlvWriter().u8(t::k1, good ? se05x::kResultSuccess : se05x::kResultFailure).take());
}

// RSA support was checked before (Applet::admit).
Applet::Reply Applet::on_RSAEncrypt(const Request& r) { return rsa_crypt(r, true); }
Applet::Reply Applet::on_RSADecrypt(const Request& r) { return rsa_crypt(r, false); }

Applet::Reply Applet::rsa_crypt(const Request& r, bool encrypt) {
  const uint8_t algo = r.u8(t::k2);
  const ByteView data = r.bin(t::k3);
  const SecureObject* o = find(r.u32(t::k1));
  if (!o) return sw(sw_choice::kNoObject);
  if (!is_rsa(o->kind) || !o->complete() || (encrypt ? !has_public(o->kind) : !has_private(o->kind)))
    return sw(sw_choice::kWrongType);
  op_ = {encrypt ? Op::RsaPublic : Op::RsaPrivate, o->rsa_bits, 0};
  if (!may(*o)) return sw(sw_choice::kDenied);
  // Raw RSA takes exactly one modulus-sized block.
  if (algo == static_cast<uint8_t>(se05x::RsaEncAlgo::NoPad) && data.size() != o->rsa_bits / 8u)
    return sw(sw_choice::kBadTlv);
  SecureObject use = *o;
  if (encrypt) use.kind = ObjectKind::RsaPublic;
  auto key = rsa_pkey(use);
  if (!key) return sw(sw_choice::kWrongType);
  auto out = encrypt ? rsa_encrypt(key->get(), algo, data) : rsa_decrypt(key->get(), algo, data);
  if (!out) return sw(sw_choice::kBadTlv);
  return ok(se05x::TlvWriter().bytes(t::k1, *out).take());
}

}  // namespace sx::sim
