#include "attr_test_util.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace sx::token::test {

Bytes make_cert(const std::string& cn) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_set_pubkey(x, key);
  X509_sign(x, key, EVP_sha256());
  const int len = i2d_X509(x, nullptr);
  Bytes der(static_cast<size_t>(len > 0 ? len : 0));
  unsigned char* p = der.data();
  i2d_X509(x, &p);
  X509_free(x);
  EVP_PKEY_free(key);
  return der;
}

}  // namespace sx::token::test
