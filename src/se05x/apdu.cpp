#include "se05x/apdu.h"

namespace sx::se05x {

Bytes build_command(CommandHeader h, ByteView body, LeMode le) {
  Bytes out{h.cla, h.ins, h.p1, h.p2};
  const bool ext = le == LeMode::Extended || body.size() > 255 - 1;  // the MW switches at n >= 255
  if (body.empty()) {
    out.push_back(0x00);
    if (le == LeMode::Extended) {
      out.push_back(0x00);
      out.push_back(0x00);
    }
    return out;
  }
  if (ext) {
    out.push_back(0x00);
    put_u16(out, static_cast<uint16_t>(body.size()));
  } else {
    out.push_back(static_cast<uint8_t>(body.size()));
  }
  append(out, body);
  if (le == LeMode::Extended) {
    out.push_back(0x00);
    out.push_back(0x00);
  }
  return out;
}

Result<ParsedCommand> parse_command(ByteView a) {
  if (a.size() < 4) return make_error(Errc::Malformed, "C-APDU shorter than its 4-byte header");
  ParsedCommand c;
  c.header = {a[0], a[1], a[2], a[3]};
  const size_t n = a.size() - 4;
  ByteView rest = a.subspan(4);
  if (n == 0) return c;  // case 1
  if (n == 1) {          // case 2 short
    c.le = rest[0];
    return c;
  }
  if (rest[0] != 0) {  // short Lc
    const size_t lc = rest[0];
    if (n == 1 + lc) {
      c.body = rest.subspan(1, lc);
      return c;
    }
    if (n == 2 + lc) {
      c.body = rest.subspan(1, lc);
      c.le = rest[1 + lc];
      return c;
    }
    return make_error(Errc::Malformed, "C-APDU length does not match its Lc");
  }
  // rest[0] == 0: extended form (or short Le = 00 with extra bytes, which is invalid)
  c.extended = true;
  if (n == 3) {  // case 2 extended
    c.le = get_u16(rest, 1);
    return c;
  }
  if (n < 3) return make_error(Errc::Malformed, "C-APDU with truncated extended length");
  const size_t lc = get_u16(rest, 1);
  if (lc == 0) return make_error(Errc::Malformed, "C-APDU with extended Lc of zero");
  if (n == 3 + lc) {
    c.body = rest.subspan(3, lc);
    return c;
  }
  if (n == 5 + lc) {
    c.body = rest.subspan(3, lc);
    c.le = get_u16(rest, 3 + lc);
    return c;
  }
  return make_error(Errc::Malformed, "C-APDU length does not match its extended Lc");
}

Result<Response> split_response(ByteView r) {
  if (r.size() < 2) return make_error(Errc::Malformed, "R-APDU shorter than its status word");
  Response out;
  out.data.assign(r.begin(), r.end() - 2);
  out.sw = get_u16(r, r.size() - 2);
  return out;
}

Bytes make_response(ByteView data, uint16_t sw) {
  Bytes out(data.begin(), data.end());
  put_u16(out, sw);
  return out;
}

}  // namespace sx::se05x
