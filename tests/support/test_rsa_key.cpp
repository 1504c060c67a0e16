#include "support/test_rsa_key.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>

#include "crypto/ossl.h"

namespace sx::testing {

namespace {

// One CRT component, left-padded to `width` bytes (0: minimal length).
Bytes rsa_param(const EVP_PKEY* key, const char* name, int width) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return {};
  ossl::Bn bn(raw);
  const int len = width > 0 ? width : BN_num_bytes(bn.get());
  Bytes out(static_cast<size_t>(len));
  if (BN_bn2binpad(bn.get(), out.data(), len) != len) return {};
  return out;
}

int no_passphrase(char*, int, int, void*) { return 0; }

}  // namespace

std::string test_rsa_key_path() { return SX_TEST_RSA_KEY_FILE; }

void use_test_rsa_factory_key(bool overwrite) {
  ::setenv("SE05X_SIM_FACTORY_RSA_KEY", SX_TEST_RSA_KEY_FILE, overwrite ? 1 : 0);
}

Bytes test_rsa_key_pkcs8() {
  ossl::BioPtr bio(BIO_new_file(SX_TEST_RSA_KEY_FILE, "r"));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (!bio || PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) return {};
  Bytes out(data, data + len);
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  return out;
}

RsaKeyParts test_rsa_key_parts() {
  ossl::BioPtr bio(BIO_new_file(SX_TEST_RSA_KEY_FILE, "r"));
  ossl::Pkey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  if (!key) return {};
  const EVP_PKEY* k = key.get();
  return RsaKeyParts{rsa_param(k, OSSL_PKEY_PARAM_RSA_N, 256),          rsa_param(k, OSSL_PKEY_PARAM_RSA_E, 0),
                     rsa_param(k, OSSL_PKEY_PARAM_RSA_D, 256),          rsa_param(k, OSSL_PKEY_PARAM_RSA_FACTOR1, 128),
                     rsa_param(k, OSSL_PKEY_PARAM_RSA_FACTOR2, 128),    rsa_param(k, OSSL_PKEY_PARAM_RSA_EXPONENT1, 128),
                     rsa_param(k, OSSL_PKEY_PARAM_RSA_EXPONENT2, 128),  rsa_param(k, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 128)};
}

}  // namespace sx::testing
