// Value types returned by the SE05x client, and the pure decoders for the
// structured payloads (version info, 7.2 per-curve type codes, attributes).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "se05x/constants.h"

namespace sx::se05x {

struct VersionInfo {
  uint8_t major = 0, minor = 0, patch = 0;
  uint16_t applet_config = 0;  // 0 when the reply had fewer than 5 bytes
  uint16_t securebox = 0;      // major<<8 | minor; 0 when the reply had fewer than 7 bytes
  bool at_least(uint8_t mj, uint8_t mn) const { return major > mj || (major == mj && minor >= mn); }
};
// SELECT / GetVersion payload: 4, 5 or 7 bytes (like the MW). With 4 bytes the
// meaning of the 4th byte is unknown [U] and it is ignored.
Result<VersionInfo> parse_version(ByteView v);

struct IdPage {
  bool more = false;
  std::vector<uint32_t> ids;
};

struct TypeInfo {
  uint8_t type = 0;  // raw SecureObjectType code (3.x or 7.2 per-curve)
  bool transient = false;
};

// What a secure object is: the one object-kind enum of the host stack and the simulator.
// (The simulator's NVM file stores these values: append, never reorder.)
enum class ObjectKind : uint8_t { EcPair, EcPrivate, EcPublic, RsaPair, RsaPrivate, RsaPublic, Binary, Aes, Des, Hmac, Other };

constexpr bool is_ec(ObjectKind k) { return k == ObjectKind::EcPair || k == ObjectKind::EcPrivate || k == ObjectKind::EcPublic; }
constexpr bool is_rsa(ObjectKind k) {
  return k == ObjectKind::RsaPair || k == ObjectKind::RsaPrivate || k == ObjectKind::RsaPublic;
}
constexpr bool is_symmetric(ObjectKind k) { return k == ObjectKind::Aes || k == ObjectKind::Des || k == ObjectKind::Hmac; }
constexpr bool is_pair(ObjectKind k) { return k == ObjectKind::EcPair || k == ObjectKind::RsaPair; }
constexpr bool has_private(ObjectKind k) { return is_pair(k) || k == ObjectKind::EcPrivate || k == ObjectKind::RsaPrivate; }
constexpr bool has_public(ObjectKind k) { return is_pair(k) || k == ObjectKind::EcPublic || k == ObjectKind::RsaPublic; }

// The kind of a (3.x) SecureObjectType; Other for codes without one (counters, PCRs, ...).
ObjectKind kind_of(ObjectType t);

// What a ReadType code means independent of the applet generation. For
// applet 3.x EC codes the curve is unknown here (Curve::None; ask GetECCurveId).
struct KeyKind {
  ObjectType type;  // expressed with the 3.x codes
  Curve curve = Curve::None;
};
// Normalises applet 7.2 per-curve EC codes (docs/se05x-protocol.md §5.3) to {EC pair/private/
// public, curve}; 3.x codes pass through. Other 7.2 codes are assumed to equal
// the 3.x ones [U]. Errc::Malformed for unknown codes.
Result<KeyKind> normalize_type(uint8_t code);

struct ObjectAttributes {
  uint32_t id = 0;
  uint8_t type = 0;
  bool auth_set = false;
  uint16_t auth_attempts = 0;  // or min AEAD tag length
  uint32_t auth_object_id = 0;
  uint16_t max_auth_attempts = 0;
  Bytes policy;  // raw policy entries
  Origin origin = Origin::External;
  std::optional<uint32_t> version;  // applet >= 7.2 only
};
// Layout of docs/se05x-protocol.md §4.8; with_version = the applet >= 7.2 form.
Result<ObjectAttributes> parse_attributes(ByteView v, bool with_version);

}  // namespace sx::se05x
