// Host-side public-key operations with OpenSSL: signature verification (all
// verify mechanisms and the fault check of chip signatures) and encryption.
#pragma once

#include "token/mech/ck.h"
#include "token/mech/key_ref.h"
#include "token/mech/params.h"

namespace sx::token::host {

// s^e mod n as k bytes; false when s is not k bytes or s >= n.
bool rsa_public_raw(const KeyRef& key, ByteView s, Bytes& out);
// RSASSA-PSS verification of a precomputed hash (exact salt length).
bool rsa_pss_verify(const KeyRef& key, ByteView mhash, ByteView sig, const PssParams& p);
// ECDSA verification of `digest` (OpenSSL applies the FIPS 186-4 truncation)
// against a DER signature.
bool ecdsa_verify_der(const KeyRef& key, ByteView digest, ByteView der);

enum class RsaPad { Pkcs1, Oaep, Raw };
// EVP_PKEY_encrypt with the public key. CKR_DATA_LEN_RANGE / CKR_DATA_INVALID
// for inputs the padding cannot take, CKR_GENERAL_ERROR for OpenSSL failures.
CK_RV rsa_encrypt(const KeyRef& key, RsaPad pad, const OaepParams* oaep, ByteView data, Bytes& out);

}  // namespace sx::token::host
