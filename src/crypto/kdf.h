// The key derivation function of ANSI X9.63 (SEC 1 v2 §3.6.1), which PKCS#11's
// CKD_SHA*_KDF name for ECDH (CK_ECDH1_DERIVE_PARAMS.kdf): output =
// H(Z || 00000001 || SharedInfo) || H(Z || 00000002 || SharedInfo) || ...
// truncated to the requested length, the counter 32-bit big-endian from 1.
// OpenSSL's "X963KDF" on crypto::libctx().
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/digest.h"

namespace sx::crypto {

// The longest output this wrapper derives. X9.63 itself allows
// hashLen * (2^32 - 1) bytes; OpenSSL caps inputs and outputs at 2^30 bytes.
// Anything near either is no key, so the boundary refuses it early.
inline constexpr size_t kX963MaxOutput = size_t{1} << 16;

// Fills out[0, out_len) from the shared secret `z` and `shared_info` (may be
// empty). Errc::InvalidArgument for out_len 0 or above kX963MaxOutput;
// Errc::Crypto when OpenSSL fails. On failure `out` holds nothing usable (it
// is zeroed).
Status x963_kdf(Digest d, ByteView z, ByteView shared_info, uint8_t* out, size_t out_len);

}  // namespace sx::crypto
