// PIN verifiers: PBKDF2-HMAC-SHA256 with a random 16-byte salt (rationale and
// iteration budget in docs/token-store.md "PIN verifiers").
#pragma once

#include <string_view>

#include "base/result.h"
#include "token/metadata.h"

namespace sx::token {

// ~0.25 s per check on a 528 MHz Cortex-A7 (i.MX6ULL), a few ms on x86-64.
inline constexpr uint32_t kDefaultPinIterations = 20000;
inline constexpr uint32_t kMinPinIterations = 1000;  // floor accepted from callers (tests may go low)
inline constexpr uint8_t kMaxPinFailures = 10;        // then the PIN is locked

Result<PinVerifier> make_pin_verifier(std::string_view pin, uint32_t iterations = kDefaultPinIterations);
// Constant-time comparison; false for an unset verifier.
bool check_pin(const PinVerifier& v, std::string_view pin);

}  // namespace sx::token
