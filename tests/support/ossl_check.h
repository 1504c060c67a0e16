// The tests' own OpenSSL: independent checks of what the chip, the simulator or the module
// produced (nothing from src/ beyond the owners in base/ossl.h), and keys and certificates
// made on the host. One set for every test folder and the benchmarks.
#pragma once

#include <openssl/evp.h>

#include <string>

#include "base/bytes.h"
#include "crypto/ossl.h"

namespace sx::testing {

Bytes random_bytes(size_t n);
Bytes digest(const EVP_MD* md, ByteView data);
Bytes sha256(ByteView data);

// The EC public key of an uncompressed point 04||X||Y (what the chip returns) on the named
// group (e.g. "prime256v1"); null if the point is not on the curve.
ossl::Pkey ec_public_key(const char* group, ByteView point);
ossl::Pkey p256_public_key(ByteView point);
// CKA_EC_POINT (DER OCTET STRING around 04||X||Y) -> the raw point; empty if malformed.
Bytes unwrap_point(ByteView ec_point_der);

// ECDSA over a digest: a DER signature (as the SE05x returns it) ...
bool verify_der(EVP_PKEY* key, ByteView digest, ByteView der);
// ... or r||s (PKCS#11 CKM_ECDSA) of any curve (the halves are split evenly) ...
bool verify_ecdsa_rs(EVP_PKEY* key, ByteView digest, ByteView rs);
// ... or r||s of exactly 64 bytes, P-256.
bool verify_p256_rs(EVP_PKEY* key, ByteView digest, ByteView rs);
// The same with the key given as CKA_EC_POINT.
bool verify_p256(ByteView ec_point_der, ByteView digest, ByteView rs);

// RSA over a message (EVP_DigestVerify): PKCS#1 v1.5 (pss_salt < 0) or PSS with that salt.
bool rsa_verify_message(EVP_PKEY* key, const EVP_MD* md, int pss_salt, ByteView msg, ByteView sig);
// RSA over a hash (EVP_PKEY_verify): PKCS#1 v1.5 (pss_salt < 0) or PSS (MGF1 with mgf_md).
bool rsa_verify_hash(EVP_PKEY* key, const EVP_MD* md, const EVP_MD* mgf_md, int pss_salt, ByteView hash,
                     ByteView sig);
// PKCS#1 v1.5 type 1 recovery (the data inside a CKM_RSA_PKCS signature).
bool rsa_recover(EVP_PKEY* key, ByteView sig, Bytes& data);
// pad: "pkcs1", "oaep", "none". Empty on failure.
Bytes rsa_encrypt(EVP_PKEY* key, const std::string& pad, ByteView data, const EVP_MD* md = nullptr,
                  const EVP_MD* mgf = nullptr, ByteView label = {});

// A self-signed certificate (DER) for a fresh P-256 (ec) or RSA-2048 key, CN = cn.
Bytes self_signed_cert_der(const std::string& cn, bool ec = true);
// An X.509 certificate (DER) for a P-256 CKA_EC_POINT, CN = cn, signed by a throwaway CA.
Bytes cert_for_point(ByteView ec_point_der, const std::string& cn);
// A fresh EC private key on curve `nid`, as i2d_PrivateKey writes it.
Bytes ec_private_der(int nid);

// ANSI X9.63 KDF written out with one-shot digests (SEC 1 v2 §3.6.1: H(Z || counter
// big-endian 32-bit from 1 || info) blocks, cut to n bytes): the independent check of
// the module's CKD_SHA*_KDF, which uses OpenSSL's X963KDF.
Bytes x963_kdf(const EVP_MD* md, ByteView z, ByteView info, size_t n);
// ECDH (the X coordinate) of a private key with a peer public key, by OpenSSL.
Bytes ecdh_secret(EVP_PKEY* mine, EVP_PKEY* peer);

}  // namespace sx::testing
