// The one SE05x command description (commands.def) as code: the table, header
// matching, request encoding, strict reply decoding and the card side's request check.
#include <cstring>
#include <string>

#include "se05x/commands.h"

namespace sx::se05x {

// The vocabulary of commands.def, kept in its own namespace (unity builds put several
// .cpp files in one translation unit).
namespace rows {

using namespace tag;  // the rows name tags as k1, kPolicy, ...

constexpr LeMode S = LeMode::None;
constexpr LeMode E = LeMode::Extended;

constexpr Field U8(uint8_t t) { return {t, FieldKind::U8, false, 1}; }
constexpr Field U16(uint8_t t) { return {t, FieldKind::U16, false, 2}; }
constexpr Field U32(uint8_t t) { return {t, FieldKind::U32, false, 4}; }
constexpr Field U16or32(uint8_t t) { return {t, FieldKind::U16or32, false, 0}; }
constexpr Field Bin(uint8_t t, uint16_t size = 0) { return {t, FieldKind::Bytes, false, size}; }
constexpr Field Raw() { return {0, FieldKind::Raw, false, 0}; }
constexpr Field Opt(Field f) {
  f.optional = true;
  return f;
}

#define SX_SE05X_UNPAREN(...) __VA_ARGS__
#define SX_SE05X_CMD(id, name, cla, ins_, flags, p1_, p1v, p2_, p2v, le, req, rep)                          \
  Command{CmdId::id, name, CommandHeader{cla, ins_, p1_, p2_}, flags, p1v, p2v, le, FieldList{SX_SE05X_UNPAREN req}, \
          FieldList{SX_SE05X_UNPAREN rep}},

constexpr Command kCommands[] = {
#include "se05x/commands.def"
};

#undef SX_SE05X_CMD
#undef SX_SE05X_UNPAREN

struct SharedHeader {
  const char* name;
  CmdId first, second;
};

#define SX_SE05X_CMD(...)
#define SX_SE05X_SHARED(name, a, b) SharedHeader{name, CmdId::a, CmdId::b},
constexpr SharedHeader kShared[] = {
#include "se05x/commands.def"
};
#undef SX_SE05X_SHARED
#undef SX_SE05X_CMD

const char* shared_name(CmdId id) {
  for (const auto& s : kShared)
    if (s.first == id || s.second == id) return s.name;
  return nullptr;
}

constexpr bool ids_in_order() {
  for (size_t i = 0; i < std::size(kCommands); ++i)
    if (static_cast<size_t>(kCommands[i].id) != i) return false;
  return true;
}
static_assert(ids_in_order(), "command(id) indexes the table by id");

}  // namespace rows

namespace {

using rows::kCommands;
using rows::kShared;

// A row's bits outside its variable masks; the INS flags a row allows are never fixed.
bool fixed_bits_match(const Command& c, const CommandHeader& h) {
  return h.cla == c.header.cla && (h.ins & static_cast<uint8_t>(~c.ins_flags)) == c.header.ins &&
         (h.p1 & static_cast<uint8_t>(~c.p1_vary)) == c.header.p1 &&
         (h.p2 & static_cast<uint8_t>(~c.p2_vary)) == c.header.p2;
}

}  // namespace

const Field* FieldList::find(uint8_t t) const {
  for (const Field& f : *this)
    if (f.tag == t && f.kind != FieldKind::Raw) return &f;
  return nullptr;
}

const Command& command(CmdId id) { return kCommands[static_cast<size_t>(id)]; }

std::span<const Command> all_commands() { return kCommands; }

bool matches(const Command& c, const CommandHeader& h) { return fixed_bits_match(c, h); }

bool matches(const Command& c, ByteView capdu) {
  if (capdu.size() < 4) return false;
  return matches(c, CommandHeader{capdu[0], capdu[1], capdu[2], capdu[3]});
}

Matches find_commands(const CommandHeader& h, RowFilter include) {
  Matches m;
  for (const Command& c : kCommands)
    if (m.count < m.items.size() && (!include || include(c.id)) && matches(c, h)) m.items[m.count++] = &c;
  if (m.count == 1) m.name = m.items[0]->name;
  if (m.count > 1) m.name = rows::shared_name(m.items[0]->id);
  if (!m.name && m.count) m.name = m.items[0]->name;
  return m;
}

bool known_instruction(const CommandHeader& h, RowFilter include) {
  for (const Command& c : kCommands)
    if ((!include || include(c.id)) && c.header.cla == h.cla &&
        (h.ins & static_cast<uint8_t>(~c.ins_flags)) == c.header.ins)
      return true;
  return false;
}

// --- request encoding and reply decoding

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

// `size` is the exact value length; 0 = any (U16or32: 2 or 4).
bool size_ok(const Field& f, size_t n) {
  if (f.kind == FieldKind::U16or32) return n == 2 || n == 4;
  return f.size == 0 || n == f.size;
}

size_t value_size(const Arg& a) {
  switch (a.kind) {
    case FieldKind::U8: return 1;
    case FieldKind::U16: return 2;
    case FieldKind::U32: return 4;
    default: return a.bytes.size();
  }
}

// Tag, BER length (docs/se05x-protocol.md §4.4), value.
size_t tlv_size(size_t n) { return 1 + (n < 0x80 ? 1 : n < 0x100 ? 2 : 3) + n; }

// The values of one call in the row's order, checked, and the body's length: the
// APDU is then written once into a buffer of its final size (a C_Sign's request
// used to be grown TLV by TLV, then copied behind its header).
struct Plan {
  std::array<const Arg*, FieldList::kMax> given{};
  size_t count = 0;
  size_t body = 0;
};

Result<Plan> plan_request(const Command& c, std::span<const Arg> args) {
  for (const Arg& a : args)
    if (!c.request.find(a.tag)) return bug(c, "no request field with tag " + tag_hex(a.tag));
  Plan p;
  for (const Field& f : c.request) {
    const Arg* given = nullptr;
    for (const Arg& a : args)
      if (a.tag == f.tag) given = &a;
    if (!given) {
      if (!f.optional) return bug(c, "required field " + tag_hex(f.tag) + " not given");
      continue;
    }
    if (!fits(f, *given)) return bug(c, "field " + tag_hex(f.tag) + " given with the wrong kind or size");
    p.given[p.count++] = given;
    p.body += tlv_size(value_size(*given));
  }
  return p;
}

uint8_t* put_value(uint8_t* out, const Arg& a) {
  const size_t n = value_size(a);
  *out++ = a.tag;
  if (n >= 0x100) {
    *out++ = 0x82;
    *out++ = static_cast<uint8_t>(n >> 8);
  } else if (n >= 0x80) {
    *out++ = 0x81;
  }
  *out++ = static_cast<uint8_t>(n);
  if (a.kind == FieldKind::U8 || a.kind == FieldKind::U16 || a.kind == FieldKind::U32) {
    for (size_t i = n; i-- > 0;) *out++ = static_cast<uint8_t>(a.number >> (8 * i));
    return out;
  }
  if (n) std::memcpy(out, a.bytes.data(), n);
  return out + n;
}

uint8_t* put_body(uint8_t* out, const Plan& p) {
  for (size_t i = 0; i < p.count; ++i) out = put_value(out, *p.given[i]);
  return out;
}

}  // namespace

Result<Bytes> encode_request(const Command& c, std::span<const Arg> args) {
  SX_ASSIGN(Plan p, plan_request(c, args));
  Bytes body(p.body);
  put_body(body.data(), p);
  return body;
}

// The framing of se05x/wire.cpp build_command (docs/se05x-protocol.md §4.2), byte for byte:
// extended Lc from a 255-byte body on, Le 00 00 only on extended-Le rows.
Result<Bytes> build_request(const Command& c, std::span<const Arg> args, HeaderBits bits) {
  if ((bits.ins & ~c.ins_flags) || (bits.p1 & ~c.p1_vary) || (bits.p2 & ~c.p2_vary))
    return bug(c, "header bits outside the command's variable bits");
  SX_ASSIGN(Plan p, plan_request(c, args));
  const bool le = c.le == LeMode::Extended;
  const bool ext = le || p.body > 255 - 1;
  const size_t lc = p.body == 0 ? 1 : ext ? 3 : 1;
  Bytes apdu(4 + lc + p.body + (le ? 2 : 0));  // zero-filled: Lc's and Le's zero bytes come free
  uint8_t* out = apdu.data();
  out[0] = c.header.cla;
  out[1] = static_cast<uint8_t>(c.header.ins | bits.ins);
  out[2] = static_cast<uint8_t>(c.header.p1 | bits.p1);
  out[3] = static_cast<uint8_t>(c.header.p2 | bits.p2);
  if (p.body != 0 && ext) {
    out[5] = static_cast<uint8_t>(p.body >> 8);
    out[6] = static_cast<uint8_t>(p.body);
  } else if (p.body != 0) {
    out[4] = static_cast<uint8_t>(p.body);
  }
  put_body(out + 4 + lc, p);
  return apdu;
}

bool request_carries_secrets(CmdId id) {
  switch (id) {
    case CmdId::WriteECKey:           // private key
    case CmdId::WriteRSAKey:          // private CRT parts
    case CmdId::WriteAESKey:          // the key
    case CmdId::WriteDESKey:
    case CmdId::WriteHMACKey:
    case CmdId::WriteUserID:          // the PIN's derived value
    case CmdId::VerifySessionUserID:  // the same, to open a session
    case CmdId::ProcessSessionCmd:    // may wrap any of the above
      return true;
    default:
      return false;
  }
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

Status decode_fields(const Command& c, const FieldList& fields, ByteView data, ReplyFields& out) {
  if (fields.raw()) {
    out.add(0, data);
    return {};
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
  return {};
}

Result<ReplyFields> decode_copy(const Command& c, const FieldList& fields, ByteView data) {
  ReplyFields out;
  SX_TRY(decode_fields(c, fields, data, out));
  return out;
}

}  // namespace

Result<ReplyFields> decode_reply(const Command& c, ByteView data) { return decode_copy(c, c.reply, data); }

Status decode_reply(const Command& c, ByteView data, ReplyFields& out) { return decode_fields(c, c.reply, data, out); }

Result<ReplyFields> decode_request(const Command& c, ByteView body) { return decode_copy(c, c.request, body); }

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
