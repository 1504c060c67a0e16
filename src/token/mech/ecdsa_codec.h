// ECDSA input normalisation (CKM_ECDSA takes "any length" of hash) and the
// signature encodings: the chip answers DER, PKCS#11 wants r||s.
#pragma once

#include "token/mech/ck.h"

namespace sx::token {

// Turns a CKM_ECDSA input into the digest sent to ECDSASign, keeping the value
// ECDSA would sign (FIPS 186-4 6.4: e = leftmost min(order_bits, 8*len) bits):
//   1. longer than the order: keep the leftmost order_bits bits (right shift
//      of the leftmost ceil(order_bits/8) bytes by the excess bits);
//   2. the result (or a shorter input) is left-padded with zeros to T bytes:
//      T = the order's byte length when the chip has a digest algo of that
//      length (20/28/32/48/64: P-256 -> 32 / SHA-256 algo, P-384 -> 48 /
//      SHA-384 algo), T = 64 (SHA-512 algo) for orders longer than 64 bytes
//      (P-521) -- the chip then uses the 64 bytes as is, since 512 < 521 bits.
// Zero-padding on the left never changes the integer, so the chip signs the
// same e as OpenSSL would for the raw input.
// CKR_DATA_LEN_RANGE: empty input, or (P-521 only) an e that needs more than
// 64 bytes (input longer than 64 bytes with non-zero bits beyond 512).
// CKR_KEY_SIZE_RANGE: an order length the chip's digest lengths cannot carry.
CK_RV ecdsa_normalise(ByteView input, uint32_t order_bits, Bytes& out);

// Strict DER: SEQUENCE { INTEGER r, INTEGER s }, definite minimal lengths,
// minimal positive non-zero integers of at most `half` bytes, nothing else.
// Output r||s, each left-padded to exactly `half` bytes. false on any deviation.
bool ecdsa_der_to_raw(ByteView der, size_t half, Bytes& out);
// r||s (even length) -> DER; false for odd/empty input.
bool ecdsa_raw_to_der(ByteView raw, Bytes& out);

}  // namespace sx::token
