// Status words -> typed errors with a readable meaning.
//
// Which SW a real SE050 returns for "object does not exist" (ReadObject,
// ReadType, DeleteSecureObject, ...) is unconfirmed [U] (docs/se05x-protocol.md §4.5):
// 6A80 is our simulator's choice, so such SWs stay Errc::StatusWord and are NOT
// mapped to Errc::NotFound. Callers that need to know should ask
// CheckObjectExists first, as NXP's middleware does.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "se05x/apdu.h"

namespace sx::se05x {

// Short English meaning of a status word ("unknown status word" if unlisted).
const char* sw_meaning(uint16_t sw);

// Error{code, "<command>: <meaning> (SW xxxx)", sw}. 6A84 (memory full) maps to
// Errc::NoMemory, everything else to Errc::StatusWord; Error::sw is always set.
Error status_error(std::string_view command, uint16_t sw);

// OK for 9000, else status_error(command, r.sw).
Status check(const Response& r, std::string_view command);

}  // namespace sx::se05x
