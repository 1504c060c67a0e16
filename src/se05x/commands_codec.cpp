// Encoding requests and decoding replies from a command's row (commands.def).
#include <string>

#include "se05x/commands.h"

namespace sx::se05x {

namespace {

Error bug(const Command& c, const std::string& what) {
  return make_error(Errc::Internal, std::string(c.name) + ": " + what);
}

Error malformed(const Command& c, const std::string& what) {
  return make_error(Errc::Malformed, std::string(c.name) + ": " + what);
}

// Integer fields are sent at their own width; a value must fit it.
bool fits(const Field& f, const Arg& a) {
  switch (f.kind) {
    case FieldKind::U8: return a.kind == FieldKind::U8;
    case FieldKind::U16: return a.kind == FieldKind::U16;
    case FieldKind::U32: return a.kind == FieldKind::U32;
    case FieldKind::U16or32: return a.kind == FieldKind::U16 || a.kind == FieldKind::U32;
    case FieldKind::Bytes: return a.kind == FieldKind::Bytes && (f.size == 0 || a.bytes.size() == f.size);
    case FieldKind::Raw: return false;
  }
  return false;
}

void put(TlvWriter& w, const Arg& a) {
  switch (a.kind) {
    case FieldKind::U8: w.u8(a.tag, static_cast<uint8_t>(a.number)); break;
    case FieldKind::U16: w.u16(a.tag, static_cast<uint16_t>(a.number)); break;
    case FieldKind::U32: w.u32(a.tag, a.number); break;
    default: w.bytes(a.tag, a.bytes); break;
  }
}

// `size` is the exact value length; 0 = any (U16or32: 2 or 4).
bool size_ok(const Field& f, size_t n) {
  if (f.kind == FieldKind::U16or32) return n == 2 || n == 4;
  return f.size == 0 || n == f.size;
}

}  // namespace

Result<Bytes> encode_request(const Command& c, std::span<const Arg> args) {
  for (const Arg& a : args)
    if (!c.request.find(a.tag)) return bug(c, "no request field with tag " + tag_hex(a.tag));
  TlvWriter w;
  for (const Field& f : c.request) {
    const Arg* given = nullptr;
    for (const Arg& a : args)
      if (a.tag == f.tag) given = &a;
    if (!given) {
      if (!f.optional) return bug(c, "required field " + tag_hex(f.tag) + " not given");
      continue;
    }
    if (!fits(f, *given)) return bug(c, "field " + tag_hex(f.tag) + " given with the wrong kind or size");
    put(w, *given);
  }
  return w.take();
}

Result<Bytes> build_request(const Command& c, std::span<const Arg> args, HeaderBits bits) {
  if ((bits.ins & ~c.ins_flags) || (bits.p1 & ~c.p1_vary) || (bits.p2 & ~c.p2_vary))
    return bug(c, "header bits outside the command's variable bits");
  SX_ASSIGN(Bytes body, encode_request(c, args));
  CommandHeader h = c.header;
  h.ins = static_cast<uint8_t>(h.ins | bits.ins);
  h.p1 = static_cast<uint8_t>(h.p1 | bits.p1);
  h.p2 = static_cast<uint8_t>(h.p2 | bits.p2);
  Bytes apdu = build_command(h, body, c.le);
  secure_wipe(body);  // may have carried key material
  return apdu;
}

std::optional<ByteView> ReplyFields::get(uint8_t t) const {
  for (size_t i = 0; i < count_; ++i)
    if (items_[i].tag == t) return items_[i].value;
  return std::nullopt;
}

uint8_t ReplyFields::u8(uint8_t t) const {
  const ByteView v = bytes(t);
  return v.size() == 1 ? v[0] : 0;
}

uint16_t ReplyFields::u16(uint8_t t) const {
  const ByteView v = bytes(t);
  return v.size() == 2 ? get_u16(v) : 0;
}

uint32_t ReplyFields::u32(uint8_t t) const {
  const ByteView v = bytes(t);
  if (v.size() == 2) return get_u16(v);
  return v.size() == 4 ? get_u32(v) : 0;
}

void ReplyFields::add(uint8_t t, ByteView v) {
  if (count_ < items_.size()) items_[count_++] = Tlv{t, v};
}

namespace {

Result<ReplyFields> decode_fields(const Command& c, const FieldList& fields, ByteView data) {
  ReplyFields out;
  if (fields.raw()) {
    out.add(0, data);
    return out;
  }
  if (fields.empty() && !data.empty())
    return malformed(c, std::to_string(data.size()) + " unexpected bytes before the SW");
  TlvReader r(data);
  for (const Field& f : fields) {
    std::optional<ByteView> v;
    if (f.optional) {
      auto got = r.optional(f.tag);
      if (!got) return in_command(c.name, got.take_error());
      v = *got;
      if (!v) continue;
    } else {
      auto got = r.expect(f.tag);
      if (!got) return in_command(c.name, got.take_error());
      v = *got;
    }
    if (!size_ok(f, v->size()))
      return malformed(c, "TLV " + tag_hex(f.tag) + " has " + std::to_string(v->size()) + " bytes");
    out.add(f.tag, *v);
  }
  if (!r.at_end())
    return malformed(c, std::to_string(r.remaining()) + " unexpected bytes after the reply TLVs");
  return out;
}

}  // namespace

Result<ReplyFields> decode_reply(const Command& c, ByteView data) { return decode_fields(c, c.reply, data); }

Result<ReplyFields> decode_request(const Command& c, ByteView body) { return decode_fields(c, c.request, body); }

Status check_request(const Command& c, const TlvSet& tlvs) {
  for (const Field& f : c.request) {
    const auto v = tlvs.get(f.tag);
    if (!v) {
      if (f.optional) continue;
      return malformed(c, "TLV " + tag_hex(f.tag) + " missing");
    }
    if (!size_ok(f, v->size())) return malformed(c, "TLV " + tag_hex(f.tag) + " has the wrong size");
  }
  return {};
}

Error in_command(std::string_view name, Error e) {
  e.message = std::string(name) + ": " + e.message;
  return e;
}

}  // namespace sx::se05x
