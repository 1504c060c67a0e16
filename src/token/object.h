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
  // The chip object's bytes (public key, modulus, value, certificate fields) are
  // read; false for a description from the object index until Token::load_bytes().
  bool bytes_loaded = true;
  ObjectRef ref() const { return {chip_id, cls}; }

  std::string label;      // CKA_LABEL
  Bytes id;               // CKA_ID
  bool has_metadata = false;
  bool adopted = false;   // not created by this module (or no metadata at all)
  bool factory = false;   // NXP trust-provisioned: cannot be deleted
  bool is_private = false;  // CKA_PRIVATE
  bool modifiable = true;   // CKA_MODIFIABLE
  bool local = false;       // key pair generated on the chip by this module (CKA_LOCAL)
  // Key usage as created (docs/pkcs11-module.md, "Key usage"), resolved for the key
  // type; keys without a record (adopted, factory) keep the defaults below.
  // Private half: CKA_SIGN / CKA_DECRYPT / CKA_DERIVE (a FALSE one is also left
  // out of a chip-PIN token's key policy, docs/chip-pin.md §2), CKA_UNWRAP,
  // CKA_SIGN_RECOVER. Defaults: SIGN, DECRYPT for RSA, DERIVE for EC.
  bool sign = true, decrypt = false, derive = false, unwrap = false, sign_recover = false;
  // Public half: CKA_VERIFY / CKA_ENCRYPT / CKA_WRAP / CKA_VERIFY_RECOVER / CKA_DERIVE.
  // Defaults: VERIFY, ENCRYPT for RSA.
  bool verify = true, encrypt = false, wrap = false, verify_recover = false, pub_derive = false;
  // CKA_ALWAYS_AUTHENTICATE of the private half.
  bool always_authenticate = false;

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
  // Key usage (keys only; unset = the key type's default, as Object's). Private:
  // CKA_SIGN / CKA_DECRYPT / CKA_DERIVE -- FALSE is a missing right in the chip
  // policy of a chip-PIN token (docs/chip-pin.md §2), so not even the user's
  // session can use the key that way -- CKA_UNWRAP, CKA_SIGN_RECOVER.
  std::optional<bool> sign, decrypt, derive, unwrap, sign_recover;
  // The public half of a pair: CKA_VERIFY, CKA_ENCRYPT, CKA_WRAP, CKA_VERIFY_RECOVER, CKA_DERIVE.
  std::optional<bool> verify, encrypt, wrap, verify_recover, pub_derive;
  std::optional<bool> always_authenticate;
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
  uint16_t rsa_bits = 2048;                     // RSA: rsa_bits_supported()
};

// The RSA sizes the module generates and imports: what the chip takes
// (docs/se05x-protocol.md, key-size TLV) except 512, which is unsafe.
inline bool rsa_bits_supported(uint32_t bits) {
  return bits == 1024 || bits == 1152 || bits == 2048 || bits == 3072 || bits == 4096;
}

// The curves the module generates keys on: P-256, P-384, P-521.
inline bool curve_allowed(se05x::Curve c) {
  return c == se05x::Curve::NistP256 || c == se05x::Curve::NistP384 || c == se05x::Curve::NistP521;
}

// The default (adoption) label of a chip object: "sss:%08X", as NXP's P11-4.7.
std::string default_label(uint32_t chip_id);
Bytes default_ckid(uint32_t chip_id);

}  // namespace sx::token
