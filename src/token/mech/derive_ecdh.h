// CKM_ECDH1_DERIVE: the chip computes the shared secret Z (the X coordinate of
// d * Q_peer, field-size bytes); the host turns it into the new key's value:
// CKD_NULL keeps Z (cut to CKA_VALUE_LEN), CKD_SHA*_KDF runs the ANSI X9.63
// KDF over Z and the shared data (crypto/kdf.h). Z never leaves this unit and
// is wiped. The caller makes the CKO_SECRET_KEY object and wipes the value.
//
// The steps are separate so that C_DeriveKey can answer in the order of its
// checks (docs/pkcs11-module.md, "Return-code audit"): mechanism, key, template,
// then the chip. ecdh1_derive() runs them all.
#pragma once

#include <optional>

#include "se05x/client.h"
#include "token/mech/key_ref.h"
#include "token/mech/mechanism_table.h"
#include "token/mech/params.h"

namespace sx::token {

// The peer's public data may be the raw point (04||X||Y, or compressed) or
// that point wrapped in a DER OCTET STRING (the CKA_EC_POINT form); both are
// accepted. The point must lie on the key's curve (checked on the host before
// the chip sees it: no invalid-curve input reaches the key); it is sent
// uncompressed. Bad point / params: CKR_MECHANISM_PARAM_INVALID.
CK_RV parse_peer_point(const KeyRef& key, ByteView public_data, Bytes& uncompressed);

// 1. Without a key: the mechanism is an ECDH one the chip offers for derive
//    (CKR_MECHANISM_INVALID) and its parameter is well-formed
//    (CKR_MECHANISM_PARAM_INVALID).
CK_RV ecdh1_check(const ChipCapabilities& caps, const CK_MECHANISM& m);
// 2. The base key suits it: EC (CKR_KEY_TYPE_INCONSISTENT), a supported size
//    (CKR_KEY_SIZE_RANGE), a chip key (CKR_KEY_FUNCTION_NOT_PERMITTED).
CK_RV ecdh1_check_key(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key);

// The length of the derived value. `value_len` is the template's CKA_VALUE_LEN
// (nullopt when absent), `z_len` the field size in bytes.
//  CKD_NULL: Z's trailing value_len bytes (2.40: the truncation removes bytes
//    from the leading end of the secret), all of Z without CKA_VALUE_LEN; more
//    than Z -> CKR_ATTRIBUTE_VALUE_INVALID.
//  CKD_SHA*_KDF: exactly value_len bytes of KDF output; required
//    (CKR_TEMPLATE_INCOMPLETE: a KDF has no natural length, and two parties
//    guessing differently would silently disagree); above the KDF limit
//    (crypto::kX963MaxOutput) -> CKR_ATTRIBUTE_VALUE_INVALID.
CK_RV ecdh1_output_length(const Ecdh1Params& p, size_t z_len, std::optional<CK_ULONG> value_len, size_t& out_len);

// 3. Everything decided before the chip is asked.
struct Ecdh1Plan {
  Ecdh1Params params;
  Bytes point;  // the peer's point, uncompressed, on the key's curve
  size_t out_len = 0;
};
CK_RV ecdh1_plan(const CK_MECHANISM& m, const KeyRef& key, std::optional<CK_ULONG> value_len, Ecdh1Plan& plan);
// 4. Chip lock held: Z from the chip, then the KDF or the cut. `out` is the
//    key value (out_len bytes).
CK_RV ecdh1_run(se05x::Client& chip, const KeyRef& key, const Ecdh1Plan& plan, Bytes& out);

// 1-4 in order.
CK_RV ecdh1_derive(se05x::Client& chip, const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key,
                   Bytes& out, std::optional<CK_ULONG> value_len = std::nullopt);

}  // namespace sx::token
