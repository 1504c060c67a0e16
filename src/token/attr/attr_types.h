// Attribute values as the token keeps them in memory: the bytes the C ABI
// hands out (CK_BBOOL = 1 byte, CK_ULONG = native width: 4 bytes on armhf,
// 8 on x86_64, CK_DATE = 8 ASCII digits). Anything written to disk must go
// through to_portable()/from_portable(), never the native bytes.
#pragma once

#include <p11-kit/pkcs11.h>

#include <map>
#include <optional>
#include <span>

#include "base/bytes.h"
#include "base/result.h"

namespace sx::token {

// Value of every attribute an object has, keyed by type. An attribute that is
// not in the map is one the object does not have.
using AttrMap = std::map<CK_ATTRIBUTE_TYPE, Bytes>;

enum class AttrKind : uint8_t {
  Bool,           // CK_BBOOL, exactly 1 byte, 0 or 1
  Ulong,          // CK_ULONG, sizeof(CK_ULONG) bytes
  Bytes,          // opaque byte string (DER, IDs, values)
  Utf8,           // RFC 2279 string (labels); not NUL-terminated
  BigInt,         // big-endian unsigned integer, non-empty
  Date,           // CK_DATE: empty or 8 ASCII digits YYYYMMDD
  MechanismList,  // array of CK_MECHANISM_TYPE (multiple of sizeof(CK_ULONG))
};

Bytes ck_bool(bool v);
Bytes ck_ulong(CK_ULONG v);
Bytes ck_mechanisms(std::span<const CK_MECHANISM_TYPE> list);
std::optional<bool> as_bool(ByteView v);
std::optional<CK_ULONG> as_ulong(ByteView v);
// Map lookups; nullopt when absent or malformed.
std::optional<bool> get_bool(const AttrMap& m, CK_ATTRIBUTE_TYPE t);
std::optional<CK_ULONG> get_ulong(const AttrMap& m, CK_ATTRIBUTE_TYPE t);

// Well-formedness of a value for its kind (CKR_ATTRIBUTE_VALUE_INVALID if not).
bool valid_for_kind(AttrKind k, ByteView v);

// Native <-> portable (fixed-width) form. Ulong and each mechanism of a list
// become 8-byte big-endian; other kinds are unchanged. from_portable fails on
// malformed input and on values that do not fit this platform's CK_ULONG.
Result<Bytes> to_portable(AttrKind k, ByteView native);
Result<Bytes> from_portable(AttrKind k, ByteView portable);

// Copies a CK_ATTRIBUTE's value (NULL with length 0 = empty).
Bytes attr_bytes(const CK_ATTRIBUTE& a);

}  // namespace sx::token
