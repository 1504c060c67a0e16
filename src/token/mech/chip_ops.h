// The three private-key primitives the mechanisms use on the SE05x, with the
// chip's reply checked and normalised. A key the chip no longer has (another tool
// deleted it) is CKR_FUNCTION_FAILED.
#pragma once

#include "se05x/client.h"
#include "token/mech/ck.h"
#include "token/mech/key_ref.h"

namespace sx::token::chip {

// RSADecrypt NO_PAD over a k-byte block: the raw private operation. The reply
// is left-padded to k bytes (a card may drop leading zeros); longer is a
// device error.
CK_RV rsa_private_raw(se05x::Client& c, const KeyRef& key, ByteView block, Bytes& out);
// ECDSASign over a normalised digest; returns r||s of 2*half bytes.
// A DER reply that fails strict parsing is CKR_DEVICE_ERROR.
CK_RV ecdsa_sign(se05x::Client& c, const KeyRef& key, ByteView digest, Bytes& der, Bytes& raw);
// ECDHGenerateSharedSecret with an uncompressed point; the X coordinate,
// left-padded to the field size.
CK_RV ecdh(se05x::Client& c, const KeyRef& key, ByteView point, Bytes& secret);

}  // namespace sx::token::chip
