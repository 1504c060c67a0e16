// Management / info commands (docs/se05x-protocol.md §4.6.1).
#include <string>

#include "se05x/client_internal.h"

namespace sx::se05x {

Result<VersionInfo> Client::get_version() {
  SX_ASSIGN(Bytes v, run_tlv(CmdId::GetVersion, {}));
  return named(name_of(CmdId::GetVersion), parse_version(v));
}

Result<Bytes> Client::get_random(uint16_t length) {
  constexpr CmdId id = CmdId::GetRandom;
  if (length == 0) return invalid(name_of(id), "length must be at least 1");
  SX_ASSIGN(Bytes v, run_tlv(id, {Arg::u16(tag::k1, length)}));
  if (v.size() != length)
    return malformed_reply(id, "asked for " + std::to_string(length) + " bytes, got " + std::to_string(v.size()));
  return v;
}

Result<uint32_t> Client::get_free_memory(MemoryType type) {
  // The reply is a U16, or a U32 on some applet patch versions (docs/se05x-protocol.md §4.6.1).
  SX_ASSIGN(Answer a, run(CmdId::GetFreeMemory, {Arg::u8(tag::k1, static_cast<uint8_t>(type))}));
  return a.fields.u32(tag::k1);
}

Status Client::set_platform_scp_required(const SessionId& sid, bool required) {
  constexpr uint8_t kRequired = 0x01, kNotRequired = 0x02;  // docs/scp03.md §7
  const Arg args[] = {Arg::u8(tag::k1, required ? kRequired : kNotRequired)};
  SX_ASSIGN(Answer a, run_in_session(sid, CmdId::SetPlatformSCPRequest, args));
  (void)a;
  return {};
}

}  // namespace sx::se05x
