// The client's transport core: framing, SW checks, strict single-TLV replies.
// Recovery from chip resets (re-SELECT, resend when provably safe) is the
// device stack's layer under the channel (device/reselect_channel.h).
#include <string>

#include "se05x/client_internal.h"
#include "se05x/status.h"

namespace sx::se05x {

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

Result<Client::Answer> Client::run(CmdId id, std::span<const Arg> args, HeaderBits bits) {
  const Command& c = command(id);
  SX_ASSIGN(Bytes apdu, build_request(c, args, bits));
  return send_built(c, std::move(apdu));
}

Result<Client::Answer> Client::send_built(const Command& c, Bytes apdu) {
  auto raw = exchange(apdu);
  secure_wipe(apdu);  // may have carried key material
  SX_ASSIGN(Bytes rapdu, named(c.name, std::move(raw)));
  SX_ASSIGN(Response resp, named(c.name, split_response(rapdu)));
  SX_TRY(check(resp, c.name));
  Answer a;
  a.data = std::move(resp.data);
  SX_ASSIGN(a.fields, decode_reply(c, a.data));
  return a;
}

Status Client::run_empty(CmdId id, std::span<const Arg> args, HeaderBits bits) {
  auto r = run(id, args, bits);
  if (!r) return r.take_error();
  return {};
}

Result<Bytes> Client::run_tlv(CmdId id, std::span<const Arg> args) {
  SX_ASSIGN(Answer a, run(id, args));
  const ByteView v = a.fields.bytes(tag::k1);
  return Bytes(v.begin(), v.end());
}

Result<bool> Client::run_result(CmdId id, std::span<const Arg> args) {
  SX_ASSIGN(Answer a, run(id, args));
  const uint8_t v = a.fields.u8(tag::k1);
  if (v == kResultSuccess) return true;
  if (v == kResultFailure) return false;
  return malformed_reply(id, "result byte " + std::to_string(v) + " is neither 01 nor 02");
}

}  // namespace sx::se05x
