// Management / info commands (protocol notes 4.6.1).
#include <string>

#include "se05x/client_internal.h"

namespace sx::se05x {

Result<VersionInfo> Client::get_version() {
  SX_ASSIGN(Bytes v, call_tlv(cmd::kGetVersion, {}));
  return named(cmd::kGetVersion.name, parse_version(v));
}

Result<Bytes> Client::get_random(uint16_t length) {
  if (length == 0) return invalid(cmd::kGetRandom.name, "length must be at least 1");
  SX_ASSIGN(Bytes v, call_tlv(cmd::kGetRandom, TlvWriter().u16(tag::k1, length).take()));
  if (v.size() != length)
    return make_error(Errc::Malformed, std::string(cmd::kGetRandom.name) + ": asked for " + std::to_string(length) +
                                           " bytes, got " + std::to_string(v.size()));
  return v;
}

Result<uint32_t> Client::get_free_memory(MemoryType type) {
  const auto& c = cmd::kGetFreeMemory;
  SX_ASSIGN(Bytes v, call_tlv(c, TlvWriter().u8(tag::k1, static_cast<uint8_t>(type)).take()));
  // U32 only on some applet patch versions (protocol notes 4.6.1).
  if (v.size() == 2) return uint32_t{get_u16(v)};
  if (v.size() == 4) return get_u32(v);
  return make_error(Errc::Malformed, std::string(c.name) + ": expected a 2- or 4-byte TLV");
}

}  // namespace sx::se05x
