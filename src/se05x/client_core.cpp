// The client's transport core: framing, SW checks, strict single-TLV replies.
// Recovery from chip resets (re-SELECT, resend when provably safe) is the
// device stack's layer under the channel (device/reselect_channel.h).
#include <string>

#include "se05x/client_internal.h"
#include "se05x/status.h"

namespace sx::se05x {

Error in_command(std::string_view name, Error e) {
  e.message = std::string(name) + ": " + e.message;
  return e;
}

Status expect_end(const TlvReader& r, std::string_view name) {
  if (r.at_end()) return {};
  return make_error(Errc::Malformed,
                    std::string(name) + ": " + std::to_string(r.remaining()) + " unexpected bytes after the reply TLVs");
}

Result<ByteView> only_tlv(ByteView data, uint8_t t, std::string_view name) {
  TlvReader r(data);
  SX_ASSIGN(ByteView v, named(name, r.expect(t)));
  SX_TRY(expect_end(r, name));
  return v;
}

Result<VersionInfo> Client::select_raw() {
  constexpr const char* kName = "SELECT";
  // 00 A4 04 00 10 <AID> 00: short Lc and a short Le, unlike the 80-class commands.
  Bytes apdu = build_command({0x00, 0xA4, 0x04, 0x00}, kAppletAid, LeMode::None);
  apdu.push_back(0x00);
  SX_ASSIGN(Bytes raw, ch_.transceive(apdu));
  SX_ASSIGN(Response resp, named(kName, split_response(raw)));
  SX_TRY(check(resp, kName));
  SX_ASSIGN(VersionInfo v, named(kName, parse_version(resp.data)));
  version_ = v;
  return v;
}

// A chip reset during SELECT (or any command) is recovered below the client,
// by the device stack's reset-recovery layer (device/reselect_channel.h).
Result<VersionInfo> Client::select() { return select_raw(); }

Result<Bytes> Client::exchange(ByteView capdu) { return ch_.transceive(capdu); }

Result<Bytes> Client::call(const CmdSpec& c, ByteView body) {
  Bytes apdu = build_command(c.header, body, c.le);
  auto raw = exchange(apdu);
  secure_wipe(apdu);  // may have carried key material
  SX_ASSIGN(Bytes rapdu, named(c.name, std::move(raw)));
  SX_ASSIGN(Response resp, named(c.name, split_response(rapdu)));
  SX_TRY(check(resp, c.name));
  return std::move(resp.data);
}

Status Client::call_empty(const CmdSpec& c, ByteView body) {
  SX_ASSIGN(Bytes data, call(c, body));
  if (!data.empty())
    return make_error(Errc::Malformed,
                      std::string(c.name) + ": " + std::to_string(data.size()) + " unexpected bytes before the SW");
  return {};
}

Result<Bytes> Client::call_tlv(const CmdSpec& c, ByteView body) {
  SX_ASSIGN(Bytes data, call(c, body));
  SX_ASSIGN(ByteView v, only_tlv(data, tag::k1, c.name));
  return Bytes(v.begin(), v.end());
}

Result<uint8_t> Client::call_u8(const CmdSpec& c, ByteView body) {
  SX_ASSIGN(Bytes v, call_tlv(c, body));
  if (v.size() != 1) return make_error(Errc::Malformed, std::string(c.name) + ": expected a 1-byte TLV");
  return v[0];
}

Result<uint16_t> Client::call_u16(const CmdSpec& c, ByteView body) {
  SX_ASSIGN(Bytes v, call_tlv(c, body));
  if (v.size() != 2) return make_error(Errc::Malformed, std::string(c.name) + ": expected a 2-byte TLV");
  return get_u16(v);
}

Result<bool> Client::call_result(const CmdSpec& c, ByteView body) {
  SX_ASSIGN(uint8_t v, call_u8(c, body));
  if (v == kResultSuccess) return true;
  if (v == kResultFailure) return false;
  return make_error(Errc::Malformed, std::string(c.name) + ": result byte " + std::to_string(v) + " is neither 01 nor 02");
}

}  // namespace sx::se05x
