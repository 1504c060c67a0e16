// AES primitives for GlobalPlatform SCP03 (docs/scp03.md): single-block and
// CBC encryption without padding, and AES-CMAC, on the module-private library
// context (crypto/libctx.h). Keys are 16, 24 or 32 bytes; data a multiple of
// 16 bytes (the caller pads). Failures are Errc::Crypto / InvalidArgument.
#pragma once

#include "base/bytes.h"
#include "base/result.h"

namespace sx::crypto {

Result<Bytes> aes_ecb_encrypt(ByteView key, ByteView blocks);
Result<Bytes> aes_ecb_decrypt(ByteView key, ByteView blocks);
Result<Bytes> aes_cbc_encrypt(ByteView key, ByteView iv, ByteView blocks);
Result<Bytes> aes_cbc_decrypt(ByteView key, ByteView iv, ByteView blocks);
// The full 16-byte CMAC (NIST SP 800-38B) of data under key.
Result<Bytes> aes_cmac(ByteView key, ByteView data);

}  // namespace sx::crypto
