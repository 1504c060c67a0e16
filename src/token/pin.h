// PIN verifiers: PBKDF2-HMAC-SHA256 with a random 16-byte salt (rationale and
// iteration budget in docs/token-store.md "PIN verifiers").
//
// Exactness: HMAC zero-pads its key (the PIN) to 64 bytes, so "4821" and
// "4821\0" derive the same hash. A PIN with a NUL byte is therefore refused
// everywhere (pin_acceptable()), and a new PIN is at most 64 bytes: among
// NUL-free PINs of at most 64 bytes the padded key determines the PIN, its
// length included (the first zero ends it). The derivation itself is the one
// of the first release, so every stored verifier keeps verifying.
#pragma once

#include <string_view>

#include "base/result.h"
#include "token/metadata.h"

namespace sx::token {

// ~0.25 s per check on a 528 MHz Cortex-A7 (i.MX6ULL), a few ms on x86-64.
inline constexpr uint32_t kDefaultPinIterations = 20000;
inline constexpr uint32_t kMinPinIterations = 1000;  // floor accepted from callers (tests may go low)
// Ceiling for new verifiers: ~15 s per check on the A6E, and far below
// PBKDF2's int limit (2^31 - 1) that made every larger value fail later.
inline constexpr uint32_t kMaxPinIterations = 1000000;
inline constexpr size_t kMaxPinBytes = 64;            // one HMAC-SHA256 block
inline constexpr uint8_t kMaxPinFailures = 10;        // then the PIN is locked

// False for a PIN containing a NUL byte (it would equal its NUL-padded forms).
bool pin_acceptable(std::string_view pin);

// InvalidArgument for a PIN with a NUL byte or longer than kMaxPinBytes, and
// for iterations outside kMinPinIterations..kMaxPinIterations.
Result<PinVerifier> make_pin_verifier(std::string_view pin, uint32_t iterations = kDefaultPinIterations);
// Constant-time comparison; false for an unset verifier and for a PIN with a NUL byte.
bool check_pin(const PinVerifier& v, std::string_view pin);

}  // namespace sx::token
