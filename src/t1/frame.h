// One T=1oI2C block on the wire: NAD PCB LEN INF[LEN] CRC(LSB first), and the
// CRC that exists only to protect such a block.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"
#include "t1/pcb.h"

namespace sx::t1 {

inline constexpr uint8_t kNadHostToCard = 0x5A;
inline constexpr uint8_t kNadCardToHost = 0xA5;
inline constexpr size_t kHeaderSize = 3;
inline constexpr size_t kCrcSize = 2;
inline constexpr size_t kMinFrameSize = kHeaderSize + kCrcSize;
inline constexpr size_t kMaxInfFromHost = 254;  // IFSC of the SE
inline constexpr size_t kMaxInfFromCard = 255;  // what the host's 260-byte buffer takes
inline constexpr size_t kMaxFrameSize = kHeaderSize + kMaxInfFromCard + kCrcSize;  // 260

// CRC-16/X-25 as used by T=1oI2C (UM11225), covering NAD..last INF byte.
// Reflected poly 0x8408, init 0xFFFF, final XOR 0xFFFF. crc16_x25("123456789") == 0x906E.
uint16_t crc16_x25(ByteView data);

// The wire carries the CRC least-significant byte first.
inline void put_crc_le(Bytes& out, uint16_t crc) {
  out.push_back(static_cast<uint8_t>(crc));
  out.push_back(static_cast<uint8_t>(crc >> 8));
}
inline uint16_t get_crc_le(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

enum class Direction : uint8_t { HostToCard, CardToHost };

struct Frame {
  uint8_t nad = kNadHostToCard;
  uint8_t pcb = 0;
  Bytes inf;

  bool operator==(const Frame&) const = default;
};

// Builders; NAD chosen from the direction.
Frame make_i(Direction d, uint8_t ns, bool more, ByteView inf);
Frame make_r(Direction d, uint8_t nr, RError err);
Frame make_s(Direction d, SCode code, bool response, ByteView inf = {});

// Appends the CRC. INF longer than 255 bytes cannot be encoded: callers chunk first
// (encode() truncates nothing; it reports Errc::InvalidArgument).
Result<Bytes> encode(const Frame& f);

enum class FrameError : uint8_t {
  None,
  Truncated,    // fewer than 5 bytes
  Oversize,     // LEN above the direction's limit
  LenMismatch,  // buffer size != LEN + 5
  BadNad,       // NAD not valid for the direction
  BadCrc,
};
const char* frame_error_name(FrameError e);

// Structure and CRC check of one complete frame, no allocation. Card→host also accepts
// NAD 00 with PCB 82/92 (the SE's "NAD error" R-NACK, docs/se05x-protocol.md §1.8).
FrameError check(ByteView wire, Direction d);

// Decodes one complete frame. Structural problems → Errc::Protocol; a CRC mismatch on an
// otherwise well-formed frame → Errc::Malformed (see is_crc_error()), so callers can answer
// R(NACK CRC) rather than R(NACK other).
Result<Frame> decode(ByteView wire, Direction d);
inline bool is_crc_error(const Error& e) { return e.code == Errc::Malformed; }

}  // namespace sx::t1
