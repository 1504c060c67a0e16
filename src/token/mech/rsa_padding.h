// RSA encodings done on the host around the chip's raw private operation
// (RSADecrypt NO_PAD), written from RFC 8017: EMSA-PKCS1-v1_5, EMSA-PSS,
// EME-PKCS1-v1_5 and EME-OAEP decoding. Hashes come from OpenSSL.
#pragma once

#include <openssl/evp.h>

#include "token/mech/ck.h"
#include "token/mech/mechanism_table.h"  // digest_info_prefix
#include "token/mech/params.h"

namespace sx::token {

// EM = 00 01 FF..FF 00 || t, k bytes, at least 8 FF. CKR_DATA_LEN_RANGE if t > k - 11.
CK_RV emsa_pkcs1_v15_encode(ByteView t, size_t k, Bytes& em);

// MGF1 (RFC 8017 B.2.1). false only if OpenSSL fails.
bool mgf1(const EVP_MD* md, ByteView seed, size_t len, Bytes& mask);

// Largest salt for this modulus and hash: emLen - hLen - 2.
size_t pss_max_salt(uint32_t mod_bits, const EVP_MD* md);
// EMSA-PSS-ENCODE(mHash) with emBits = mod_bits - 1, left-padded to k bytes.
// mhash must be hLen bytes and salt p.salt_len bytes (checked by the caller).
bool emsa_pss_encode(ByteView mhash, ByteView salt, uint32_t mod_bits, const PssParams& p, Bytes& em);

// EME-PKCS1-v1_5 decoding of a k-byte block: 00 02 PS(>=8 non-zero) 00 M.
// Branch-free over the block (timing does not depend on where the padding
// breaks); false for every kind of bad padding alike.
bool eme_pkcs1_v15_decode(ByteView em, Bytes& message);
// EME-OAEP decoding (RFC 8017 7.1.2 step 3), same branch-free style.
bool eme_oaep_decode(ByteView em, const OaepParams& p, Bytes& message);

}  // namespace sx::token
