// One PKCS#11 object as the token presents it: metadata merged with what the
// chip says (chip-derived values are cached copies, never stored in metadata).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "se05x/constants.h"
#include "token/chip_scan.h"
#include "token/types.h"

namespace sx::token {

struct Object {
  uint32_t chip_id = 0;
  ObjectClass cls = ObjectClass::Data;
  KeyType key_type = KeyType::None;
  se05x::ObjectKind chip_kind = se05x::ObjectKind::Other;
  bool chip_cert = false;  // a binary file holding an X.509 certificate
  ObjectRef ref() const { return {chip_id, cls}; }

  std::string label;      // CKA_LABEL
  Bytes id;               // CKA_ID
  bool has_metadata = false;
  bool adopted = false;   // not created by this module (or no metadata at all)
  bool factory = false;   // NXP trust-provisioned: cannot be deleted
  bool is_private = false;  // CKA_PRIVATE
  bool modifiable = true;   // CKA_MODIFIABLE
  bool local = false;       // key pair generated on the chip by this module (CKA_LOCAL)
  // Private keys: the uses the module granted at creation (CKA_SIGN / CKA_DECRYPT /
  // CKA_DERIVE). FALSE was also left out of the key's chip policy (docs/chip-pin.md §2).
  bool sign = true, decrypt = true, derive = true;

  Bytes subject;          // certificate: from the DER; keys: from metadata
  Bytes issuer, serial;   // certificate only (serial = DER INTEGER)
  std::string application;  // data objects
  Bytes object_id;          // data objects
  Bytes value;              // certificate DER / data bytes (never for keys)

  se05x::Curve curve = se05x::Curve::None;
  Bytes ec_params;        // DER OID of the named curve
  Bytes ec_point;         // raw 04||X||Y (the C layer wraps it in an OCTET STRING)
  Bytes modulus, public_exponent;
  uint32_t modulus_bits = 0;
};

// Attributes of a new object. Unset label/ID default to the adoption form
// ("sss:%08X" of the chip ID / its 4 big-endian bytes).
struct NewObject {
  std::optional<std::string> label;
  std::optional<Bytes> id;
  Bytes subject;            // keys
  std::string application;  // data
  Bytes object_id;          // data
  std::optional<bool> is_private;  // default: true for private keys, false otherwise
  // Private keys: CKA_SIGN / CKA_DECRYPT / CKA_DERIVE. Unset = granted. FALSE is a
  // missing right in the chip policy of a chip-PIN token (docs/chip-pin.md §2), so
  // not even the user's session can use the key that way.
  std::optional<bool> sign, decrypt, derive;
};

struct AttributeUpdate {
  std::optional<std::string> label;
  std::optional<Bytes> id;
  std::optional<Bytes> subject;            // keys only
  std::optional<std::string> application;  // data only
  std::optional<Bytes> object_id;          // data only
  std::optional<bool> is_private;
};

struct KeySpec {
  KeyType type = KeyType::Ec;
  se05x::Curve curve = se05x::Curve::NistP256;  // EC: P-256, P-384, P-521
  uint16_t rsa_bits = 2048;                     // RSA: 2048, 3072, 4096
};

// The default (adoption) label of a chip object: "sss:%08X", as NXP's P11-4.7.
std::string default_label(uint32_t chip_id);
Bytes default_ckid(uint32_t chip_id);

}  // namespace sx::token
