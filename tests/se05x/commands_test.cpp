// The command description itself: rows are consistent, and the generic encoder,
// decoder and request check follow a row exactly.
#include <gtest/gtest.h>

#include <vector>

#include "se05x/commands.h"

namespace sx::se05x {
namespace {

bool same_fields(const FieldList& a, const FieldList& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const Field &x = a.begin()[i], &y = b.begin()[i];
    if (x.tag != y.tag || x.kind != y.kind || x.optional != y.optional || x.size != y.size) return false;
  }
  return true;
}

TEST(CommandTable, RowsSharingAHeaderAreNamedAndReadAlike) {
  for (const Command& c : all_commands()) {
    EXPECT_EQ(&command(c.id), &c);
    const Matches m = find_commands(c.header);
    ASSERT_GE(m.count, 1u) << c.name;
    if (m.count == 1) continue;
    // The card reads the request before it knows which row it is (SX_SE05X_SHARED).
    EXPECT_STRNE(m.name, m.items[0]->name) << c.name << " shares its header without a group name";
    for (size_t i = 1; i < m.count; ++i) EXPECT_TRUE(same_fields(m.items[0]->request, m.items[i]->request)) << c.name;
  }
}

TEST(CommandTable, VariableBitsAndFlags) {
  const Command& ec = command(CmdId::WriteECKey);
  EXPECT_TRUE(matches(ec, CommandHeader{0x80, 0x81, 0x61, 0x00}));
  EXPECT_FALSE(matches(ec, CommandHeader{0x80, 0x01, 0x61, 0x01}));
  EXPECT_FALSE(matches(ec, CommandHeader{0x80, 0x41, 0x61, 0x00}));
  EXPECT_TRUE(known_instruction(CommandHeader{0x80, 0x01, 0x0B, 0x99}));
  EXPECT_FALSE(known_instruction(CommandHeader{0x80, 0x82, 0x00, 0x00}));  // no read row takes the transient flag
  EXPECT_FALSE(matches(command(CmdId::Select), hex("00A4")));
}

TEST(CommandCodec, EncoderFollowsTheRowOrder) {
  const Bytes pol = hex("0800000000100000"), d = hex("AA");
  // Given out of order; sent in the row's order (policy first).
  const Arg args[] = {Arg::bin(tag::k3, d), Arg::u32(tag::k1, 7), Arg::bin(tag::kPolicy, pol)};
  auto body = encode_request(command(CmdId::WriteECKey), args);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(to_hex(*body), "11080800000000100000410400000007" "4301AA");
}

TEST(CommandCodec, EncoderRefusesCallerBugs) {
  const Command& c = command(CmdId::ReadObject);
  const Arg missing[] = {Arg::u16(tag::k2, 1)};
  const Arg unknown[] = {Arg::u32(tag::k1, 1), Arg::u8(tag::k9, 1)};
  const Arg wrong_kind[] = {Arg::u16(tag::k1, 1)};
  EXPECT_EQ(encode_request(c, missing).error().code, Errc::Internal);
  EXPECT_EQ(encode_request(c, unknown).error().code, Errc::Internal);
  EXPECT_EQ(encode_request(c, wrong_kind).error().code, Errc::Internal);
}

// One value per field of the row: integers at their kind, byte fields of `len` bytes
// (or their fixed size).
std::vector<Arg> args_for(const Command& c, const Bytes& pool, size_t len) {
  std::vector<Arg> out;
  for (const Field& f : c.request) {
    switch (f.kind) {
      case FieldKind::U8: out.push_back(Arg::u8(f.tag, 0xA5)); break;
      case FieldKind::U16: out.push_back(Arg::u16(f.tag, 0x1234)); break;
      case FieldKind::U32:
      case FieldKind::U16or32: out.push_back(Arg::u32(f.tag, 0x89ABCDEF)); break;
      case FieldKind::Bytes: out.push_back(Arg::bin(f.tag, ByteView(pool).first(f.size ? f.size : len))); break;
      case FieldKind::Raw: break;
    }
  }
  return out;
}

// build_request writes the APDU in one buffer; it must frame exactly like
// build_command over encode_request's body (short/extended Lc at 255, BER lengths
// at 0x80 / 0x100, Le only on extended-Le rows), for every row and header bits.
TEST(CommandCodec, OneBufferRequestIsByteForByteTheFramedBody) {
  Bytes pool(700);
  for (size_t i = 0; i < pool.size(); ++i) pool[i] = static_cast<uint8_t>(i * 7 + 1);
  size_t compared = 0;
  for (const Command& c : all_commands()) {
    if (c.request.raw()) continue;
    // 250-253: a one-field body of 253-256 bytes, around the extended-Lc switch at 255.
    for (size_t len : {size_t{0}, size_t{1}, size_t{0x7F}, size_t{0x80}, size_t{0xF0}, size_t{250}, size_t{251},
                       size_t{252}, size_t{253}, size_t{0xFF}, size_t{0x100}, size_t{300}}) {
      const auto args = args_for(c, pool, len);
      const HeaderBits bits{c.ins_flags, c.p1_vary, c.p2_vary};
      auto body = encode_request(c, args);
      auto apdu = build_request(c, args, bits);
      ASSERT_TRUE(body.ok() && apdu.ok()) << c.name;
      CommandHeader h = c.header;
      h.ins = static_cast<uint8_t>(h.ins | bits.ins);
      h.p1 = static_cast<uint8_t>(h.p1 | bits.p1);
      h.p2 = static_cast<uint8_t>(h.p2 | bits.p2);
      EXPECT_EQ(to_hex(*apdu), to_hex(build_command(h, *body, c.le))) << c.name << " with " << len << "-byte values";
      ++compared;
    }
  }
  EXPECT_GT(compared, 300u);
}

TEST(CommandCodec, OnlyRequestsThatCarrySecretsAreWiped) {
  for (CmdId id : {CmdId::WriteECKey, CmdId::WriteRSAKey, CmdId::WriteAESKey, CmdId::WriteDESKey, CmdId::WriteHMACKey,
                   CmdId::WriteUserID, CmdId::VerifySessionUserID, CmdId::ProcessSessionCmd})
    EXPECT_TRUE(request_carries_secrets(id)) << command(id).name;
  for (CmdId id : {CmdId::ECDSASign, CmdId::RSASign, CmdId::ReadObject, CmdId::CreateSession, CmdId::DigestOneShot})
    EXPECT_FALSE(request_carries_secrets(id)) << command(id).name;
}

TEST(CommandCodec, DecoderIsStrict) {
  const Command& t = command(CmdId::ReadType);
  EXPECT_TRUE(decode_reply(t, hex("410101 420101")).ok());
  for (const char* bad : {"", "410101", "420101 410101", "410101 420101 4300", "41020001 420101", "410101 42"})
    EXPECT_EQ(decode_reply(t, hex(bad)).error().code, Errc::Malformed) << bad;
  const Command& attrs = command(CmdId::ReadObjectAttributes);  // optional TAG_2 / TAG_3
  EXPECT_TRUE(decode_reply(attrs, hex("4301AA")).ok());
  EXPECT_FALSE(decode_reply(attrs, hex("4301AA 4201AA")).ok());
  const Command& del = command(CmdId::DeleteSecureObject);
  EXPECT_TRUE(decode_reply(del, {}).ok());
  EXPECT_FALSE(decode_reply(del, hex("00")).ok());
}

TEST(CommandCodec, CardSideRequestCheck) {
  const Command& c = command(CmdId::ReadObject);
  auto check = [&](const char* body) { return check_request(c, *TlvSet::parse(hex(body))).ok(); };
  EXPECT_TRUE(check("4104 00000001"));
  EXPECT_TRUE(check("4302 0010 4104 00000001 4F00"));  // any order, unknown tags ignored
  EXPECT_FALSE(check("4302 0010"));                    // TAG_1 missing
  EXPECT_FALSE(check("4104 00000001 4201 00"));        // TAG_2 is a U16
}

}  // namespace
}  // namespace sx::se05x
