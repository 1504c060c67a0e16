// CKM_ECDH1_DERIVE with CKD_NULL: the shared secret (the X coordinate of
// d * Q_peer, field-size bytes) from the chip. The caller turns it into a
// CKO_SECRET_KEY object (CKA_VALUE_LEN truncation etc.) and wipes it.
#pragma once

#include "se05x/client.h"
#include "token/mech/key_ref.h"
#include "token/mech/mechanism_table.h"

namespace sx::token {

// The peer's public data may be the raw point (04||X||Y, or compressed) or
// that point wrapped in a DER OCTET STRING (the CKA_EC_POINT form); both are
// accepted. The point must lie on the key's curve (checked on the host before
// the chip sees it: no invalid-curve input reaches the key); it is sent
// uncompressed. Bad point / params: CKR_MECHANISM_PARAM_INVALID.
CK_RV parse_peer_point(const KeyRef& key, ByteView public_data, Bytes& uncompressed);

CK_RV ecdh1_derive(se05x::Client& chip, const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key,
                   Bytes& secret);

}  // namespace sx::token
