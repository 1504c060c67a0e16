// Independent OpenSSL checks for the mechanism tests (nothing from src/token).
#pragma once

#include <openssl/evp.h>

#include <string>

#include "base/bytes.h"

namespace sx::token::test {

Bytes sha(const EVP_MD* md, ByteView data);
// ECDSA r||s (converted with OpenSSL's ECDSA_SIG) over a raw digest of any length.
bool ossl_ecdsa_verify_rs(EVP_PKEY* key, ByteView digest, ByteView rs);
// EVP_DigestVerify over a message: RSA PKCS#1 v1.5 (salt < 0) or PSS with that salt length.
bool ossl_rsa_verify_message(EVP_PKEY* key, const EVP_MD* md, int pss_salt, ByteView msg, ByteView sig);
// EVP_PKEY_verify over a hash: PKCS#1 v1.5 (salt < 0) or PSS (MGF1 with mgf_md).
bool ossl_rsa_verify_hash(EVP_PKEY* key, const EVP_MD* md, const EVP_MD* mgf_md, int pss_salt, ByteView hash,
                          ByteView sig);
// PKCS#1 v1.5 type 1 recovery (the data inside a CKM_RSA_PKCS signature).
bool ossl_rsa_recover(EVP_PKEY* key, ByteView sig, Bytes& data);
// pad: "pkcs1", "oaep", "none".
Bytes ossl_rsa_encrypt(EVP_PKEY* key, const std::string& pad, ByteView data, const EVP_MD* md = nullptr,
                       const EVP_MD* mgf = nullptr, ByteView label = {});
Bytes random_bytes(size_t n);

}  // namespace sx::token::test
