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

// The head (format 2 of the pointer object, docs/token-store.md §2.2): the
// pointer's 16 bytes with the index length in the reserved bytes, a digest over
// the index, then the index itself -- its first kHeadIndexMax bytes in the head,
// the rest in the tail object. The head stays small enough for one ReadObject.
inline constexpr uint8_t kHeadFormat = 2;
inline constexpr size_t kHeadHeaderLen = 32;
inline constexpr size_t kHeadMax = 480;  // whole head file, read in one APDU
inline constexpr size_t kHeadIndexMax = kHeadMax - kHeadHeaderLen;

struct HeadHeader {
  uint8_t slot = 0;
  uint32_t generation = 0;
  uint16_t index_len = 0;
  Bytes digest;  // kSlotDigestLen
  size_t in_head() const { return index_len < kHeadIndexMax ? index_len : kHeadIndexMax; }
  size_t in_tail() const { return index_len - in_head(); }
};

// Header || the head's part of the index (unpadded); the tail's part separately.
struct HeadImage {
  Bytes head, tail;
};
Result<HeadImage> encode_head(uint8_t slot, uint32_t generation, ByteView index);
// The 32-byte header of a format-2 head. Errc::Unsupported for format 1 (a plain
// pointer: the reader falls back to the slots), Errc::Malformed otherwise.
Result<HeadHeader> parse_head_header(ByteView b);
// The whole index (head part ‖ tail part) against the header's digest.
Status verify_head_index(const HeadHeader& h, ByteView index);

}  // namespace sx::token
