// The command table built from commands.def, and header matching.
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

}  // namespace sx::se05x
