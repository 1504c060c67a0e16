// The SE05x wire format, one file for the bytes every command and reply is made of
// (docs/se05x-protocol.md §4.2-§4.5): the APDU framing (se05x/apdu.h), the TLV codec of
// command and reply bodies (se05x/tlv.h) and the status words turned into errors
// (se05x/status.h). The command description (se05x/commands.def) is written in these terms.
#include <cstdio>
#include <string>

#include "se05x/apdu.h"
#include "se05x/constants.h"
#include "se05x/status.h"
#include "se05x/tlv.h"

namespace sx::se05x {

// ---- APDU framing (ISO 7816-4 as the middleware uses it) ----

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

// ---- TLV codec ----

namespace {

Error malformed(std::string what) { return make_error(Errc::Malformed, std::move(what)); }

Result<uint32_t> as_uint(uint8_t tag, ByteView v, size_t size) {
  if (v.size() != size)
    return malformed("TLV " + tag_hex(tag) + ": expected " + std::to_string(size) + " bytes, got " +
                     std::to_string(v.size()));
  uint32_t out = 0;
  for (uint8_t b : v) out = out << 8 | b;
  return out;
}

}  // namespace

std::string tag_hex(uint8_t tag) {
  char b[8];
  std::snprintf(b, sizeof b, "%02X", tag);
  return b;
}

void put_tlv_length(Bytes& out, size_t len) {
  if (len < 0x80) {
    out.push_back(static_cast<uint8_t>(len));
  } else if (len < 0x100) {
    out.push_back(0x81);
    out.push_back(static_cast<uint8_t>(len));
  } else {
    out.push_back(0x82);
    put_u16(out, static_cast<uint16_t>(len));
  }
}

TlvWriter& TlvWriter::bytes(uint8_t tag, ByteView value) {
  buf_.push_back(tag);
  put_tlv_length(buf_, value.size());
  append(buf_, value);
  return *this;
}

TlvWriter& TlvWriter::u8(uint8_t tag, uint8_t v) {
  const uint8_t b[1] = {v};
  return bytes(tag, b);
}

TlvWriter& TlvWriter::u16(uint8_t tag, uint16_t v) {
  const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  return bytes(tag, b);
}

TlvWriter& TlvWriter::u32(uint8_t tag, uint32_t v) {
  const uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
                        static_cast<uint8_t>(v)};
  return bytes(tag, b);
}

Result<Tlv> TlvReader::next() {
  if (at_end()) return malformed("TLV expected, data ended");
  Tlv t;
  t.tag = data_[pos_];
  size_t p = pos_ + 1;
  if (p >= data_.size()) return malformed("TLV " + tag_hex(t.tag) + ": length missing");
  size_t len = data_[p++];
  if (len == 0x81) {
    if (p + 1 > data_.size()) return malformed("TLV " + tag_hex(t.tag) + ": truncated length");
    len = data_[p++];
  } else if (len == 0x82) {
    if (p + 2 > data_.size()) return malformed("TLV " + tag_hex(t.tag) + ": truncated length");
    len = get_u16(data_, p);
    p += 2;
  } else if (len > 0x82 || len == 0x80) {
    return malformed("TLV " + tag_hex(t.tag) + ": unsupported length byte");
  }
  if (len > data_.size() - p)
    return malformed("TLV " + tag_hex(t.tag) + ": length " + std::to_string(len) + " exceeds the " +
                     std::to_string(data_.size() - p) + " bytes left");
  t.value = data_.subspan(p, len);
  pos_ = p + len;
  return t;
}

Result<ByteView> TlvReader::expect(uint8_t tag) {
  size_t save = pos_;
  SX_ASSIGN(Tlv t, next());
  if (t.tag != tag) {
    pos_ = save;
    return malformed("expected TLV " + tag_hex(tag) + ", found " + tag_hex(t.tag));
  }
  return t.value;
}

Result<uint8_t> TlvReader::expect_u8(uint8_t tag) {
  SX_ASSIGN(ByteView v, expect(tag));
  SX_ASSIGN(uint32_t x, as_uint(tag, v, 1));
  return static_cast<uint8_t>(x);
}

Result<uint16_t> TlvReader::expect_u16(uint8_t tag) {
  SX_ASSIGN(ByteView v, expect(tag));
  SX_ASSIGN(uint32_t x, as_uint(tag, v, 2));
  return static_cast<uint16_t>(x);
}

Result<uint32_t> TlvReader::expect_u32(uint8_t tag) {
  SX_ASSIGN(ByteView v, expect(tag));
  return as_uint(tag, v, 4);
}

Result<std::optional<ByteView>> TlvReader::optional(uint8_t tag) {
  if (at_end() || data_[pos_] != tag) return std::optional<ByteView>{};
  SX_ASSIGN(ByteView v, expect(tag));
  return std::optional<ByteView>{v};
}

Result<TlvSet> TlvSet::parse(ByteView data) {
  TlvSet s;
  TlvReader r(data);
  while (!r.at_end()) {
    SX_ASSIGN(Tlv t, r.next());
    if (s.get(t.tag)) return malformed("duplicate TLV " + tag_hex(t.tag));
    s.items_.push_back(t);
  }
  return s;
}

std::optional<ByteView> TlvSet::get(uint8_t tag) const {
  for (const auto& t : items_)
    if (t.tag == tag) return t.value;
  return std::nullopt;
}

Result<ByteView> TlvSet::require(uint8_t tag) const {
  auto v = get(tag);
  if (!v) return malformed("TLV " + tag_hex(tag) + " missing");
  return *v;
}

Result<uint8_t> TlvSet::require_u8(uint8_t tag) const {
  SX_ASSIGN(ByteView v, require(tag));
  SX_ASSIGN(uint32_t x, as_uint(tag, v, 1));
  return static_cast<uint8_t>(x);
}

Result<uint16_t> TlvSet::require_u16(uint8_t tag) const {
  SX_ASSIGN(ByteView v, require(tag));
  SX_ASSIGN(uint32_t x, as_uint(tag, v, 2));
  return static_cast<uint16_t>(x);
}

Result<uint32_t> TlvSet::require_u32(uint8_t tag) const {
  SX_ASSIGN(ByteView v, require(tag));
  return as_uint(tag, v, 4);
}

Result<std::optional<uint8_t>> TlvSet::get_u8(uint8_t tag) const {
  if (!has(tag)) return std::optional<uint8_t>{};
  SX_ASSIGN(uint8_t x, require_u8(tag));
  return std::optional<uint8_t>{x};
}

Result<std::optional<uint16_t>> TlvSet::get_u16(uint8_t tag) const {
  if (!has(tag)) return std::optional<uint16_t>{};
  SX_ASSIGN(uint16_t x, require_u16(tag));
  return std::optional<uint16_t>{x};
}

Result<std::optional<uint32_t>> TlvSet::get_u32(uint8_t tag) const {
  if (!has(tag)) return std::optional<uint32_t>{};
  SX_ASSIGN(uint32_t x, require_u32(tag));
  return std::optional<uint32_t>{x};
}

// ---- Status words ----

namespace {

struct SwText {
  uint16_t sw;
  const char* text;
};

// Meanings from the middleware's names (docs/se05x-protocol.md §4.5). The "[U]" notes
// mark cases where the SW for a missing object is our assumption.
constexpr SwText kSwTexts[] = {
    {sw::kOk, "success"},
    {sw::kWrongLength, "wrong length"},
    {sw::kSecurityStatus, "security status not satisfied"},
    {sw::kDataInvalid, "data invalid (e.g. invalid policy)"},
    {sw::kConditionsNotSatisfied, "conditions not satisfied (e.g. wrong object type for this operation)"},
    {sw::kCommandNotAllowed, "command not allowed by the object policy"},
    {sw::kWrongData, "wrong data (possibly a non-existent object [U])"},
    {sw::kFileNotFound, "file not found (applet not installed, or object missing [U])"},
    {sw::kFileFull, "not enough memory"},
    {sw::kWrongP1P2, "incorrect P1/P2"},
    {sw::kInsNotSupported, "instruction not supported"},
    {sw::kClaNotSupported, "class not supported"},
    {sw::kApduThroughput, "APDU throughput error"},
    {sw::kUnknown, "unknown error"},
};

}  // namespace

const char* sw_meaning(uint16_t s) {
  for (const auto& t : kSwTexts)
    if (t.sw == s) return t.text;
  return "unknown status word";
}

Error status_error(std::string_view command, uint16_t s) {
  char hexsw[8];
  std::snprintf(hexsw, sizeof hexsw, "%04X", static_cast<unsigned>(s));
  std::string msg(command);
  msg += ": ";
  msg += sw_meaning(s);
  msg += " (SW ";
  msg += hexsw;
  msg += ")";
  const Errc code = s == sw::kFileFull ? Errc::NoMemory : Errc::StatusWord;
  return Error{code, std::move(msg), s, false};
}

Status check(const Response& r, std::string_view command) {
  if (r.ok()) return {};
  return status_error(command, r.sw);
}

}  // namespace sx::se05x
