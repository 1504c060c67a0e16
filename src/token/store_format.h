// Byte layout of the two metadata slots and the generation pointer
// (docs/token-store.md "On-chip format"). Pure functions, no chip I/O.
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/result.h"

namespace sx::token {

inline constexpr size_t kSlotHeaderLen = 32;
inline constexpr size_t kPointerLen = 16;
inline constexpr uint8_t kSlotFormat = 1;
inline constexpr uint8_t kPointerFormat = 1;
inline constexpr size_t kSlotDigestLen = 16;  // SHA-256 truncated
// A slot is a binary file: at most 0x7FFF bytes.
inline constexpr size_t kMaxSlotSize = 0x7FFF;
inline constexpr size_t kMaxBody = kMaxSlotSize - kSlotHeaderLen;

struct SlotHeader {
  uint8_t format = kSlotFormat;
  uint8_t slot = 0;
  uint32_t generation = 0;
  uint32_t body_len = 0;
  Bytes digest;  // kSlotDigestLen
};

struct Pointer {
  uint8_t slot = 0;
  uint32_t generation = 0;
};

// header || body, with the digest over header[0..16) || body.
Result<Bytes> encode_slot(uint8_t slot, uint32_t generation, ByteView body);

// Parses the fixed header only (magic, known format, sane lengths).
// Errc::Unsupported for a newer format (a newer module wrote it), Errc::Malformed otherwise.
Result<SlotHeader> parse_slot_header(ByteView header);

// Checks a complete image (header + at least body_len bytes) and returns the body.
Result<ByteView> verify_slot(ByteView image, uint8_t expected_slot);

Bytes encode_pointer(const Pointer& p);
// Errc::Malformed for a torn or foreign pointer.
Result<Pointer> parse_pointer(ByteView b);

}  // namespace sx::token
