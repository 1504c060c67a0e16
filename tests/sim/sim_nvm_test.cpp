// Persistent NVM file and power-cut injection.
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "sim/nvm_file.h"
#include "sim_test_util.h"
#include "support/temp_dir.h"

namespace sx::sim::test {
namespace {

namespace t = se05x::tag;
namespace fs = std::filesystem;

using sx::testing::TempDir;

Bytes slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}
void spit(const std::string& p, ByteView b) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

Bytes chunk_apdu(uint32_t id, size_t off, ByteView data, std::optional<uint16_t> total = std::nullopt) {
  TlvWriter w;
  w.u32(t::k1, id).u16_opt(t::k2, static_cast<uint16_t>(off));
  if (total) w.u16(t::k3, *total);
  w.bytes(t::k4, data);
  return se05x::build_command({0x80, 0x01, 0x06, 0x00}, w.data(), se05x::LeMode::None);
}

TEST(SimNvm, StatePersistsAcrossReopen) {
  TempDir dir;
  const Config cfg{.nvm_path = dir.file("se.nvm"), .fsync = true, .auth = {}};
  Bytes uid, pub, cert;
  {
    Card c(cfg);
    c.select();
    create_curve(c, 0x03, "prime256v1");
    ASSERT_EQ(c.tx("80 01 61 00 09 41 04 20 18 10 01 42 01 03").sw, 0x9000);
    ASSERT_EQ(c.tx(chunk_apdu(0x20181002, 0, pattern(300, 1), 300)).sw, 0x9000);
    uid = read_binary(c, se05x::objid::kUniqueId);
    cert = read_binary(c, se05x::objid::kFactoryEcCert);
    pub = c.cmd(0x02, 0x00, 0x00, id_tlv(0x20181001)).data;
    ASSERT_EQ(c.sw(0x81, 0x06, 0x00, TlvWriter().u32(t::k1, 0x77).u16(t::k3, 4).take()), 0x9000);  // transient
  }
  ASSERT_TRUE(fs::exists(cfg.nvm_path));
  EXPECT_FALSE(fs::exists(cfg.nvm_path + ".tmp"));
  Card c(cfg);
  c.select();
  EXPECT_EQ(uid.size(), 18u);
  EXPECT_EQ(read_binary(c, se05x::objid::kUniqueId), uid);
  EXPECT_EQ(read_binary(c, se05x::objid::kFactoryEcCert), cert);
  EXPECT_EQ(c.cmd(0x02, 0x00, 0x00, id_tlv(0x20181001)).data, pub);
  EXPECT_EQ(read_binary(c, 0x20181002), pattern(300, 1));
  EXPECT_EQ(curve_state(c, 3), 0x02);
  EXPECT_EQ(c.tx("80 04 00 27 06 41 04 00 00 00 77").data, hex("410102"));  // transient not persisted
  // Signing with the reloaded key still matches the old public key.
  const Bytes digest(32, 7);
  auto s = c.cmd(0x03, 0x0C, 0x09, TlvWriter().u32(t::k1, 0x20181001).u8(t::k2, 0x21).bytes(t::k3, digest).take());
  ossl::Pkey k = ec_public_key("prime256v1", ByteView(pub).subspan(2));
  EXPECT_TRUE(verify_der(k.get(), digest, ByteView(s.data).subspan(2)));
}

TEST(SimNvm, CorruptOrForeignFilesAreErrorsNotResets) {
  TempDir dir;
  const std::string path = dir.file("se.nvm");
  { Card c(make_cfg("SE050C", path)); }
  const Bytes good = slurp(path);
  ASSERT_GT(good.size(), 100u);
  auto expect_error = [&](const Bytes& content, const char* what) {
    spit(path, content);
    auto r = Simulator::open(make_cfg("SE050C", path));
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code, Errc::Malformed) << what;
    EXPECT_EQ(slurp(path), content) << what << ": file must be left alone";
  };
  Bytes flipped = good;
  flipped[good.size() / 2] ^= 0x01;
  expect_error(flipped, "flipped payload bit");
  expect_error(Bytes(good.begin(), good.end() - 1), "truncated");
  Bytes version = good;
  version[11] = 9;
  expect_error(version, "unknown version");
  expect_error(hex("00112233"), "garbage");
  expect_error({}, "empty file");
  spit(path, good);
  auto other = Simulator::open(make_cfg("SE050E", path));
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("SE050C"), std::string::npos);
  EXPECT_TRUE(Simulator::open(make_cfg("SE050C", path)).ok());
}

TEST(SimNvm, SerialisationRoundTripsEveryField) {
  Store s;
  SecureObject o;
  o.id = 9;
  o.kind = ObjectKind::RsaPair;
  o.origin = se05x::Origin::Internal;
  o.policy = hex("080000000010000000");
  o.rsa_crt = true;
  o.rsa_bits = 1024;
  o.rsa[0x43] = hex("0102");
  o.rsa[0x4A] = hex("FF");
  s.objects[9] = o;
  s.curves[3] = {true, 0x1F};
  auto back = deserialize_store(serialize_store(s, "SE050C"), "SE050C");
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  const auto& b = back->objects.at(9);
  EXPECT_EQ(b.kind, ObjectKind::RsaPair);
  EXPECT_EQ(b.origin, se05x::Origin::Internal);
  EXPECT_EQ(b.policy, o.policy);
  EXPECT_EQ(b.rsa, o.rsa);
  EXPECT_TRUE(b.rsa_crt);
  EXPECT_EQ(b.rsa_bits, 1024);
  EXPECT_TRUE(back->curves[3].created);
  EXPECT_EQ(back->curves[3].params_set, 0x1F);
}

// A 1200-byte file rewritten in three chunks (500 + 500 + 200) = three NVM writes. For a cut
// at every write in both modes the file after power-up holds, per chunk, old or new bytes;
// only in torn mode the cut chunk may be a prefix of new bytes followed by old bytes.
TEST(SimNvm, PowerCutAtEveryWriteOfAChunkedUpdate) {
  TempDir dir;
  const std::string base = dir.file("base.nvm"), path = dir.file("se.nvm");
  constexpr uint32_t kId = 0x20181002;
  const Bytes old_data = pattern(1200, 1), new_data = pattern(1200, 2);
  {
    Card c(make_cfg("SE050C", base));
    c.select();
    ASSERT_EQ(c.tx(chunk_apdu(kId, 0, ByteView(old_data).first(500), 1200)).sw, 0x9000);
    ASSERT_EQ(c.tx(chunk_apdu(kId, 500, ByteView(old_data).subspan(500, 500))).sw, 0x9000);
    ASSERT_EQ(c.tx(chunk_apdu(kId, 1000, ByteView(old_data).subspan(1000))).sw, 0x9000);
  }
  const Bytes base_image = slurp(base);
  const size_t starts[] = {0, 500, 1000, 1200};
  for (CutMode mode : {CutMode::BeforeWrite, CutMode::TornWrite}) {
    for (uint64_t n = 1; n <= 3; ++n) {
      SCOPED_TRACE("mode " + std::to_string(static_cast<int>(mode)) + " cut at write " + std::to_string(n));
      spit(path, base_image);
      Card c(make_cfg("SE050C", path));
      c.select();
      c.sim->faults().cut_at_write(n, mode);
      size_t sent = 0;
      for (int i = 0; i < 3; ++i) {
        Bytes r = c.raw(chunk_apdu(kId, starts[i], ByteView(new_data).subspan(starts[i], starts[i + 1] - starts[i])));
        if (r.empty()) break;
        ASSERT_EQ(r, hex("9000"));
        ++sent;
      }
      EXPECT_EQ(sent, n - 1);
      EXPECT_FALSE(c.sim->powered());
      EXPECT_TRUE(c.raw(hex("80 04 00 20 00")).empty());  // no answer while unpowered
      // Power back = reopen from the file.
      c.sim.reset();
      Card after(make_cfg("SE050C", path));
      after.select();
      Bytes expect = new_data;
      const size_t cut_from = starts[n - 1], cut_to = starts[n];
      const size_t keep = mode == CutMode::TornWrite ? (cut_to - cut_from) / 2 : 0;
      std::copy(old_data.begin() + static_cast<std::ptrdiff_t>(cut_from + keep), old_data.end(),
                expect.begin() + static_cast<std::ptrdiff_t>(cut_from + keep));
      EXPECT_EQ(read_binary(after, kId), expect);
    }
  }
}

TEST(SimNvm, PowerCutDuringCreationAndAtomicOperations) {
  TempDir dir;
  const std::string path = dir.file("se.nvm");
  const Bytes data = pattern(100, 5);
  {
    Card c(make_cfg("SE050C", path));
    c.select();
    c.sim->faults().cut_at_write(1, CutMode::BeforeWrite);
    EXPECT_TRUE(c.raw(chunk_apdu(0x30, 0, data, 100)).empty());
  }
  {
    Card c(make_cfg("SE050C", path));
    c.select();
    EXPECT_EQ(c.tx("80 04 00 27 06 41 04 00 00 00 30").data, hex("410102"));
    c.sim->faults().cut_at_write(1, CutMode::TornWrite, 10);
    EXPECT_TRUE(c.raw(chunk_apdu(0x30, 0, data, 100)).empty());
  }
  {
    Card c(make_cfg("SE050C", path));
    c.select();
    Bytes expect(100, 0);
    std::copy(data.begin(), data.begin() + 10, expect.begin());
    EXPECT_EQ(read_binary(c, 0x30), expect);  // created, first 10 bytes of the chunk landed
    // Key generation, curve creation and deletion are atomic even in torn mode.
    c.sim->faults().cut_at_write(1, CutMode::TornWrite);
    EXPECT_TRUE(c.raw(hex("80 01 0B 04 03 41 01 03")).empty());
  }
  {
    Card c(make_cfg("SE050C", path));
    c.select();
    EXPECT_EQ(curve_state(c, 3), 0x01);
    c.sim->faults().cut_at_write(1, CutMode::TornWrite);
    EXPECT_TRUE(c.raw(hex("80 04 00 28 06 41 04 00 00 00 30")).empty());
    // power_on() = power back without a new object
    ASSERT_TRUE(c.sim->power_on().ok());
    EXPECT_TRUE(c.sim->powered());
    EXPECT_EQ(c.tx("80 04 00 20 00").sw, 0x6D00);  // applet deselected by the power cycle
    c.select();
    EXPECT_EQ(c.tx("80 04 00 27 06 41 04 00 00 00 30").data, hex("410101"));
    // Write count: reads do not count, each mutation does.
    const uint64_t w = c.sim->faults().writes();
    c.tx("80 04 00 27 06 41 04 00 00 00 30");
    EXPECT_EQ(c.sim->faults().writes(), w);
    EXPECT_EQ(c.tx("80 04 00 28 06 41 04 00 00 00 30").sw, 0x9000);
    EXPECT_EQ(c.sim->faults().writes(), w + 1);
  }
}

TEST(SimNvm, RamOnlyPowerCutKeepsWhatWasPersisted) {
  Card c;
  c.select();
  ASSERT_EQ(c.tx(chunk_apdu(0x40, 0, pattern(10, 1), 10)).sw, 0x9000);
  c.sim->faults().cut_at_write(1, CutMode::BeforeWrite);
  EXPECT_TRUE(c.raw(chunk_apdu(0x40, 0, pattern(10, 2))).empty());
  ASSERT_TRUE(c.sim->power_on().ok());
  c.select();
  EXPECT_EQ(read_binary(c, 0x40), pattern(10, 1));
}

}  // namespace
}  // namespace sx::sim::test
