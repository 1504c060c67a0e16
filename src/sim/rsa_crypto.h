// RSA operations of the simulated chip. Components are keyed by their WriteRSAKey tag
// (TAG_3 p, TAG_4 q, TAG_5 dp, TAG_6 dq, TAG_7 qinv, TAG_8 e, TAG_9 d, TAG_10 n).
#pragma once

#include <map>

#include "base/bytes.h"
#include "base/result.h"
#include "sim/object.h"
#include "crypto/ossl.h"

namespace sx::sim {

using RsaComponents = std::map<uint8_t, Bytes>;

// New key with e = 65537; all eight components.
Result<RsaComponents> rsa_generate(uint16_t bits);
// All eight components of a private RSA key.
Result<RsaComponents> rsa_components(const EVP_PKEY* key);
// EVP key of a complete RSA object (private part when it has one; private-only keys
// without n/e cannot be used and give an error).
Result<ossl::Pkey> rsa_pkey(const SecureObject& o);

struct RsaSignScheme {
  const EVP_MD* md = nullptr;
  bool pss = false;
};
// nullopt-like: md == nullptr for an unknown algorithm byte.
RsaSignScheme rsa_sign_scheme(uint8_t algo);

Result<Bytes> rsa_sign(EVP_PKEY* key, RsaSignScheme s, ByteView message);
bool rsa_verify(EVP_PKEY* key, RsaSignScheme s, ByteView message, ByteView sig);
// algo: se05x::RsaEncAlgo (NO_PAD, PKCS1, OAEP-SHA1).
Result<Bytes> rsa_encrypt(EVP_PKEY* key, uint8_t algo, ByteView data);
Result<Bytes> rsa_decrypt(EVP_PKEY* key, uint8_t algo, ByteView data);

}  // namespace sx::sim
