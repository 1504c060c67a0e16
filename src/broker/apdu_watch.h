// The few APDUs the broker must recognise to keep the chip clean between
// clients: applet SELECT (replayed after the link to the chip was re-opened)
// and SE05x user sessions (closed when the client that opened them leaves).
// Pure functions on bytes, built on the command description (se05x/commands.def);
// any input is safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "se05x/commands.h"

namespace sx::broker {

using SessionId = std::array<uint8_t, 8>;

// True when the C-APDU's header is that of this command of the description.
bool is_command(se05x::CmdId id, ByteView capdu);
// 00 A4 04 xx ... (SELECT by AID).
bool is_select_by_aid(ByteView capdu);
// True when the R-APDU ends in 90 00.
bool sw_ok(ByteView rapdu);

// CreateSession 80 04 00 1B answered with 41 08 <id> 90 00 -> the id.
std::optional<SessionId> created_session(ByteView capdu, ByteView rapdu);
// A session-wrapped CloseSession (80 05 00 00 Lc 10 08 <id> 41 L 80 04 00 1C ...)
// answered with 90 00 -> the id that is now closed.
std::optional<SessionId> closed_session(ByteView capdu, ByteView rapdu);
// The wrapped CloseSession for `id`: 80 05 00 00 10 10 08 <id> 41 04 80 04 00 1C.
Bytes close_session_apdu(const SessionId& id);

}  // namespace sx::broker
