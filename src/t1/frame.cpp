#include "t1/frame.h"

#include <array>
#include <string>

namespace sx::t1 {

namespace {

// CRC-16/X-25 one byte at a time: every frame of every APDU passes through here
// twice (sent and received), so the eight shift steps per byte are done once, here.
constexpr std::array<uint16_t, 256> make_crc_table() {
  std::array<uint16_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i);
    for (int b = 0; b < 8; ++b) crc = (crc & 1) ? static_cast<uint16_t>((crc >> 1) ^ 0x8408) : static_cast<uint16_t>(crc >> 1);
    t[i] = crc;
  }
  return t;
}
constexpr std::array<uint16_t, 256> kCrcTable = make_crc_table();

}  // namespace

uint16_t crc16_x25(ByteView data) {
  uint16_t crc = 0xFFFF;
  for (uint8_t b : data) crc = static_cast<uint16_t>((crc >> 8) ^ kCrcTable[(crc ^ b) & 0xFF]);
  return static_cast<uint16_t>(crc ^ 0xFFFF);
}

static uint8_t nad_for(Direction d) { return d == Direction::HostToCard ? kNadHostToCard : kNadCardToHost; }

Frame make_i(Direction d, uint8_t ns, bool more, ByteView inf) {
  return Frame{nad_for(d), pcb_i(ns, more), Bytes(inf.begin(), inf.end())};
}

Frame make_r(Direction d, uint8_t nr, RError err) { return Frame{nad_for(d), pcb_r(nr, err), {}}; }

Frame make_s(Direction d, SCode code, bool response, ByteView inf) {
  return Frame{nad_for(d), pcb_s(code, response), Bytes(inf.begin(), inf.end())};
}

Result<Bytes> encode(const Frame& f) {
  if (f.inf.size() > kMaxInfFromCard) {
    return make_error(Errc::InvalidArgument, "t1: INF of " + std::to_string(f.inf.size()) + " bytes exceeds 255");
  }
  Bytes out;
  out.reserve(kMinFrameSize + f.inf.size());
  out.push_back(f.nad);
  out.push_back(f.pcb);
  out.push_back(static_cast<uint8_t>(f.inf.size()));
  append(out, f.inf);
  put_crc_le(out, crc16_x25(out));
  return out;
}

const char* frame_error_name(FrameError e) {
  switch (e) {
    case FrameError::None: return "ok";
    case FrameError::Truncated: return "truncated frame";
    case FrameError::Oversize: return "LEN above limit";
    case FrameError::LenMismatch: return "LEN does not match frame size";
    case FrameError::BadNad: return "bad NAD";
    case FrameError::BadCrc: return "CRC mismatch";
  }
  return "?";
}

FrameError check(ByteView wire, Direction d) {
  if (wire.size() < kMinFrameSize) return FrameError::Truncated;
  const size_t len = wire[2];
  const size_t max_inf = d == Direction::HostToCard ? kMaxInfFromHost : kMaxInfFromCard;
  if (len > max_inf) return FrameError::Oversize;
  if (wire.size() != len + kMinFrameSize) return FrameError::LenMismatch;
  const uint8_t nad = wire[0];
  if (d == Direction::HostToCard) {
    if (nad != kNadHostToCard) return FrameError::BadNad;
  } else if (nad != kNadCardToHost && !(nad == 0x00 && (wire[1] == 0x82 || wire[1] == 0x92))) {
    return FrameError::BadNad;
  }
  const uint16_t want = crc16_x25(wire.first(kHeaderSize + len));
  if (get_crc_le(wire.data() + kHeaderSize + len) != want) return FrameError::BadCrc;
  return FrameError::None;
}

Result<Frame> decode(ByteView wire, Direction d) {
  const FrameError fe = check(wire, d);
  if (fe == FrameError::BadCrc) return make_error(Errc::Malformed, "t1: CRC mismatch");
  if (fe != FrameError::None) return make_error(Errc::Protocol, std::string("t1: ") + frame_error_name(fe));
  const size_t len = wire[2];
  return Frame{wire[0], wire[1], Bytes(wire.begin() + kHeaderSize, wire.begin() + static_cast<std::ptrdiff_t>(kHeaderSize + len))};
}

}  // namespace sx::t1
