#include "se05x/types.h"

#include <string>

namespace sx::se05x {

namespace {

Error type_malformed(const std::string& what) { return make_error(Errc::Malformed, what); }

// 7.2 per-curve EC type codes come in groups of four (pair, private, public,
// unused); Weierstrass curve IDs 1..17 start at 0x21 + 4*(id-1).
constexpr uint8_t kEc72First = 0x21;
constexpr uint8_t kEc72WeierstrassEnd = 0x21 + 4 * 17;
struct ExtraGroup {
  uint8_t base;
  Curve curve;
};
constexpr ExtraGroup kEc72Extra[] = {{0x65, Curve::Ed25519}, {0x69, Curve::X25519}, {0x71, Curve::X448}};
constexpr ObjectType kEcParts[3] = {ObjectType::EcKeyPair, ObjectType::EcPrivate, ObjectType::EcPublic};

bool is_3x_code(uint8_t c) { return c >= 0x01 && c <= 0x11 && c != 0x0E; }

}  // namespace

ObjectKind kind_of(ObjectType t) {
  using T = ObjectType;
  switch (t) {
    case T::EcKeyPair: return ObjectKind::EcPair;
    case T::EcPrivate: return ObjectKind::EcPrivate;
    case T::EcPublic: return ObjectKind::EcPublic;
    case T::RsaKeyPair:
    case T::RsaKeyPairCrt: return ObjectKind::RsaPair;
    case T::RsaPrivate:
    case T::RsaPrivateCrt: return ObjectKind::RsaPrivate;
    case T::RsaPublic: return ObjectKind::RsaPublic;
    case T::BinaryFile: return ObjectKind::Binary;
    case T::Aes: return ObjectKind::Aes;
    case T::Des: return ObjectKind::Des;
    case T::Hmac: return ObjectKind::Hmac;
    default: return ObjectKind::Other;
  }
}

Result<VersionInfo> parse_version(ByteView v) {
  if (v.size() != 4 && v.size() != 5 && v.size() != 7)
    return type_malformed("version info: expected 4, 5 or 7 bytes, got " + std::to_string(v.size()));
  VersionInfo out;
  out.major = v[0];
  out.minor = v[1];
  out.patch = v[2];
  if (v.size() >= 5) out.applet_config = get_u16(v, 3);
  if (v.size() == 7) out.securebox = get_u16(v, 5);
  return out;
}

Result<KeyKind> normalize_type(uint8_t code) {
  if (is_3x_code(code)) return KeyKind{static_cast<ObjectType>(code), Curve::None};
  uint8_t base = 0;
  Curve curve = Curve::None;
  if (code >= kEc72First && code < kEc72WeierstrassEnd) {
    base = static_cast<uint8_t>(code - (code - kEc72First) % 4);
    curve = static_cast<Curve>((base - kEc72First) / 4 + 1);
  } else {
    for (const auto& g : kEc72Extra)
      if (code >= g.base && code < g.base + 4) {
        base = g.base;
        curve = g.curve;
      }
  }
  const int part = code - base;
  if (curve == Curve::None || part > 2) return type_malformed("unknown SecureObjectType " + std::to_string(code));
  return KeyKind{kEcParts[part], curve};
}

Result<ObjectAttributes> parse_attributes(ByteView v, bool with_version) {
  constexpr size_t kHead = 4 + 1 + 1 + 2 + 4 + 2;
  const size_t tail = 1 + (with_version ? 4 : 0);
  if (v.size() < kHead + tail)
    return type_malformed("object attributes: " + std::to_string(v.size()) + " bytes is too short");
  ObjectAttributes a;
  a.id = get_u32(v, 0);
  a.type = v[4];
  if (v[5] != 0x01 && v[5] != 0x02) return type_malformed("object attributes: bad authentication indicator");
  a.auth_set = v[5] == 0x02;
  a.auth_attempts = get_u16(v, 6);
  a.auth_object_id = get_u32(v, 8);
  a.max_auth_attempts = get_u16(v, 12);
  const size_t origin_at = v.size() - tail;
  a.policy.assign(v.begin() + kHead, v.begin() + static_cast<std::ptrdiff_t>(origin_at));
  const uint8_t origin = v[origin_at];
  if (origin < 0x01 || origin > 0x03) return type_malformed("object attributes: bad origin");
  a.origin = static_cast<Origin>(origin);
  if (with_version) a.version = get_u32(v, origin_at + 1);
  return a;
}

}  // namespace sx::se05x
