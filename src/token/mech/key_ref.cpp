#include "token/mech/key_ref.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "se05x/curves.h"

namespace sx::token {

namespace {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct GroupFree {
  void operator()(EC_GROUP* g) const { EC_GROUP_free(g); }
};

Error bad(const std::string& what) { return make_error(Errc::InvalidArgument, "key reference: " + what); }

Result<EVP_PKEY*> from_params(const char* type, OSSL_PARAM* params) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1 || !pkey)
    return bad(std::string(type) + " public key rejected by OpenSSL");
  return pkey;
}

Status fill_ec_sizes(KeyRef& k, int nid) {
  std::unique_ptr<EC_GROUP, GroupFree> g(EC_GROUP_new_by_curve_name(nid));
  if (!g) return bad("unknown EC group");
  const int degree = EC_GROUP_get_degree(g.get());
  const int order = EC_GROUP_order_bits(g.get());
  if (degree <= 0 || order <= 0) return bad("EC group without size");
  k.bits = static_cast<uint32_t>(degree);
  k.order_bits = static_cast<uint32_t>(order);
  return {};
}

}  // namespace

Result<KeyRef> make_ec_key_ref(uint32_t object_id, se05x::Curve curve, ByteView point) {
  const se05x::CurveInfo* ci = se05x::curve_info(curve);
  if (!ci || ci->family != se05x::CurveFamily::Weierstrass || ci->nid == 0) return bad("unsupported curve");
  if (point.empty()) return bad("empty EC point");
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, OBJ_nid2sn(ci->nid), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    return bad("OpenSSL parameter build failed");
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return bad("OpenSSL parameter build failed");
  SX_ASSIGN(EVP_PKEY * pkey, from_params("EC", params.get()));
  KeyRef k;
  k.object_id = object_id;
  k.key_type = CKK_EC;
  k.curve = curve;
  k.public_key = ossl::share(pkey);
  SX_TRY(fill_ec_sizes(k, ci->nid));
  return k;
}

Result<KeyRef> make_rsa_key_ref(uint32_t object_id, ByteView modulus, ByteView public_exponent) {
  if (modulus.empty() || public_exponent.empty()) return bad("empty RSA component");
  std::unique_ptr<BIGNUM, BnFree> n(BN_bin2bn(modulus.data(), static_cast<int>(modulus.size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> e(
      BN_bin2bn(public_exponent.data(), static_cast<int>(public_exponent.size()), nullptr));
  if (!n || !e || BN_is_zero(n.get()) || BN_is_zero(e.get())) return bad("bad RSA component");
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    return bad("OpenSSL parameter build failed");
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return bad("OpenSSL parameter build failed");
  SX_ASSIGN(EVP_PKEY * pkey, from_params("RSA", params.get()));
  KeyRef k;
  k.object_id = object_id;
  k.key_type = CKK_RSA;
  k.bits = static_cast<uint32_t>(BN_num_bits(n.get()));
  k.modulus.resize(static_cast<size_t>(BN_num_bytes(n.get())));
  BN_bn2bin(n.get(), k.modulus.data());
  k.public_key = ossl::share(pkey);
  return k;
}

Result<KeyRef> make_key_ref_from_spki(uint32_t object_id, ByteView spki_der) {
  const unsigned char* p = spki_der.data();
  EVP_PKEY* raw = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size()));
  if (!raw) return bad("not a SubjectPublicKeyInfo");
  ossl::SharedPkey pkey = ossl::share(raw);
  if (p != spki_der.data() + spki_der.size()) return bad("trailing bytes after SubjectPublicKeyInfo");
  KeyRef k;
  k.object_id = object_id;
  k.public_key = pkey;
  if (EVP_PKEY_is_a(raw, "RSA")) {
    BIGNUM* n = nullptr;
    if (EVP_PKEY_get_bn_param(raw, OSSL_PKEY_PARAM_RSA_N, &n) != 1 || !n) return bad("RSA key without modulus");
    std::unique_ptr<BIGNUM, BnFree> own(n);
    k.key_type = CKK_RSA;
    k.bits = static_cast<uint32_t>(BN_num_bits(n));
    k.modulus.resize(static_cast<size_t>(BN_num_bytes(n)));
    BN_bn2bin(n, k.modulus.data());
    return k;
  }
  if (!EVP_PKEY_is_a(raw, "EC")) return bad("neither RSA nor EC");
  char name[80] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(raw, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1)
    return bad("EC key without a named curve");
  const se05x::CurveInfo* ci = se05x::curve_by_name(name);
  if (!ci) return bad(std::string("curve not supported: ") + name);
  k.key_type = CKK_EC;
  k.curve = ci->curve;
  SX_TRY(fill_ec_sizes(k, ci->nid));
  return k;
}

}  // namespace sx::token
