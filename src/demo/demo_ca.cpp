#include "demo/demo_ca.h"

#include <openssl/x509v3.h>

#include "crypto/digest.h"
#include "crypto/libctx.h"

namespace sx::demo {

namespace {

bool add_name(X509_NAME* name, const std::string& cn) {
  return X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("se05x-pkcs11 demo"),
                                    -1, -1, 0) == 1 &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                                    -1, 0) == 1;
}

}  // namespace

Result<Bytes> issue_certificate(const EVP_PKEY* subject_key, const std::string& common_name) {
  ossl::Pkey ca(EVP_PKEY_Q_keygen(crypto::libctx(), crypto::kPropq, "EC", "P-256"));
  ossl::X509Ptr cert(X509_new_ex(crypto::libctx(), crypto::kPropq));
  ossl::X509NamePtr issuer(X509_NAME_new());
  ossl::X509NamePtr subject(X509_NAME_new());
  if (!ca || !cert || !issuer || !subject) return ossl::crypto_error("certificate set-up");
  if (!add_name(issuer.get(), "se05x-pkcs11 demo CA") || !add_name(subject.get(), common_name))
    return ossl::crypto_error("certificate names");
  ossl::Bn serial(BN_new());
  ossl::BnCtx bn_ctx(BN_CTX_new_ex(crypto::libctx()));
  if (!serial || !bn_ctx || BN_rand_ex(serial.get(), 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY, 0, bn_ctx.get()) != 1 ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
    return ossl::crypto_error("certificate serial number");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 || X509_set_issuer_name(cert.get(), issuer.get()) != 1 ||
      X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 365) ||
      X509_set_pubkey(cert.get(), const_cast<EVP_PKEY*>(subject_key)) != 1)
    return ossl::crypto_error("certificate fields");
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
                            std::pair{NID_key_usage, "critical,digitalSignature"},
                            std::pair{NID_ext_key_usage, "clientAuth"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    if (!ext) return ossl::crypto_error("certificate extension");
    int ok = X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
    if (ok != 1) return ossl::crypto_error("certificate extension");
  }
  if (X509_sign(cert.get(), ca.get(), crypto::md(crypto::Digest::Sha256)) <= 0)
    return ossl::crypto_error("signing the certificate");
  Bytes out = ossl::der_of(cert.get(), i2d_X509);
  if (out.empty()) return ossl::crypto_error("encoding the certificate");
  return out;
}

}  // namespace sx::demo
