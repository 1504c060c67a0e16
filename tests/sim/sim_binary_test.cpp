// WriteBinary / ReadObject of files, ReadIDList paging, deletion, capacity.
#include "sim/object.h"
#include "sim_test_util.h"

namespace sx::sim::test {
namespace {

namespace t = se05x::tag;

TEST(SimBinary, DocExampleCertificateWriteAndChunkedRead) {
  Card c;
  c.select();
  const Bytes cert = pattern(600, 3);
  Bytes a1 = hex("80 01 06 00 00 02 02 41 04 20 18 10 02 43 02 02 58 44 82 01 F4");
  a1.insert(a1.end(), cert.begin(), cert.begin() + 500);
  EXPECT_EQ(c.tx(a1).sw, 0x9000);
  Bytes a2 = hex("80 01 06 00 70 41 04 20 18 10 02 42 02 01 F4 44 64");
  a2.insert(a2.end(), cert.begin() + 500, cert.end());
  EXPECT_EQ(c.tx(a2).sw, 0x9000);
  EXPECT_EQ(c.tx("80 02 00 26 06 41 04 20 18 10 02").data, hex("41010B420101"));
  EXPECT_EQ(c.tx("80 02 00 07 06 41 04 20 18 10 02").data, hex("41020258"));
  // Chunk 1: TAG_3 without TAG_2 = offset 0.
  auto r1 = c.tx("80 02 00 00 00 00 0A 41 04 20 18 10 02 43 02 01 F4 00 00");
  ASSERT_EQ(r1.sw, 0x9000);
  EXPECT_EQ(Bytes(r1.data.begin(), r1.data.begin() + 4), hex("418201F4"));
  EXPECT_EQ(Bytes(r1.data.begin() + 4, r1.data.end()), Bytes(cert.begin(), cert.begin() + 500));
  auto r2 = c.tx("80 02 00 00 00 00 0E 41 04 20 18 10 02 42 02 01 F4 43 02 00 64 00 00");
  ASSERT_EQ(r2.sw, 0x9000);
  EXPECT_EQ(Bytes(r2.data.begin() + 2, r2.data.end()), Bytes(cert.begin() + 500, cert.end()));
  EXPECT_EQ(read_binary(c, 0x20181002), cert);
  // Whole small file without offset/length; offset only = rest of file.
  auto tail = c.cmd(0x02, 0x00, 0x00, TlvWriter().u32(t::k1, 0x20181002).u16(t::k2, 590).take());
  EXPECT_EQ(Bytes(tail.data.begin() + 2, tail.data.end()), Bytes(cert.begin() + 590, cert.end()));
  // Past the end.
  EXPECT_EQ(c.cmd(0x02, 0x00, 0x00, TlvWriter().u32(t::k1, 0x20181002).u16(t::k2, 590).u16(t::k3, 11).take()).sw,
            0x6A80);
  // Whole 600-byte file fits one R-APDU.
  auto whole = c.cmd(0x02, 0x00, 0x00, id_tlv(0x20181002), se05x::LeMode::Extended);
  EXPECT_EQ(Bytes(whole.data.begin() + 4, whole.data.end()), cert);
}

TEST(SimBinary, FilesCannotGrowAndWritesStayInside) {
  Card c;
  c.select();
  EXPECT_EQ(c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, 0x100).u16(t::k3, 10).bytes(t::k4, pattern(4, 1)).take()),
            0x9000);
  EXPECT_EQ(c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, 0x100).u16(t::k2, 8).bytes(t::k4, pattern(3, 1)).take()),
            0x6A80);
  EXPECT_EQ(c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, 0x100).u16(t::k3, 20).bytes(t::k4, pattern(3, 1)).take()),
            0x6A80);
  EXPECT_EQ(c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, 0x100).u16(t::k2, 7).bytes(t::k4, pattern(3, 9)).take()),
            0x9000);
  Bytes expect = pattern(4, 1);
  expect.resize(7, 0);
  append(expect, pattern(3, 9));
  EXPECT_EQ(read_binary(c, 0x100), expect);
  // Create without length, too long, zero length.
  EXPECT_EQ(c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, 0x101).bytes(t::k4, pattern(3, 1)).take()), 0x6A80);
  EXPECT_EQ(c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, 0x101).u16(t::k3, 0x8000).take()), 0x6A80);
  EXPECT_EQ(c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, 0x101).u16(t::k3, 0x7FFF).take()), 0x9000);
  EXPECT_EQ(c.tx("80 02 00 07 06 41 04 00 00 01 01").data, hex("41027FFF"));
  // Reading all of it at once does not fit an R-APDU.
  EXPECT_EQ(c.cmd(0x02, 0x00, 0x00, id_tlv(0x101), se05x::LeMode::Extended).sw, 0x6700);
  // Policy READ only: writes denied after creation.
  EXPECT_EQ(c.sw(0x01, 0x06, 0x00,
                 TlvWriter().bytes(t::kPolicy, hex("0800000000 00200000")).u32(t::k1, 0x102).u16(t::k3, 4).bytes(t::k4, hex("01020304")).take()),
            0x9000);
  EXPECT_EQ(c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, 0x102).bytes(t::k4, hex("09")).take()), 0x6986);
  EXPECT_EQ(c.sw(0x04, 0x00, 0x28, id_tlv(0x102)), 0x6986);
  EXPECT_EQ(read_binary(c, 0x102), hex("01020304"));
}

TEST(SimBinary, ReadIdListPagingOver300Objects) {
  Card c;
  c.select();
  std::vector<uint32_t> want;
  for (uint32_t i = 0; i < 300; ++i) {
    const uint32_t id = 0x10000000 + i * 3;
    want.push_back(id);
    ASSERT_EQ(c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, id).u16(t::k3, 1).bytes(t::k4, hex("AA")).take()), 0x9000);
  }
  // Factory objects come after (higher IDs); collect all pages by entry count like P11-4.7.
  std::vector<uint32_t> got;
  int pages = 0;
  uint8_t more = 0;
  do {
    auto r = c.tx(se05x::build_command(
        {0x80, 0x02, 0x00, 0x25},
        TlvWriter().u16(t::k1, static_cast<uint16_t>(got.size())).u8(t::k2, 0xFF).take(), se05x::LeMode::Extended));
    ASSERT_EQ(r.sw, 0x9000);
    se05x::TlvReader rd(r.data);
    auto m = rd.expect_u8(t::k1);
    auto ids = rd.expect(t::k2);
    ASSERT_TRUE(m.ok() && ids.ok());
    more = *m;
    ASSERT_EQ(ids->size() % 4, 0u);
    for (size_t i = 0; i < ids->size(); i += 4) got.push_back(get_u32(*ids, i));
    ++pages;
  } while (more == se05x::kMore && pages < 10);
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(more, se05x::kNoMore);
  ASSERT_EQ(got.size(), 300u + 5u);  // + unique ID + 4 factory objects
  EXPECT_EQ(std::vector<uint32_t>(got.begin(), got.begin() + 300), want);
  // Past the end: empty list, "no more".
  auto end = c.cmd(0x02, 0x00, 0x25, TlvWriter().u16(t::k1, 400).u8(t::k2, 0xFF).take(), se05x::LeMode::Extended);
  EXPECT_EQ(to_hex(end.data), "4101014200");
  // Type filter: binary files only.
  auto bins = c.cmd(0x02, 0x00, 0x25, TlvWriter().u16(t::k1, 300).u8(t::k2, 0x0B).take(), se05x::LeMode::Extended);
  EXPECT_EQ(to_hex(bins.data), "410101420C" "7FFF0206F0000101F0000111");
  // DeleteAll keeps the provisioned objects only.
  EXPECT_EQ(c.tx("80 04 00 2A 00").sw, 0x9000);
  auto rest = c.cmd(0x02, 0x00, 0x25, TlvWriter().u16(t::k1, 0).u8(t::k2, 0xFF).take(), se05x::LeMode::Extended);
  EXPECT_EQ(to_hex(rest.data), "4101014214" "7FFF0206F0000100F0000101F0000110F0000111");
}

TEST(SimBinary, NvmFullIs6A84AndChangesNothing) {
  Card c;
  c.select();
  uint32_t id = 0x200;
  uint16_t s = 0x9000;
  while (s == 0x9000) s = c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, ++id).u16(t::k3, 0x1000).take());
  EXPECT_EQ(s, 0x6A84);
  EXPECT_EQ(c.tx("80 04 00 27 06 41 04 00 00 02 0C").data, hex("410101"));  // 12 x 4 KiB fit, the 13th not
  EXPECT_EQ(c.tx("80 04 00 27 06 41 04 00 00 02 0D").data, hex("410102"));
  auto free = c.tx("80 04 00 22 03 41 01 01");
  const uint16_t left = get_u16(free.data, 2);
  EXPECT_LT(left, 0x1000 + kObjectOverhead);
  auto stats_before = c.sim->faults().writes();
  // A key needs less: still fits; a file just over the free space does not.
  EXPECT_EQ(c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, 0x300).u16(t::k3, static_cast<uint16_t>(left)).take()),
            0x6A84);
  EXPECT_EQ(c.sim->faults().writes(), stats_before);
  EXPECT_EQ(c.tx("80 04 00 27 06 41 04 00 00 03 00").data, hex("410102"));
  // Delete one and the space is back.
  EXPECT_EQ(c.sw(0x04, 0x00, 0x28, id_tlv(0x201)), 0x9000);
  EXPECT_EQ(c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, 0x300).u16(t::k3, 0x1000).take()), 0x9000);
  EXPECT_EQ(c.sw(0x04, 0x00, 0x28, id_tlv(0x201)), 0x6A80);  // gone
}

TEST(SimBinary, TransientObjectsVanishOnReset) {
  Card c;
  c.select();
  EXPECT_EQ(c.sw(0x81, 0x06, 0x00, TlvWriter().u32(t::k1, 0x400).u16(t::k3, 4).take()), 0x9000);
  EXPECT_EQ(c.tx("80 02 00 26 06 41 04 00 00 04 00").data, hex("41010B420102"));
  c.sim->chip_reset();
  c.select();
  EXPECT_EQ(c.tx("80 04 00 27 06 41 04 00 00 04 00").data, hex("410102"));
}

}  // namespace
}  // namespace sx::sim::test
