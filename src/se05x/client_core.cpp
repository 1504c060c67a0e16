// The client's transport core: framing, SW checks, strict single-TLV replies.
// Recovery from chip resets (re-SELECT, resend when provably safe) is the
// device stack's layer under the channel (device/reselect_channel.h).
#include <cstring>
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

// The hot path of every command (one per C_Sign): the request is built in one buffer
// and wiped only when its row can carry secrets (request_carries_secrets); the SW is
// cut off the reply in place and the fields decoded into the answer, so the reply's
// bytes are neither copied nor reallocated on the way up.
Result<Client::Answer> Client::run(CmdId id, std::span<const Arg> args, HeaderBits bits) {
  const Command& c = command(id);
  SX_ASSIGN(Bytes apdu, build_request(c, args, bits));
  return send_built(c, std::move(apdu));
}

Result<Client::Answer> Client::send_built(const Command& c, Bytes apdu) {
  auto raw = exchange(apdu);
  if (request_carries_secrets(c.id)) secure_wipe(apdu);
  if (!raw) return in_command(c.name, raw.take_error());
  Answer a;
  a.data = std::move(*raw);
  const size_t n = a.data.size();
  if (n < 2) return in_command(c.name, make_error(Errc::Malformed, "R-APDU shorter than its status word"));
  const auto status = static_cast<uint16_t>(a.data[n - 2] << 8 | a.data[n - 1]);
  a.data.resize(n - 2);
  if (status != sw::kOk) return status_error(c.name, status);
  SX_TRY(decode_reply(c, a.data, a.fields));
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
  // The value moved to the front of the reply's own buffer: no second allocation.
  const size_t len = v.size();
  if (len) std::memmove(a.data.data(), v.data(), len);
  a.data.resize(len);
  return std::move(a.data);
}

Result<bool> Client::run_result(CmdId id, std::span<const Arg> args) {
  SX_ASSIGN(Answer a, run(id, args));
  const uint8_t v = a.fields.u8(tag::k1);
  if (v == kResultSuccess) return true;
  if (v == kResultFailure) return false;
  return malformed_reply(id, "result byte " + std::to_string(v) + " is neither 01 nor 02");
}

}  // namespace sx::se05x
