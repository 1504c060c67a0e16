// The SE05x command description (commands.def) as data, and what every layer
// derives from it: the client's request encoder and strict reply decoder, the
// card side's header lookup and request check, the broker's header matcher.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "se05x/apdu.h"
#include "se05x/constants.h"
#include "se05x/tlv.h"

namespace sx::se05x {

enum class CmdId : uint8_t {
#define SX_SE05X_CMD(id, ...) id,
#include "se05x/commands.def"
#undef SX_SE05X_CMD
};

enum class FieldKind : uint8_t {
  U8,
  U16,
  U32,
  U16or32,  // GetFreeMemory: U32 only on some applet patch versions
  Bytes,    // `size` bytes when size != 0, else any length
  Raw,      // the whole body, not TLV-encoded (SELECT)
};

struct Field {
  uint8_t tag = 0;
  FieldKind kind = FieldKind::Bytes;
  bool optional = false;
  uint16_t size = 0;
};

// A command's request or reply TLVs in wire order.
class FieldList {
 public:
  static constexpr size_t kMax = 14;
  constexpr FieldList() = default;
  constexpr FieldList(std::initializer_list<Field> fields) {
    for (const Field& f : fields) items_[count_++] = f;  // more than kMax: not a constant expression
  }
  constexpr const Field* begin() const { return items_.data(); }
  constexpr const Field* end() const { return items_.data() + count_; }
  constexpr size_t size() const { return count_; }
  constexpr bool empty() const { return count_ == 0; }
  constexpr bool raw() const { return count_ == 1 && items_[0].kind == FieldKind::Raw; }
  const Field* find(uint8_t tag) const;

 private:
  std::array<Field, kMax> items_{};
  size_t count_ = 0;
};

struct Command {
  CmdId id;
  const char* name;       // NXP's name: statistics and error messages
  CommandHeader header;   // fixed bits
  uint8_t ins_flags = 0;  // INS bits a caller may add (ins::kTransient)
  uint8_t p1_vary = 0;    // P1 bits a caller may set
  uint8_t p2_vary = 0;    // P2 bits a caller may set
  LeMode le = LeMode::None;
  FieldList request;
  FieldList reply;
};

const Command& command(CmdId id);
std::span<const Command> all_commands();

// --- header matching (card side, broker)

// True when `h` is this command's header with only its variable bits changed.
bool matches(const Command& c, const CommandHeader& h);
bool matches(const Command& c, ByteView capdu);  // on the first four bytes
// Rows matching `h`, in table order (several when rows share a header), and the
// name of the request before the card tells such rows apart (SX_SE05X_SHARED).
struct Matches {
  std::array<const Command*, 4> items{};
  size_t count = 0;
  const char* name = nullptr;
};
// `include` (optional) limits the search to some rows, e.g. those a simulator implements.
using RowFilter = bool (*)(CmdId);
Matches find_commands(const CommandHeader& h, RowFilter include = nullptr);
// True when some row has this CLA and INS class (INS flags a row allows ignored):
// a known instruction with unknown P1/P2.
bool known_instruction(const CommandHeader& h, RowFilter include = nullptr);

// --- client side: request encoding

// One request value, matched to the row's field by tag.
struct Arg {
  uint8_t tag;
  FieldKind kind;
  uint32_t number = 0;
  ByteView bytes;
  static Arg u8(uint8_t t, uint8_t v) { return {t, FieldKind::U8, v, {}}; }
  static Arg u16(uint8_t t, uint16_t v) { return {t, FieldKind::U16, v, {}}; }
  static Arg u32(uint8_t t, uint32_t v) { return {t, FieldKind::U32, v, {}}; }
  static Arg bin(uint8_t t, ByteView v) { return {t, FieldKind::Bytes, 0, v}; }
};

// The variable header bits of one call (must lie within the row's masks).
struct HeaderBits {
  uint8_t ins = 0, p1 = 0, p2 = 0;
};

// The TLV body in the row's order; a missing required value, a value the row does
// not know, or a kind mismatch is Errc::Internal (a bug in the caller).
Result<Bytes> encode_request(const Command& c, std::span<const Arg> args);
// The whole C-APDU of one call, written once into a buffer of its final size.
Result<Bytes> build_request(const Command& c, std::span<const Arg> args, HeaderBits bits = {});
// True for the rows whose request can carry key material or a PIN's value (key
// writes, user-ID writes and verifications, the session wrapper around them): their
// C-APDU buffers are wiped after use. Other requests (a C_Sign's digest, object IDs)
// are not secrets and are not wiped, which keeps the wipe off the per-sign path.
bool request_carries_secrets(CmdId id);

// --- client side: strict reply decoding

// The reply TLVs of one call, by tag (absent optional ones are nullopt).
class ReplyFields {
 public:
  std::optional<ByteView> get(uint8_t tag) const;
  ByteView bytes(uint8_t tag) const { return get(tag).value_or(ByteView{}); }
  uint8_t u8(uint8_t tag) const;
  uint16_t u16(uint8_t tag) const;
  uint32_t u32(uint8_t tag) const;  // U32 or U16 (U16or32 fields)
  void add(uint8_t tag, ByteView v);

 private:
  std::array<Tlv, FieldList::kMax> items_{};
  size_t count_ = 0;
};

// Exactly the row's reply TLVs in order (optional ones may be left out), each of
// its kind's size, then nothing: anything else is Errc::Malformed naming the command.
Result<ReplyFields> decode_reply(const Command& c, ByteView data);
// The same into `out` (the client's per-call path: no copy of the field table).
Status decode_reply(const Command& c, ByteView data, ReplyFields& out);
// The same strict decoding of a request body (for observers such as the broker).
Result<ReplyFields> decode_request(const Command& c, ByteView body);

// --- card side: request check

// The request's TLVs (any order, unknown tags ignored): every required field present,
// every present field of its kind's size. Errc::Malformed otherwise.
Status check_request(const Command& c, const TlvSet& tlvs);

// Prefixes an error message with the command name ("ReadType: ...").
Error in_command(std::string_view name, Error e);

}  // namespace sx::se05x
