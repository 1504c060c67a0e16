// SE05x TLV codec: one-byte tags, BER-style lengths (1 byte, 81 LL, 82 HH LL).
// The reader never reads past its input and reports malformed data as errors.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace sx::se05x {

// Appends TLVs to a buffer.
class TlvWriter {
 public:
  TlvWriter& bytes(uint8_t tag, ByteView value);
  TlvWriter& u8(uint8_t tag, uint8_t v);
  TlvWriter& u16(uint8_t tag, uint16_t v);
  TlvWriter& u32(uint8_t tag, uint32_t v);
  // The middleware's "optional" helpers: nothing is written for 0 / empty.
  TlvWriter& u16_opt(uint8_t tag, uint16_t v) { return v ? u16(tag, v) : *this; }
  TlvWriter& bytes_opt(uint8_t tag, ByteView value) { return value.empty() ? *this : bytes(tag, value); }

  const Bytes& data() const { return buf_; }
  Bytes take() { return std::move(buf_); }

 private:
  Bytes buf_;
};

// A tag as two hex digits ("41"), for error messages.
std::string tag_hex(uint8_t tag);

// Encodes a TLV length (0..65535).
void put_tlv_length(Bytes& out, size_t len);

struct Tlv {
  uint8_t tag = 0;
  ByteView value;
};

// Sequential reader over a TLV sequence (an R-APDU body without SW, or a C-APDU body).
class TlvReader {
 public:
  explicit TlvReader(ByteView data) : data_(data) {}

  bool at_end() const { return pos_ >= data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }

  // Reads the next TLV whatever its tag.
  Result<Tlv> next();
  // Reads the next TLV and requires its tag.
  Result<ByteView> expect(uint8_t tag);
  Result<uint8_t> expect_u8(uint8_t tag);
  Result<uint16_t> expect_u16(uint8_t tag);
  Result<uint32_t> expect_u32(uint8_t tag);
  // If the next TLV has this tag, consumes and returns it.
  Result<std::optional<ByteView>> optional(uint8_t tag);

 private:
  ByteView data_;
  size_t pos_ = 0;
};

// Parses a whole TLV sequence into (tag -> value) lookups; duplicate tags are
// an error. Used by the card side, which must accept TLVs in any order.
class TlvSet {
 public:
  static Result<TlvSet> parse(ByteView data);
  std::optional<ByteView> get(uint8_t tag) const;
  bool has(uint8_t tag) const { return get(tag).has_value(); }
  Result<ByteView> require(uint8_t tag) const;
  Result<uint8_t> require_u8(uint8_t tag) const;
  Result<uint16_t> require_u16(uint8_t tag) const;
  Result<uint32_t> require_u32(uint8_t tag) const;
  // Optional integers: absent -> nullopt; present but wrong size -> error.
  Result<std::optional<uint8_t>> get_u8(uint8_t tag) const;
  Result<std::optional<uint16_t>> get_u16(uint8_t tag) const;
  Result<std::optional<uint32_t>> get_u32(uint8_t tag) const;
  const std::vector<Tlv>& all() const { return items_; }

 private:
  std::vector<Tlv> items_;
};

}  // namespace sx::se05x
