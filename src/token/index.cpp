// Byte layout in docs/token-store.md §2.2 ("Index").
#include "token/index.h"

#include <algorithm>

#include "token/object.h"

namespace sx::token {

namespace {

constexpr uint8_t kIndexVersion = 1;
constexpr uint8_t kComplete = 0x01;

namespace ef {
constexpr uint8_t kRecord = 0x01, kCertificate = 0x02, kProvisioned = 0x04, kLabelDefault = 0x08,
                  kCkidDefault = 0x10, kKnown = 0x1F;
}  // namespace ef

Error index_error(const std::string& what) { return make_error(Errc::Malformed, "object index: " + what); }

// Bounds-checked reader: every read says whether the bytes were there.
class IndexReader {
 public:
  explicit IndexReader(ByteView b) : b_(b) {}
  bool u8(uint8_t& v) { return take(1) && (v = b_[at_ - 1], true); }
  bool u16(uint16_t& v) { return take(2) && (v = get_u16(b_, at_ - 2), true); }
  bool u32(uint32_t& v) { return take(4) && (v = get_u32(b_, at_ - 4), true); }
  bool bytes(size_t n, ByteView& v) { return take(n) && (v = b_.subspan(at_ - n, n), true); }
  // A length byte and that many bytes.
  bool lv(ByteView& v) {
    uint8_t n = 0;
    return u8(n) && bytes(n, v);
  }
  bool done() const { return at_ == b_.size(); }
  // LEB128, at most five bytes for 32 bits, no overlong last byte.
  bool varint(uint32_t& v) {
    v = 0;
    for (int i = 0; i < 5; ++i) {
      uint8_t b = 0;
      if (!u8(b)) return false;
      if (i == 4 && b > 0x0F) return false;
      v |= static_cast<uint32_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }

 private:
  bool take(size_t n) {
    if (b_.size() - at_ < n) return false;
    at_ += n;
    return true;
  }
  ByteView b_;
  size_t at_ = 0;
};

void put_varint(Bytes& out, uint32_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

// State, class and key type in one byte: bit 0 pending, bits 1-2 the class, bits 3-4
// the key type (0 RSA, 1 EC, 2 none).
uint8_t pack_kind(const ObjectRecord& r) {
  const uint8_t kt = r.key_type == KeyType::Rsa ? 0 : r.key_type == KeyType::Ec ? 1 : 2;
  return static_cast<uint8_t>((r.state == RecordState::Pending ? 1 : 0) | (static_cast<uint8_t>(r.cls) << 1) | (kt << 3));
}

bool unpack_kind(uint8_t b, ObjectRecord& r) {
  const uint8_t kt = (b >> 3) & 0x03;
  if ((b & 0xE0) != 0 || kt == 3) return false;
  r.state = (b & 1) ? RecordState::Pending : RecordState::Committed;
  r.cls = static_cast<ObjectClass>((b >> 1) & 0x03);
  r.key_type = kt == 0 ? KeyType::Rsa : kt == 1 ? KeyType::Ec : KeyType::None;
  return true;
}

bool put_lv(Bytes& out, ByteView v) {
  if (v.size() > 255) return false;
  out.push_back(static_cast<uint8_t>(v.size()));
  append(out, v);
  return true;
}

ByteView view_of(const std::string& s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

// The record fields the index does not carry.
bool has_details(const ObjectRecord& r) {
  return !r.subject.empty() || !r.application.empty() || !r.object_id.empty() || !r.extra.empty();
}

bool token_fits(const TokenRecord& t) {
  return !t.user_pin.set() && !t.so_pin.set() && t.user_failures == 0 && t.so_failures == 0 && t.extra.empty();
}

Status encode_entry(const IndexEntry& e, Bytes& out) {
  put_u32(out, e.chip_id);
  out.push_back(e.type_code);
  const ObjectRecord& r = e.record;
  const bool label_default = e.has_record && r.label == default_label(e.chip_id);
  const bool ckid_default = e.has_record && r.ckid == default_ckid(e.chip_id);
  uint8_t f = 0;
  if (e.has_record) f |= ef::kRecord;
  if (e.certificate) f |= ef::kCertificate;
  if (e.provisioned) f |= ef::kProvisioned;
  if (label_default) f |= ef::kLabelDefault;
  if (ckid_default) f |= ef::kCkidDefault;
  out.push_back(f);
  put_u16(out, e.info);
  if (!e.has_record) return {};
  out.push_back(pack_kind(r));
  put_varint(out, r.flags);
  if (!label_default && !put_lv(out, view_of(r.label))) return index_error("label longer than 255 bytes");
  if (!ckid_default && !put_lv(out, r.ckid)) return index_error("CKA_ID longer than 255 bytes");
  return {};
}

Result<IndexEntry> decode_entry(IndexReader& rd) {
  IndexEntry e;
  uint8_t f = 0;
  if (!rd.u32(e.chip_id) || !rd.u8(e.type_code) || !rd.u8(f) || !rd.u16(e.info)) return index_error("entry truncated");
  if ((f & ~ef::kKnown) != 0) return index_error("unknown entry flags");
  e.has_record = (f & ef::kRecord) != 0;
  e.certificate = (f & ef::kCertificate) != 0;
  e.provisioned = (f & ef::kProvisioned) != 0;
  if (!e.has_record) {
    if ((f & (ef::kLabelDefault | ef::kCkidDefault)) != 0) return index_error("default-label flags without a record");
    return e;
  }
  ObjectRecord& r = e.record;
  r.chip_id = e.chip_id;
  uint8_t kind = 0;
  if (!rd.u8(kind) || !rd.varint(r.flags)) return index_error("record truncated");
  if (!unpack_kind(kind, r)) return index_error("unknown state, class or key type");
  // Label and CKA_ID: left out when they are the defaults, else length-prefixed.
  ByteView l, c;
  if (!(f & ef::kLabelDefault) && !rd.lv(l)) return index_error("label truncated");
  if (!(f & ef::kCkidDefault) && !rd.lv(c)) return index_error("CKA_ID truncated");
  r.label = (f & ef::kLabelDefault) ? default_label(e.chip_id) : std::string(l.begin(), l.end());
  r.ckid = (f & ef::kCkidDefault) ? default_ckid(e.chip_id) : Bytes(c.begin(), c.end());
  if (!valid_utf8(r.label)) return index_error("label not UTF-8");
  return e;
}

}  // namespace

IndexImage make_index(const Metadata& md, std::vector<IndexEntry> entries, ByteView unique_id, size_t slot_len) {
  IndexImage ix;
  ix.slot_len = static_cast<uint16_t>(std::min<size_t>(slot_len, 0xFFFF));
  ix.token_flags = md.token.flags;
  ix.next_id = md.token.next_id;
  ix.token_label = md.token.label;
  ix.unique_id.assign(unique_id.begin(), unique_id.end());
  ix.complete = token_fits(md.token) && md.unknown_records.empty();
  std::sort(entries.begin(), entries.end(), [](const IndexEntry& a, const IndexEntry& b) { return a.chip_id < b.chip_id; });
  for (IndexEntry& e : entries) {
    const ObjectRecord* r = md.find(e.chip_id);
    e.has_record = r != nullptr;
    e.record = r ? *r : ObjectRecord{};
    if (r && has_details(*r)) ix.complete = false;
  }
  // A record whose chip object was not listed (a leftover the next cleanup drops)
  // keeps the index from standing for the whole image.
  for (const ObjectRecord& r : md.objects)
    if (std::none_of(entries.begin(), entries.end(), [&](const IndexEntry& e) { return e.chip_id == r.chip_id; }))
      ix.complete = false;
  ix.entries = std::move(entries);
  return ix;
}

Metadata metadata_of(const IndexImage& ix) {
  Metadata md;
  md.token.flags = ix.token_flags;
  md.token.next_id = ix.next_id;
  md.token.label = ix.token_label;
  for (const IndexEntry& e : ix.entries)
    if (e.has_record) md.objects.push_back(e.record);
  return md;
}

Result<Bytes> encode_index(const IndexImage& ix) {
  Bytes out;
  out.push_back(kIndexVersion);
  out.push_back(ix.complete ? kComplete : 0);
  put_u16(out, ix.slot_len);
  put_u32(out, ix.token_flags);
  put_u32(out, ix.next_id);
  if (!put_lv(out, view_of(ix.token_label)) || !put_lv(out, ix.unique_id)) return index_error("token label or unique ID too long");
  if (ix.entries.size() > 0xFFFF) return index_error("more than 65535 objects");
  put_u16(out, static_cast<uint16_t>(ix.entries.size()));
  for (const IndexEntry& e : ix.entries) SX_TRY(encode_entry(e, out));
  return out;
}

Result<IndexImage> decode_index(ByteView b) {
  IndexReader rd(b);
  IndexImage ix;
  uint8_t version = 0, flags = 0;
  if (!rd.u8(version) || version != kIndexVersion) return index_error("unknown version");
  if (!rd.u8(flags) || (flags & ~kComplete) != 0) return index_error("unknown flags");
  ix.complete = (flags & kComplete) != 0;
  ByteView label, uid;
  uint16_t count = 0;
  if (!rd.u16(ix.slot_len) || !rd.u32(ix.token_flags) || !rd.u32(ix.next_id) || !rd.lv(label) || !rd.lv(uid) ||
      !rd.u16(count))
    return index_error("token part truncated");
  ix.token_label.assign(label.begin(), label.end());
  if (ix.token_label.size() > kMaxTokenLabel || !valid_utf8(ix.token_label)) return index_error("token label invalid");
  ix.unique_id.assign(uid.begin(), uid.end());
  uint32_t last = 0;
  for (uint16_t i = 0; i < count; ++i) {
    SX_ASSIGN(IndexEntry e, decode_entry(rd));
    if (i > 0 && e.chip_id <= last) return index_error("entries not in ascending ID order");
    last = e.chip_id;
    ix.entries.push_back(std::move(e));
  }
  if (!rd.done()) return index_error("trailing bytes");
  return ix;
}

}  // namespace sx::token
