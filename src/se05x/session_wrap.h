// The user-session wrapper (docs/se05x-protocol.md §4.9.3) as pure functions:
// the device stack's session layer (device/user_session.h) sends every command
// of a session through wrap_in_session; tests and the broker can reason about
// the same bytes without a channel.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"

namespace sx::se05x {

// The 8 bytes CreateSession answers (docs/se05x-protocol.md §4.9.2).
using SessionId = std::array<uint8_t, 8>;

// 80 05 00 00 Lc 10 08 <session ID> 41 L <inner> for an inner C-APDU as the
// client builds it. The inner command loses its Le; its Lc stays one byte, or
// 00 HH LL when the inner command is an extended one, and then the outer APDU
// is extended too (00 HH LL Lc and a closing Le 00 00). A data-less inner
// command is its 4-byte header. A short inner command too long for a short
// wrapper (more than 242 bytes) is sent in its extended form, in an extended
// wrapper. Refused (Errc::InvalidArgument): an inner C-APDU that does not
// parse, an inner wrapper (80 05), an inner command too long for an extended
// wrapper.
Result<Bytes> wrap_in_session(ByteView inner, const SessionId& sid);

// The C-APDU shapes the session layer must let through unwrapped.
bool is_create_session(ByteView capdu);  // 80 04 00 1B ..
bool is_session_wrapped(ByteView capdu);  // 80 05 00 00 ..

}  // namespace sx::se05x
