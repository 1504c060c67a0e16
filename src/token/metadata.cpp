// Metadata body codec: record = type(1) len(2) value; value = fields, each
// tag(1) len(2) value. Every length is checked before use.
#include "token/metadata.h"

#include <algorithm>
#include <set>

namespace sx::token {

namespace {

namespace rec {
inline constexpr uint8_t kToken = 0x01;
inline constexpr uint8_t kObject = 0x02;
}  // namespace rec

namespace of {
inline constexpr uint8_t kChipId = 0x01, kState = 0x02, kClass = 0x03, kKeyType = 0x04, kLabel = 0x05, kCkaId = 0x06,
                         kFlags = 0x07, kSubject = 0x08, kApplication = 0x09, kObjectId = 0x0A;
}  // namespace of

namespace tf {
inline constexpr uint8_t kLabel = 0x01, kFlags = 0x02, kUserPin = 0x03, kSoPin = 0x04, kUserFailures = 0x05,
                         kSoFailures = 0x06, kNextId = 0x07;
}  // namespace tf

inline constexpr size_t kVerifierLen = 4 + kPinSaltLen + kPinHashLen;

Error metadata_malformed(const std::string& what) { return make_error(Errc::Malformed, "token metadata: " + what); }
Error bad_arg(const std::string& what) { return make_error(Errc::InvalidArgument, "token metadata: " + what); }

void put_tlv(Bytes& out, uint8_t tag, ByteView v) {
  out.push_back(tag);
  put_u16(out, static_cast<uint16_t>(v.size()));
  append(out, v);
}
ByteView as_bytes(std::string_view s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
void put_u8_field(Bytes& out, uint8_t tag, uint8_t v) { put_tlv(out, tag, ByteView(&v, 1)); }
void put_u32_field(Bytes& out, uint8_t tag, uint32_t v) {
  Bytes b;
  put_u32(b, v);
  put_tlv(out, tag, b);
}

struct Tlv {
  uint8_t tag;
  ByteView value;
};

// Splits a run of tag(1) len(2) value items; malformed if anything is cut.
Result<std::vector<Tlv>> split(ByteView data, const char* what) {
  std::vector<Tlv> out;
  size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 3) return metadata_malformed(std::string(what) + ": truncated header");
    const uint8_t tag = data[pos];
    const size_t len = get_u16(data, pos + 1);
    pos += 3;
    if (len > data.size() - pos) return metadata_malformed(std::string(what) + ": item longer than its container");
    out.push_back({tag, data.subspan(pos, len)});
    pos += len;
  }
  return out;
}

Bytes encode_verifier(const PinVerifier& v) {
  Bytes b;
  // Sized once: also keeps GCC 12's -O3 -Wstringop-overread (armhf) from a
  // false positive on the growth path of the following appends.
  b.reserve(4 + v.salt.size() + v.hash.size());
  put_u32(b, v.iterations);
  append(b, v.salt);
  append(b, v.hash);
  return b;
}

Result<PinVerifier> decode_verifier(ByteView v) {
  if (v.size() != kVerifierLen) return metadata_malformed("PIN verifier has the wrong length");
  PinVerifier p;
  p.iterations = get_u32(v);
  if (p.iterations == 0) return metadata_malformed("PIN verifier with 0 iterations");
  p.salt.assign(v.begin() + 4, v.begin() + 4 + kPinSaltLen);
  p.hash.assign(v.begin() + 4 + kPinSaltLen, v.end());
  return p;
}

Status validate_verifier(const PinVerifier& p) {
  if (!p.set()) return {};
  if (p.salt.size() != kPinSaltLen || p.hash.size() != kPinHashLen) return bad_arg("PIN verifier sizes");
  return {};
}

bool known_class(uint8_t c) { return c <= static_cast<uint8_t>(ObjectClass::PrivateKey); }
bool known_key_type(uint8_t k) {
  return k == static_cast<uint8_t>(KeyType::Rsa) || k == static_cast<uint8_t>(KeyType::Ec) ||
         k == static_cast<uint8_t>(KeyType::None);
}

Result<uint8_t> one_byte(ByteView v, const char* what) {
  if (v.size() != 1) return metadata_malformed(std::string(what) + " is not 1 byte");
  return v[0];
}
Result<uint32_t> four_bytes(ByteView v, const char* what) {
  if (v.size() != 4) return metadata_malformed(std::string(what) + " is not 4 bytes");
  return get_u32(v);
}
Result<Bytes> bounded(ByteView v, size_t max, const char* what) {
  if (v.size() > max) return metadata_malformed(std::string(what) + " too long");
  return Bytes(v.begin(), v.end());
}
Result<std::string> utf8(ByteView v, size_t max, const char* what) {
  if (v.size() > max) return metadata_malformed(std::string(what) + " too long");
  std::string s(v.begin(), v.end());
  if (!valid_utf8(s)) return metadata_malformed(std::string(what) + " is not UTF-8");
  return s;
}

// Stores a decoded field; its error when it did not decode.
template <class T>
Result<bool> keep(T& dst, Result<T> got) {
  if (!got.ok()) return got.take_error();
  dst = std::move(got).value();
  return true;
}

// The walk every record shares: split into fields, reject a repeated tag, hand
// each field to `field`, which returns false for a tag it does not know (kept
// as is in `extra`).
template <class FieldFn>
Status decode_fields(ByteView value, const char* what, std::set<uint8_t>& seen, std::vector<ExtraField>& extra,
                     FieldFn field) {
  SX_ASSIGN(auto fields, split(value, what));
  for (const auto& f : fields) {
    if (!seen.insert(f.tag).second) return metadata_malformed(std::string(what) + ": field repeated");
    SX_ASSIGN(bool known, field(f));
    if (!known) extra.push_back({f.tag, Bytes(f.value.begin(), f.value.end())});
  }
  return {};
}

Result<ObjectRecord> decode_object(ByteView value) {
  ObjectRecord r;
  std::set<uint8_t> seen;
  SX_TRY(decode_fields(value, "object record", seen, r.extra, [&](const Tlv& f) -> Result<bool> {
    switch (f.tag) {
      case of::kChipId: return keep(r.chip_id, four_bytes(f.value, "chip ID"));
      case of::kState: {
        SX_ASSIGN(uint8_t s, one_byte(f.value, "state"));
        if (s != static_cast<uint8_t>(RecordState::Committed) && s != static_cast<uint8_t>(RecordState::Pending))
          return metadata_malformed("object record: unknown state");
        r.state = static_cast<RecordState>(s);
        return true;
      }
      case of::kClass: {
        SX_ASSIGN(uint8_t c, one_byte(f.value, "class"));
        if (!known_class(c)) return metadata_malformed("object record: unknown class");
        r.cls = static_cast<ObjectClass>(c);
        return true;
      }
      case of::kKeyType: {
        SX_ASSIGN(uint8_t k, one_byte(f.value, "key type"));
        if (!known_key_type(k)) return metadata_malformed("object record: unknown key type");
        r.key_type = static_cast<KeyType>(k);
        return true;
      }
      case of::kLabel: return keep(r.label, utf8(f.value, kMaxLabel, "label"));
      case of::kCkaId: return keep(r.ckid, bounded(f.value, kMaxCkaId, "CKA_ID"));
      case of::kFlags: return keep(r.flags, four_bytes(f.value, "flags"));
      case of::kSubject: return keep(r.subject, bounded(f.value, kMaxSubject, "subject"));
      case of::kApplication: return keep(r.application, utf8(f.value, kMaxApplication, "application"));
      case of::kObjectId: return keep(r.object_id, bounded(f.value, kMaxObjectId, "object ID"));
      default: return false;
    }
  }));
  if (!seen.count(of::kChipId) || !seen.count(of::kState) || !seen.count(of::kClass))
    return metadata_malformed("object record: chip ID, state or class missing");
  if (r.chip_id == 0) return metadata_malformed("object record: chip ID 0");
  return r;
}

Result<TokenRecord> decode_token(ByteView value) {
  TokenRecord t;
  std::set<uint8_t> seen;
  SX_TRY(decode_fields(value, "token record", seen, t.extra, [&](const Tlv& f) -> Result<bool> {
    switch (f.tag) {
      case tf::kLabel: return keep(t.label, utf8(f.value, kMaxTokenLabel, "token label"));
      case tf::kFlags: return keep(t.flags, four_bytes(f.value, "token flags"));
      case tf::kUserPin: return keep(t.user_pin, decode_verifier(f.value));
      case tf::kSoPin: return keep(t.so_pin, decode_verifier(f.value));
      case tf::kUserFailures: return keep(t.user_failures, one_byte(f.value, "user failures"));
      case tf::kSoFailures: return keep(t.so_failures, one_byte(f.value, "SO failures"));
      case tf::kNextId: return keep(t.next_id, four_bytes(f.value, "next ID"));
      default: return false;
    }
  }));
  return t;
}

Status put_record(Bytes& out, uint8_t type, const Bytes& value) {
  if (value.size() > 0xFFFF) return bad_arg("record longer than 65535 bytes");
  put_tlv(out, type, value);
  return {};
}

Status put_extras(Bytes& out, const std::vector<ExtraField>& extra) {
  for (const auto& e : extra) {
    if (e.value.size() > 0xFFFF) return bad_arg("extra field too long");
    put_tlv(out, e.tag, e.value);
  }
  return {};
}

}  // namespace

const char* class_name(ObjectClass c) {
  switch (c) {
    case ObjectClass::Data: return "data";
    case ObjectClass::Certificate: return "certificate";
    case ObjectClass::PublicKey: return "public key";
    case ObjectClass::PrivateKey: return "private key";
  }
  return "?";
}

ObjectRecord* Metadata::find(uint32_t chip_id) {
  for (auto& o : objects)
    if (o.chip_id == chip_id) return &o;
  return nullptr;
}
const ObjectRecord* Metadata::find(uint32_t chip_id) const {
  for (const auto& o : objects)
    if (o.chip_id == chip_id) return &o;
  return nullptr;
}
void Metadata::erase(uint32_t chip_id) {
  std::erase_if(objects, [chip_id](const ObjectRecord& o) { return o.chip_id == chip_id; });
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    const uint32_t min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

Status validate(const Metadata& m) {
  const auto& t = m.token;
  if (t.label.size() > kMaxTokenLabel || !valid_utf8(t.label)) return bad_arg("token label too long or not UTF-8");
  SX_TRY(validate_verifier(t.user_pin));
  SX_TRY(validate_verifier(t.so_pin));
  std::set<uint32_t> ids;
  for (const auto& o : m.objects) {
    if (o.chip_id == 0) return bad_arg("object record with chip ID 0");
    if (!ids.insert(o.chip_id).second) return bad_arg("two records for one chip object");
    if (o.label.size() > kMaxLabel || !valid_utf8(o.label)) return bad_arg("label too long or not UTF-8");
    if (o.ckid.size() > kMaxCkaId) return bad_arg("CKA_ID too long");
    if (o.subject.size() > kMaxSubject) return bad_arg("subject too long");
    if (o.application.size() > kMaxApplication || !valid_utf8(o.application))
      return bad_arg("application too long or not UTF-8");
    if (o.object_id.size() > kMaxObjectId) return bad_arg("object ID too long");
    if (!known_class(static_cast<uint8_t>(o.cls)) || !known_key_type(static_cast<uint8_t>(o.key_type)))
      return bad_arg("unknown class or key type");
    if (o.state != RecordState::Committed && o.state != RecordState::Pending) return bad_arg("unknown state");
  }
  return {};
}

Result<Bytes> encode_metadata(const Metadata& m) {
  SX_TRY(validate(m));
  Bytes out;
  {
    const auto& t = m.token;
    Bytes v;
    if (!t.label.empty()) put_tlv(v, tf::kLabel, as_bytes(t.label));
    put_u32_field(v, tf::kFlags, t.flags);
    if (t.user_pin.set()) put_tlv(v, tf::kUserPin, encode_verifier(t.user_pin));
    if (t.so_pin.set()) put_tlv(v, tf::kSoPin, encode_verifier(t.so_pin));
    put_u8_field(v, tf::kUserFailures, t.user_failures);
    put_u8_field(v, tf::kSoFailures, t.so_failures);
    if (t.next_id != 0) put_u32_field(v, tf::kNextId, t.next_id);
    SX_TRY(put_extras(v, t.extra));
    SX_TRY(put_record(out, rec::kToken, v));
  }
  for (const auto& o : m.objects) {
    Bytes v;
    put_u32_field(v, of::kChipId, o.chip_id);
    put_u8_field(v, of::kState, static_cast<uint8_t>(o.state));
    put_u8_field(v, of::kClass, static_cast<uint8_t>(o.cls));
    if (o.key_type != KeyType::None) put_u8_field(v, of::kKeyType, static_cast<uint8_t>(o.key_type));
    if (!o.label.empty()) put_tlv(v, of::kLabel, as_bytes(o.label));
    if (!o.ckid.empty()) put_tlv(v, of::kCkaId, o.ckid);
    put_u32_field(v, of::kFlags, o.flags);
    if (!o.subject.empty()) put_tlv(v, of::kSubject, o.subject);
    if (!o.application.empty()) put_tlv(v, of::kApplication, as_bytes(o.application));
    if (!o.object_id.empty()) put_tlv(v, of::kObjectId, o.object_id);
    SX_TRY(put_extras(v, o.extra));
    SX_TRY(put_record(out, rec::kObject, v));
  }
  for (const auto& [type, value] : m.unknown_records) {
    if (type == rec::kToken || type == rec::kObject) return bad_arg("unknown record with a known type");
    SX_TRY(put_record(out, type, value));
  }
  return out;
}

Result<Metadata> decode_metadata(ByteView body) {
  SX_ASSIGN(auto records, split(body, "body"));
  Metadata m;
  bool have_token = false;
  std::set<uint32_t> ids;
  for (const auto& r : records) {
    if (r.tag == rec::kToken) {
      if (have_token) return metadata_malformed("two token records");
      have_token = true;
      SX_ASSIGN(m.token, decode_token(r.value));
    } else if (r.tag == rec::kObject) {
      SX_ASSIGN(ObjectRecord o, decode_object(r.value));
      if (!ids.insert(o.chip_id).second) return metadata_malformed("two records for one chip object");
      m.objects.push_back(std::move(o));
    } else {
      m.unknown_records.emplace_back(r.tag, Bytes(r.value.begin(), r.value.end()));
    }
  }
  return m;
}

}  // namespace sx::token
