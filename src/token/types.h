// Value types of the token object model shared by the metadata format and the
// Token class. Class and key-type values equal the PKCS#11 CKO_* / CKK_* codes
// so the C ABI layer can pass them through unchanged.
#pragma once

#include <cstdint>

namespace sx::token {

enum class ObjectClass : uint8_t { Data = 0, Certificate = 1, PublicKey = 2, PrivateKey = 3 };
enum class KeyType : uint8_t { Rsa = 0x00, Ec = 0x03, None = 0xFF };

const char* class_name(ObjectClass c);

// One PKCS#11 object = one view of one chip object. A key-pair chip object
// yields two views (private and public key) under the same chip ID.
struct ObjectRef {
  uint32_t chip_id = 0;
  ObjectClass cls = ObjectClass::Data;
  friend bool operator==(const ObjectRef&, const ObjectRef&) = default;
};

}  // namespace sx::token
