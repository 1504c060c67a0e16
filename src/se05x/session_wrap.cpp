#include "se05x/session_wrap.h"

#include "se05x/apdu.h"
#include "se05x/constants.h"
#include "se05x/tlv.h"

namespace sx::se05x {

namespace {

Error refused(const char* why) { return make_error(Errc::InvalidArgument, std::string("session wrapper: ") + why); }

// The inner command as the wrapper carries it: header, then Lc and data, never an Le.
Bytes inner_without_le(const ParsedCommand& c, bool extended) {
  Bytes out{c.header.cla, c.header.ins, c.header.p1, c.header.p2};
  if (c.body.empty()) return out;
  if (extended) {
    out.push_back(0x00);
    put_u16(out, static_cast<uint16_t>(c.body.size()));
  } else {
    out.push_back(static_cast<uint8_t>(c.body.size()));
  }
  append(out, c.body);
  return out;
}

// 10 08 <session ID> 41 L <inner>
Bytes wrapper_body(const ParsedCommand& c, bool extended, const SessionId& sid) {
  Bytes in = inner_without_le(c, extended);
  TlvWriter w;
  w.bytes(tag::kSessionId, ByteView(sid.data(), sid.size()));
  w.bytes(tag::k1, in);
  secure_wipe(in);  // may carry a PIN or key material
  return w.take();
}

}  // namespace

Result<Bytes> wrap_in_session(ByteView inner, const SessionId& sid) {
  auto parsed = parse_command(inner);
  if (!parsed) return refused(("inner C-APDU: " + parsed.error().message).c_str());
  const ParsedCommand& c = *parsed;
  if (c.header.cla == kCla && c.header.ins == ins::kProcess) return refused("the inner command is a wrapper itself");
  bool extended = c.extended;
  Bytes body = wrapper_body(c, extended, sid);
  if (!extended && body.size() > 0xFF) {
    // A short command that no longer fits a short wrapper: the MW's rule (an extended
    // inner command makes the wrapper extended, docs/se05x-protocol.md §4.9.3) applied
    // to the extended form of the same command. Our choice; the MW never sends it.
    secure_wipe(body);
    extended = true;
    body = wrapper_body(c, extended, sid);
  }
  if (body.size() > 0xFFFF) {
    secure_wipe(body);
    return refused("inner command too long for an extended wrapper");
  }
  Bytes out{kCla, ins::kProcess, p1::kDefault, p2::kDefault};
  if (extended) {
    out.push_back(0x00);
    put_u16(out, static_cast<uint16_t>(body.size()));
  } else {
    out.push_back(static_cast<uint8_t>(body.size()));
  }
  append(out, body);
  secure_wipe(body);
  if (extended) append(out, Bytes{0x00, 0x00});
  return out;
}

bool is_create_session(ByteView c) {
  return c.size() >= 4 && c[0] == kCla && c[1] == ins::kMgmt && c[2] == p1::kDefault && c[3] == p2::kSessionCreate;
}

bool is_session_wrapped(ByteView c) {
  return c.size() >= 4 && c[0] == kCla && c[1] == ins::kProcess && c[2] == p1::kDefault && c[3] == p2::kDefault;
}

}  // namespace sx::se05x
