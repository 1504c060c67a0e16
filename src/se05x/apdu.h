// ISO 7816-4 APDU framing as the SE05x middleware uses it (docs/se05x-protocol.md §4.2):
// most commands carry no Le; "extended" commands carry extended Lc and Le 00 00.
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/result.h"

namespace sx::se05x {

enum class LeMode {
  None,      // body only (or a lone 00 when the body is empty)
  Extended,  // extended Lc (even for short bodies) + Le 00 00
};

struct CommandHeader {
  uint8_t cla = 0x80, ins = 0, p1 = 0, p2 = 0;
};

// Builds a C-APDU with the middleware's exact byte layout.
Bytes build_command(CommandHeader h, ByteView body, LeMode le);

// A C-APDU as the card side sees it.
struct ParsedCommand {
  CommandHeader header;
  ByteView body;                 // command data (Lc bytes)
  std::optional<uint32_t> le;    // absent when no Le was sent; 0 means 256 / 65536
  bool extended = false;
};

// Decodes any of the ISO 7816-4 cases 1..4, short or extended.
Result<ParsedCommand> parse_command(ByteView capdu);

// A response split into data and status word.
struct Response {
  Bytes data;
  uint16_t sw = 0;
  bool ok() const { return sw == 0x9000; }
};

Result<Response> split_response(ByteView rapdu);

// data || SW1 SW2
Bytes make_response(ByteView data, uint16_t sw);
inline Bytes make_response(uint16_t sw) { return make_response({}, sw); }

}  // namespace sx::se05x
