#include "sim/ec_crypto.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "crypto/digest.h"
#include "crypto/ec.h"
#include "crypto/libctx.h"

namespace sx::sim {

namespace {

using ossl::Group;
using ossl::Point;

Error ec_error(std::string what) { return make_error(Errc::Crypto, std::move(what)); }

Group group_of(const CurveInfo& c) {
  auto g = crypto::ec_group(OBJ_sn2nid(c.group));
  return g.ok() ? std::move(*g) : Group();
}

Result<ossl::Pkey> from_data(const CurveInfo& c, ByteView priv, ByteView pub) {
  ossl::ParamBld bld(OSSL_PARAM_BLD_new());
  ossl::Bn d;
  if (!bld) return ec_error("param builder");
  if (!OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, c.group, 0)) return ec_error("group");
  if (!pub.empty() &&
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size()))
    return ec_error("pub");
  if (!priv.empty()) {
    d = ossl::bn_from(priv);
    if (!d || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get())) return ec_error("priv");
  }
  ossl::Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(crypto::libctx(), "EC", crypto::kPropq));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, priv.empty() ? EVP_PKEY_PUBLIC_KEY : EVP_PKEY_KEYPAIR, params.get()) != 1)
    return ec_error("EC key from data");
  return ossl::Pkey(key);
}

// Minimal DER reader for SEQUENCE { INTEGER, INTEGER } with lenient integer content.
bool read_len(ByteView b, size_t& p, size_t& len) {
  if (p >= b.size()) return false;
  uint8_t l = b[p++];
  if (l < 0x80) {
    len = l;
  } else if (l == 0x81) {
    if (p >= b.size()) return false;
    len = b[p++];
  } else if (l == 0x82) {
    if (p + 2 > b.size()) return false;
    len = get_u16(b, p);
    p += 2;
  } else {
    return false;
  }
  return len <= b.size() - p;
}

bool read_int(ByteView b, size_t& p, ByteView& out) {
  if (p >= b.size() || b[p++] != 0x02) return false;
  size_t len = 0;
  if (!read_len(b, p, len) || len == 0) return false;
  out = b.subspan(p, len);
  p += len;
  return true;
}

}  // namespace

Result<EcKeyBytes> ec_generate(const CurveInfo& c) {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(crypto::libctx(), crypto::kPropq, "EC", c.group);
  if (!raw) return ec_error("EC key generation");
  ossl::Pkey key(raw);
  EcKeyBytes out;
  BIGNUM* d = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) return ec_error("EC priv");
  ossl::Bn dd(d);
  out.priv = ossl::bn_bytes(d, c.bytes());
  out.pub.resize(1 + 2 * c.bytes());
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, out.pub.data(), out.pub.size(), &len) != 1 ||
      len != out.pub.size() || out.pub[0] != 0x04)
    return ec_error("EC pub");
  return out;
}

Result<Bytes> ec_public_from_private(const CurveInfo& c, ByteView d) {
  Group g = group_of(c);
  ossl::Bn k = ossl::bn_from(d);
  ossl::BnCtx ctx(BN_CTX_new_ex(crypto::libctx()));
  if (!g || !k || !ctx) return ec_error("EC setup");
  if (BN_is_zero(k.get()) || BN_cmp(k.get(), EC_GROUP_get0_order(g.get())) >= 0)
    return make_error(Errc::InvalidArgument, "private scalar out of range");
  Point pt(EC_POINT_new(g.get()));
  if (!pt || EC_POINT_mul(g.get(), pt.get(), k.get(), nullptr, nullptr, ctx.get()) != 1) return ec_error("EC mul");
  Bytes out(1 + 2 * c.bytes());
  if (EC_POINT_point2oct(g.get(), pt.get(), POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), ctx.get()) !=
      out.size())
    return ec_error("EC encode");
  return out;
}

bool ec_point_valid(const CurveInfo& c, ByteView pub) {
  return crypto::ec_point_valid(OBJ_sn2nid(c.group), c.bytes(), pub);
}

Result<ossl::Pkey> ec_pkey(const SecureObject& o) {
  const CurveInfo* c = find_curve(o.curve);
  if (!c) return ec_error("unknown curve");
  return from_data(*c, has_private(o.kind) ? ByteView(o.ec_priv) : ByteView(), o.ec_pub);
}

Result<Bytes> ecdsa_sign(EVP_PKEY* key, ByteView digest) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(crypto::libctx(), key, crypto::kPropq));
  size_t len = 0;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1)
    return ec_error("ECDSA sign init");
  Bytes sig(len);
  if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) != 1) return ec_error("ECDSA sign");
  sig.resize(len);
  return sig;
}

bool ecdsa_verify(EVP_PKEY* key, ByteView digest, ByteView der) {
  size_t p = 0, len = 0;
  if (der.empty() || der[p++] != 0x30 || !read_len(der, p, len) || p + len != der.size()) return false;
  ByteView r, s;
  if (!read_int(der, p, r) || !read_int(der, p, s) || p != der.size()) return false;
  ossl::EcdsaSig sig(ECDSA_SIG_new());
  ossl::Bn rb = ossl::bn_from(r), sb = ossl::bn_from(s);
  if (!sig || !rb || !sb || ECDSA_SIG_set0(sig.get(), rb.get(), sb.get()) != 1) return false;
  (void)rb.release();
  (void)sb.release();
  unsigned char* enc = nullptr;
  const int enc_len = i2d_ECDSA_SIG(sig.get(), &enc);
  if (enc_len <= 0) return false;
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(crypto::libctx(), key, crypto::kPropq));
  const bool ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
                  EVP_PKEY_verify(ctx.get(), enc, static_cast<size_t>(enc_len), digest.data(), digest.size()) == 1;
  OPENSSL_free(enc);
  return ok;
}

Result<Bytes> ecdh_x(EVP_PKEY* key, const CurveInfo& c, ByteView peer_point) {
  if (!ec_point_valid(c, peer_point)) return make_error(Errc::InvalidArgument, "peer point invalid");
  SX_ASSIGN(ossl::Pkey peer, from_data(c, {}, peer_point));
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(crypto::libctx(), key, crypto::kPropq));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1)
    return ec_error("ECDH init");
  Bytes out(len);
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) return ec_error("ECDH");
  out.resize(len);
  return out;
}

}  // namespace sx::sim
