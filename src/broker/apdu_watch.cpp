#include "broker/apdu_watch.h"

#include <algorithm>

namespace sx::broker {

bool is_select_by_aid(ByteView c) { return c.size() >= 5 && c[0] == 0x00 && c[1] == 0xA4 && c[2] == 0x04; }

bool sw_ok(ByteView r) { return r.size() >= 2 && r[r.size() - 2] == 0x90 && r[r.size() - 1] == 0x00; }

std::optional<SessionId> created_session(ByteView c, ByteView r) {
  if (c.size() < 4 || c[0] != 0x80 || c[1] != 0x04 || c[2] != 0x00 || c[3] != 0x1B) return std::nullopt;
  if (r.size() != 12 || r[0] != 0x41 || r[1] != 0x08 || !sw_ok(r)) return std::nullopt;
  SessionId id;
  std::copy(r.begin() + 2, r.begin() + 10, id.begin());
  return id;
}

std::optional<SessionId> closed_session(ByteView c, ByteView r) {
  // 80 05 00 00 Lc | 10 08 <id:8> | 41 L | 80 04 00 1C
  if (!sw_ok(r) || c.size() < 5 + 10 + 2 + 4) return std::nullopt;
  if (c[0] != 0x80 || c[1] != 0x05 || c[2] != 0x00 || c[3] != 0x00) return std::nullopt;
  if (c[5] != 0x10 || c[6] != 0x08 || c[15] != 0x41) return std::nullopt;
  ByteView inner = c.subspan(17);
  if (inner.size() < 4 || inner[1] != 0x04 || inner[3] != 0x1C) return std::nullopt;
  SessionId id;
  std::copy(c.begin() + 7, c.begin() + 15, id.begin());
  return id;
}

Bytes close_session_apdu(const SessionId& id) {
  static constexpr uint8_t head[] = {0x80, 0x05, 0x00, 0x00, 0x10, 0x10, 0x08};
  static constexpr uint8_t tail[] = {0x41, 0x04, 0x80, 0x04, 0x00, 0x1C};
  Bytes a(sizeof head + id.size() + sizeof tail);
  size_t n = 0;
  for (uint8_t b : head) a[n++] = b;
  for (uint8_t b : id) a[n++] = b;
  for (uint8_t b : tail) a[n++] = b;
  return a;
}

}  // namespace sx::broker
