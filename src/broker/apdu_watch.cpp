#include "broker/apdu_watch.h"

#include <algorithm>

#include "se05x/apdu.h"
#include "se05x/commands.h"

namespace sx::broker {

namespace {

using se05x::CmdId;
using se05x::command;

// The R-APDU's data when it ends in 90 00.
std::optional<ByteView> ok_data(ByteView r) {
  if (!sw_ok(r)) return std::nullopt;
  return r.first(r.size() - 2);
}

std::optional<SessionId> session_id(ByteView v) {
  SessionId id;
  if (v.size() != id.size()) return std::nullopt;
  std::copy(v.begin(), v.end(), id.begin());
  return id;
}

}  // namespace

bool is_command(CmdId id, ByteView capdu) { return se05x::matches(command(id), capdu); }

// A body (or Le) is needed to name an AID; P2 may vary.
bool is_select_by_aid(ByteView c) { return c.size() >= 5 && is_command(CmdId::Select, c); }

bool sw_ok(ByteView r) { return r.size() >= 2 && r[r.size() - 2] == 0x90 && r[r.size() - 1] == 0x00; }

std::optional<SessionId> created_session(ByteView c, ByteView r) {
  if (!is_command(CmdId::CreateSession, c)) return std::nullopt;
  const auto data = ok_data(r);
  if (!data) return std::nullopt;
  auto reply = se05x::decode_reply(command(CmdId::CreateSession), *data);
  if (!reply) return std::nullopt;
  return session_id(reply->bytes(se05x::tag::k1));
}

// Read at the fixed positions of the MW's wrapped form: header, short Lc, the session-ID
// TLV, the command TLV with a one-byte length, then the wrapped command. That command is
// compared on INS and P2 only: secure messaging changes the CLA of a wrapped command.
std::optional<SessionId> closed_session(ByteView c, ByteView r) {
  const se05x::Command& process = command(CmdId::ProcessSessionCmd);
  const se05x::Field* sid = process.request.find(se05x::tag::kSessionId);
  const size_t sid_at = 5, cmd_at = sid_at + 2 + sid->size, inner_at = cmd_at + 2;
  if (!sw_ok(r) || c.size() < inner_at + 4 || !se05x::matches(process, c)) return std::nullopt;
  if (c[sid_at] != sid->tag || c[sid_at + 1] != sid->size || c[cmd_at] != se05x::tag::k1) return std::nullopt;
  const se05x::CommandHeader close = command(CmdId::CloseSession).header;
  if (c[inner_at + 1] != close.ins || c[inner_at + 3] != close.p2) return std::nullopt;
  return session_id(c.subspan(sid_at + 2, sid->size));
}

Bytes close_session_apdu(const SessionId& id) {
  // The wrapped CloseSession is its bare header (ISO case 1).
  const se05x::CommandHeader h = command(CmdId::CloseSession).header;
  const uint8_t inner[] = {h.cla, h.ins, h.p1, h.p2};
  const se05x::Arg args[] = {se05x::Arg::bin(se05x::tag::kSessionId, id), se05x::Arg::bin(se05x::tag::k1, inner)};
  auto apdu = se05x::build_request(command(CmdId::ProcessSessionCmd), args);
  return apdu ? std::move(*apdu) : Bytes{};  // cannot fail: the arguments match the row
}

}  // namespace sx::broker
