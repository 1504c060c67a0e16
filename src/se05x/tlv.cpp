#include "se05x/tlv.h"

#include <cstdio>
#include <string>

namespace sx::se05x {

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

}  // namespace sx::se05x
