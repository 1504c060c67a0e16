// Transitional: tests/broker (another helper's files in issue 11) still includes this; the one set
// of OpenSSL test checks is support/ossl_check.h. Deleted by the broker conversion of issue 11.
#pragma once

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "base/bytes.h"
#include "crypto/ossl.h"

namespace sx::testing {

inline Bytes random_bytes(size_t n) {
  Bytes b(n);
  RAND_bytes(b.data(), static_cast<int>(n));
  return b;
}

inline Bytes digest(const EVP_MD* md, ByteView m) {
  Bytes d(static_cast<size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  EVP_Digest(m.data(), m.size(), d.data(), &len, md, nullptr);
  return d;
}

// The P-256 public key of an uncompressed point 04||X||Y (what the chip returns).
inline sx::ossl::Pkey p256_public_key(ByteView point) {
  Bytes spki = hex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
  append(spki, point);
  const unsigned char* p = spki.data();
  return sx::ossl::Pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
}

// A DER signature over a digest (ECDSA as the SE05x returns it).
inline bool verify_der(EVP_PKEY* key, ByteView digest, ByteView der) {
  sx::ossl::PkeyCtx ctx(EVP_PKEY_CTX_new(key, nullptr));
  return ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
         EVP_PKEY_verify(ctx.get(), der.data(), der.size(), digest.data(), digest.size()) == 1;
}

// A P-256 r||s signature (PKCS#11 CKM_ECDSA) over a digest.
inline bool verify_p256_rs(EVP_PKEY* key, ByteView digest, ByteView rs) {
  if (rs.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(rs.data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(rs.data() + 32, 32, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  unsigned char* der = nullptr;
  const int n = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (n <= 0) return false;
  const bool ok = verify_der(key, digest, ByteView(der, static_cast<size_t>(n)));
  OPENSSL_free(der);
  return ok;
}

}  // namespace sx::testing
