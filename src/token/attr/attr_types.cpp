#include "token/attr/attr_types.h"

#include <cstring>
#include <limits>

namespace sx::token {

Bytes ck_bool(bool v) { return Bytes{static_cast<uint8_t>(v ? CK_TRUE : CK_FALSE)}; }

Bytes ck_ulong(CK_ULONG v) {
  Bytes b(sizeof(CK_ULONG));
  std::memcpy(b.data(), &v, sizeof v);
  return b;
}

Bytes ck_mechanisms(std::span<const CK_MECHANISM_TYPE> list) {
  Bytes b(list.size() * sizeof(CK_MECHANISM_TYPE));
  if (!list.empty()) std::memcpy(b.data(), list.data(), b.size());
  return b;
}

std::optional<bool> as_bool(ByteView v) {
  if (v.size() != sizeof(CK_BBOOL) || v[0] > 1) return std::nullopt;
  return v[0] == CK_TRUE;
}

std::optional<CK_ULONG> as_ulong(ByteView v) {
  if (v.size() != sizeof(CK_ULONG)) return std::nullopt;
  CK_ULONG x = 0;
  std::memcpy(&x, v.data(), sizeof x);
  return x;
}

std::optional<bool> get_bool(const AttrMap& m, CK_ATTRIBUTE_TYPE t) {
  auto it = m.find(t);
  return it == m.end() ? std::nullopt : as_bool(it->second);
}

std::optional<CK_ULONG> get_ulong(const AttrMap& m, CK_ATTRIBUTE_TYPE t) {
  auto it = m.find(t);
  return it == m.end() ? std::nullopt : as_ulong(it->second);
}

bool valid_for_kind(AttrKind k, ByteView v) {
  switch (k) {
    case AttrKind::Bool: return as_bool(v).has_value();
    case AttrKind::Ulong: return v.size() == sizeof(CK_ULONG);
    case AttrKind::Bytes:
    case AttrKind::Utf8: return true;
    case AttrKind::BigInt: return !v.empty();
    case AttrKind::Date:
      if (v.empty()) return true;
      if (v.size() != 8) return false;
      for (uint8_t c : v)
        if (c < '0' || c > '9') return false;
      return true;
    case AttrKind::MechanismList: return v.size() % sizeof(CK_MECHANISM_TYPE) == 0;
  }
  return false;
}

namespace {

void put_u64(Bytes& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

Result<Bytes> ulongs_to_portable(ByteView native) {
  if (native.size() % sizeof(CK_ULONG) != 0) return make_error(Errc::InvalidArgument, "attribute: bad CK_ULONG size");
  Bytes out;
  for (size_t at = 0; at < native.size(); at += sizeof(CK_ULONG)) {
    CK_ULONG x = 0;
    std::memcpy(&x, native.data() + at, sizeof x);
    put_u64(out, static_cast<uint64_t>(x));
  }
  return out;
}

Result<Bytes> ulongs_from_portable(ByteView p) {
  if (p.size() % 8 != 0) return make_error(Errc::Malformed, "attribute: portable ulong is not 8 bytes");
  Bytes out;
  for (size_t at = 0; at < p.size(); at += 8) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) v = (v << 8) | p[at + i];
    // CK_UNAVAILABLE_INFORMATION is all ones at either width.
    CK_ULONG x = 0;
    if (v == ~uint64_t{0}) x = CK_UNAVAILABLE_INFORMATION;
    else if (v > std::numeric_limits<CK_ULONG>::max())
      return make_error(Errc::Unsupported, "attribute: value does not fit CK_ULONG here");
    else x = static_cast<CK_ULONG>(v);
    append(out, ck_ulong(x));
  }
  return out;
}

}  // namespace

Result<Bytes> to_portable(AttrKind k, ByteView native) {
  if (k == AttrKind::Ulong && native.size() != sizeof(CK_ULONG))
    return make_error(Errc::InvalidArgument, "attribute: bad CK_ULONG size");
  if (k == AttrKind::Ulong || k == AttrKind::MechanismList) return ulongs_to_portable(native);
  return Bytes(native.begin(), native.end());
}

Result<Bytes> from_portable(AttrKind k, ByteView portable) {
  if (k == AttrKind::Ulong && portable.size() != 8) return make_error(Errc::Malformed, "attribute: bad portable ulong");
  if (k == AttrKind::Ulong || k == AttrKind::MechanismList) return ulongs_from_portable(portable);
  if (!valid_for_kind(k, portable)) return make_error(Errc::Malformed, "attribute: malformed stored value");
  return Bytes(portable.begin(), portable.end());
}

Bytes attr_bytes(const CK_ATTRIBUTE& a) {
  if (a.pValue == nullptr || a.ulValueLen == 0) return {};
  const auto* p = static_cast<const uint8_t*>(a.pValue);
  return Bytes(p, p + a.ulValueLen);
}

}  // namespace sx::token
