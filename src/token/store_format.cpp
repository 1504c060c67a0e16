#include "token/store_format.h"

#include <algorithm>
#include <cstring>

#include "crypto/digest.h"

namespace sx::token {

namespace {

constexpr uint8_t kSlotMagic[4] = {'S', 'X', 'T', 'M'};
constexpr uint8_t kPointerMagic[4] = {'S', 'X', 'T', 'P'};
constexpr size_t kDigestOffset = 16;

Error store_malformed(const std::string& what) { return make_error(Errc::Malformed, "token store: " + what); }

// SHA-256 over the concatenation of the parts.
Result<Bytes> sha256(ByteView a, ByteView b) {
  crypto::Hasher h;
  std::optional<Bytes> out;
  if (h.init(crypto::md(crypto::Digest::Sha256)) && h.update(a) && h.update(b)) out = h.finish();
  if (!out || out->size() != 32) return make_error(Errc::Crypto, "token store: SHA-256 failed");
  return std::move(*out);
}

}  // namespace

Result<Bytes> encode_slot(uint8_t slot, uint32_t generation, ByteView body) {
  if (slot > 1) return make_error(Errc::InvalidArgument, "token store: slot index must be 0 or 1");
  if (body.size() > kMaxBody) return make_error(Errc::NoMemory, "token store: metadata image larger than a slot can hold");
  Bytes out(kSlotMagic, kSlotMagic + 4);
  out.push_back(kSlotFormat);
  out.push_back(slot);
  put_u16(out, 0);
  put_u32(out, generation);
  put_u32(out, static_cast<uint32_t>(body.size()));
  SX_ASSIGN(Bytes d, sha256(out, body));
  out.insert(out.end(), d.begin(), d.begin() + kSlotDigestLen);
  append(out, body);
  return out;
}

Result<SlotHeader> parse_slot_header(ByteView h) {
  if (h.size() < kSlotHeaderLen) return store_malformed("slot shorter than its header");
  if (!std::equal(kSlotMagic, kSlotMagic + 4, h.begin())) return store_malformed("slot magic missing");
  SlotHeader s;
  s.format = h[4];
  if (s.format == 0) return store_malformed("slot format 0");
  if (s.format > kSlotFormat)
    return make_error(Errc::Unsupported, "token store: slot written by a newer format (" + std::to_string(s.format) + ")");
  s.slot = h[5];
  if (s.slot > 1 || get_u16(h, 6) != 0) return store_malformed("slot header has bad index/reserved bytes");
  s.generation = get_u32(h, 8);
  s.body_len = get_u32(h, 12);
  if (s.generation == 0) return store_malformed("slot generation 0");
  if (s.body_len > kMaxBody) return store_malformed("slot body length out of range");
  s.digest.assign(h.begin() + kDigestOffset, h.begin() + kDigestOffset + kSlotDigestLen);
  return s;
}

Result<ByteView> verify_slot(ByteView image, uint8_t expected_slot) {
  SX_ASSIGN(SlotHeader h, parse_slot_header(image));
  if (h.slot != expected_slot) return store_malformed("slot image carries the other slot's index");
  if (image.size() - kSlotHeaderLen < h.body_len) return store_malformed("slot body truncated");
  const ByteView body = image.subspan(kSlotHeaderLen, h.body_len);
  SX_ASSIGN(Bytes d, sha256(image.first(kDigestOffset), body));
  if (!std::equal(h.digest.begin(), h.digest.end(), d.begin())) return store_malformed("slot checksum mismatch (torn write?)");
  return body;
}

Bytes encode_pointer(const Pointer& p) {
  Bytes out(kPointerMagic, kPointerMagic + 4);
  out.push_back(kPointerFormat);
  out.push_back(p.slot);
  put_u16(out, 0);
  put_u32(out, p.generation);
  auto d = sha256(out, {});
  // SHA-256 cannot fail for 12 bytes short of a broken OpenSSL; a zero check then reads as torn.
  if (d.ok()) out.insert(out.end(), d->begin(), d->begin() + 4);
  else out.resize(kPointerLen, 0);
  return out;
}

Result<Pointer> parse_pointer(ByteView b) {
  if (b.size() != kPointerLen) return store_malformed("pointer has the wrong size");
  if (!std::equal(kPointerMagic, kPointerMagic + 4, b.begin())) return store_malformed("pointer magic missing");
  if (b[4] != kPointerFormat || b[5] > 1 || get_u16(b, 6) != 0) return store_malformed("pointer format/slot/reserved bad");
  SX_ASSIGN(Bytes d, sha256(b.first(12), {}));
  if (!std::equal(d.begin(), d.begin() + 4, b.begin() + 12)) return store_malformed("pointer checksum mismatch (torn write?)");
  Pointer p;
  p.slot = b[5];
  p.generation = get_u32(b, 8);
  if (p.generation == 0) return store_malformed("pointer generation 0");
  return p;
}

}  // namespace sx::token

namespace sx::token {

namespace {

Result<Bytes> head_digest(ByteView first16, ByteView index) {
  crypto::Hasher h;
  std::optional<Bytes> out;
  if (h.init(crypto::md(crypto::Digest::Sha256)) && h.update(first16) && h.update(index)) out = h.finish();
  if (!out || out->size() != 32) return make_error(Errc::Crypto, "token store: SHA-256 failed");
  out->resize(kSlotDigestLen);
  return std::move(*out);
}

// The pointer's 16 bytes in format 2: the index length in the reserved bytes and the
// 4-byte check over bytes 0..11 recomputed with them.
Result<Bytes> head_first16(uint8_t slot, uint32_t generation, size_t index_len) {
  Bytes out(kPointerMagic, kPointerMagic + 4);
  out.push_back(kHeadFormat);
  out.push_back(slot);
  put_u16(out, static_cast<uint16_t>(index_len));
  put_u32(out, generation);
  SX_ASSIGN(Bytes d, head_digest(out, {}));
  out.insert(out.end(), d.begin(), d.begin() + 4);
  return out;
}

}  // namespace

Result<HeadImage> encode_head(uint8_t slot, uint32_t generation, ByteView index) {
  if (slot > 1) return make_error(Errc::InvalidArgument, "token store: slot index must be 0 or 1");
  if (index.size() > 0xFFFF) return make_error(Errc::NoMemory, "token store: object index too large");
  SX_ASSIGN(Bytes out, head_first16(slot, generation, index.size()));
  SX_ASSIGN(Bytes d, head_digest(out, index));
  append(out, d);
  HeadImage img;
  const auto part = static_cast<std::ptrdiff_t>(std::min(index.size(), kHeadIndexMax));
  img.head = std::move(out);
  img.head.insert(img.head.end(), index.begin(), index.begin() + part);
  img.tail.assign(index.begin() + part, index.end());
  return img;
}

Result<HeadHeader> parse_head_header(ByteView b) {
  if (b.size() < kPointerLen) return store_malformed("head shorter than a pointer");
  if (std::equal(kPointerMagic, kPointerMagic + 4, b.begin()) && b[4] == kPointerFormat)
    return make_error(Errc::Unsupported, "token store: a format-1 pointer, no index");
  if (b.size() < kHeadHeaderLen) return store_malformed("head shorter than its header");
  if (b[4] != kHeadFormat || b[5] > 1) return store_malformed("head format/slot bad");
  HeadHeader h;
  h.slot = b[5];
  h.index_len = get_u16(b, 6);
  h.generation = get_u32(b, 8);
  if (h.generation == 0) return store_malformed("head generation 0");
  SX_ASSIGN(Bytes first16, head_first16(h.slot, h.generation, h.index_len));
  if (!std::equal(first16.begin(), first16.end(), b.begin())) return store_malformed("head checksum mismatch (torn write?)");
  h.digest.assign(b.begin() + 16, b.begin() + 32);
  return h;
}

Status verify_head_index(const HeadHeader& h, ByteView index) {
  if (index.size() != h.index_len) return store_malformed("index length mismatch");
  SX_ASSIGN(Bytes first16, head_first16(h.slot, h.generation, h.index_len));
  SX_ASSIGN(Bytes d, head_digest(first16, index));
  if (d != h.digest) return store_malformed("index checksum mismatch (torn write?)");
  return {};
}

}  // namespace sx::token
