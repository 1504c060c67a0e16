// Every example C-APDU of docs/se05x-protocol.md §4.6, byte for byte.
#include <gtest/gtest.h>

#include "se05x/client.h"
#include "se05x/policy.h"
#include "fake_channel.h"

namespace sx::se05x {
namespace {

using testing::cat;
using testing::FakeChannel;
using testing::filled;

constexpr uint32_t kVectorKey = 0x20181001;
constexpr uint32_t kCert = 0x20181002;

class Vectors : public ::testing::Test {
 protected:
  void expect_sent(size_t i, std::string_view want) { EXPECT_EQ(ch.sent_hex(i), to_hex(hex(want))) << "APDU #" << i; }
  void expect_sent(size_t i, const Bytes& want) { EXPECT_EQ(ch.sent_hex(i), to_hex(want)) << "APDU #" << i; }
  FakeChannel ch;
  Client client{ch};
};

TEST_F(Vectors, Select) {
  ch.reply("03 01 00 3F FF 01 0B 90 00");
  auto v = client.select();
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  expect_sent(0, "00 A4 04 00 10 A0 00 00 03 96 54 53 00 00 00 01 03 00 00 00 00 00");
  EXPECT_EQ(v->major, 3);
  EXPECT_EQ(v->minor, 1);
  EXPECT_EQ(v->applet_config, 0x3FFF);
  EXPECT_EQ(v->securebox, 0x010B);
  ASSERT_TRUE(client.applet_version().has_value());
}

TEST_F(Vectors, GetVersion) {
  ch.reply("41 07 03 01 00 3F FF 01 0B 90 00");
  auto v = client.get_version();
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  expect_sent(0, "80 04 00 20 00");
  EXPECT_EQ(v->major, 3);
  EXPECT_EQ(v->minor, 1);
  EXPECT_EQ(v->patch, 0);
}

TEST_F(Vectors, GetRandom32) {
  Bytes rnd = filled(32, 0x5A);
  ch.reply(cat({hex("41 20"), rnd, hex("90 00")}));
  auto r = client.get_random(32);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  expect_sent(0, "80 04 00 49 00 00 04 41 02 00 20 00 00");
  EXPECT_EQ(*r, rnd);
}

TEST_F(Vectors, GetFreeMemoryU16AndU32) {
  ch.reply("41 02 7F FF 90 00");
  ch.reply("41 04 00 01 23 45 90 00");
  auto a = client.get_free_memory(MemoryType::Persistent);
  auto b = client.get_free_memory(MemoryType::TransientDeselect);
  ASSERT_TRUE(a.ok() && b.ok());
  expect_sent(0, "80 04 00 22 03 41 01 01");
  expect_sent(1, "80 04 00 22 03 41 01 03");
  EXPECT_EQ(*a, 0x7FFFu);
  EXPECT_EQ(*b, 0x12345u);
}

TEST_F(Vectors, CheckObjectExists) {
  ch.reply("41 01 01 90 00");
  ch.reply("41 01 02 90 00");
  auto yes = client.check_object_exists(kVectorKey);
  auto no = client.check_object_exists(kVectorKey);
  expect_sent(0, "80 04 00 27 06 41 04 20 18 10 01");
  ASSERT_TRUE(yes.ok() && no.ok());
  EXPECT_TRUE(*yes);
  EXPECT_FALSE(*no);
}

TEST_F(Vectors, ReadType) {
  ch.reply("41 01 01 42 01 01 90 00");
  auto t = client.read_type(kVectorKey);
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  expect_sent(0, "80 02 00 26 06 41 04 20 18 10 01");
  EXPECT_EQ(t->type, 0x01);
  EXPECT_FALSE(t->transient);
}

TEST_F(Vectors, ReadSize) {
  ch.reply("41 02 00 20 90 00");
  auto s = client.read_size(kVectorKey);
  ASSERT_TRUE(s.ok());
  expect_sent(0, "80 02 00 07 06 41 04 20 18 10 01");
  EXPECT_EQ(*s, 32);
}

TEST_F(Vectors, GetECCurveId) {
  ch.reply("41 01 03 90 00");
  auto c = client.get_ec_curve_id(kVectorKey);
  ASSERT_TRUE(c.ok());
  expect_sent(0, "80 02 0B 36 06 41 04 20 18 10 01");
  EXPECT_EQ(*c, Curve::NistP256);
}

TEST_F(Vectors, ReadIDList) {
  ch.reply("41 01 01 42 08 20 18 10 01 20 18 10 02 90 00");
  auto p = client.read_id_list(0);
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  expect_sent(0, "80 02 00 25 00 00 07 41 02 00 00 42 01 FF 00 00");
  EXPECT_FALSE(p->more);
  EXPECT_EQ(p->ids, (std::vector<uint32_t>{kVectorKey, kCert}));
}

TEST_F(Vectors, ReadPublicKey) {
  Bytes point = cat({hex("04"), filled(64, 0x11)});
  ch.reply(cat({hex("41 41"), point, hex("90 00")}));
  auto r = client.read_object(kVectorKey);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  expect_sent(0, "80 02 00 00 00 00 06 41 04 20 18 10 01 00 00");
  EXPECT_EQ(*r, point);
}

TEST_F(Vectors, ReadCertificateInTwoChunks) {
  Bytes cert(600);
  for (size_t i = 0; i < cert.size(); ++i) cert[i] = static_cast<uint8_t>(i * 7);
  ch.reply("41 02 02 58 90 00");  // ReadSize: 600
  ch.reply(cat({hex("41 82 01 F4"), Bytes(cert.begin(), cert.begin() + 500), hex("90 00")}));
  ch.reply(cat({hex("41 64"), Bytes(cert.begin() + 500, cert.end()), hex("90 00")}));
  auto r = client.read_binary(kCert);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  expect_sent(0, "80 02 00 07 06 41 04 20 18 10 02");
  expect_sent(1, "80 02 00 00 00 00 0A 41 04 20 18 10 02 43 02 01 F4 00 00");
  expect_sent(2, "80 02 00 00 00 00 0E 41 04 20 18 10 02 42 02 01 F4 43 02 00 64 00 00");
  EXPECT_EQ(*r, cert);
  EXPECT_EQ(ch.locks, 1);
  EXPECT_EQ(ch.unlocks, 1);
}

TEST_F(Vectors, WriteEcKeyGenerate) {
  ch.reply("90 00");
  ASSERT_TRUE(client.generate_ec_key(kVectorKey, Curve::NistP256).ok());
  expect_sent(0, "80 01 61 00 09 41 04 20 18 10 01 42 01 03");
}

TEST_F(Vectors, WriteEcKeyImportPair) {
  Bytes d = filled(32, 0xD1), pub = cat({hex("04"), filled(64, 0xAB)});
  ch.reply("90 00");
  EcKeyWrite w;
  w.id = kVectorKey;
  w.curve = Curve::NistP256;
  w.private_key = d;
  w.public_key = pub;
  auto st = client.write_ec_key(w);
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  expect_sent(0, cat({hex("80 01 61 00 6E 41 04 20 18 10 01 42 01 03 43 20"), d, hex("44 41"), pub}));
}

TEST_F(Vectors, WriteEcKeyImportPublic) {
  Bytes pub = cat({hex("04"), filled(64, 0xCD)});
  ch.reply("90 00");
  EcKeyWrite w;
  w.id = kVectorKey;
  w.curve = Curve::NistP256;
  w.part = KeyPart::Public;
  w.public_key = pub;
  ASSERT_TRUE(client.write_ec_key(w).ok());
  expect_sent(0, cat({hex("80 01 21 00 4C 41 04 20 18 10 01 42 01 03 44 41"), pub}));
}

TEST_F(Vectors, WriteEcKeyGenerateWithPolicy) {
  const PolicyEntry rule{0, policy::kAllowSign | policy::kAllowDelete, {}};
  Bytes pol = encode_policy({&rule, 1});
  ch.reply("90 00");
  ASSERT_TRUE(client.generate_ec_key(kVectorKey, Curve::NistP256, pol).ok());
  expect_sent(0, "80 01 61 00 14 11 09 08 00 00 00 00 10 04 00 00 41 04 20 18 10 01 42 01 03");
}

TEST_F(Vectors, WriteRsaKeyGenerate2048Raw) {
  ch.reply("90 00");
  ASSERT_TRUE(client.generate_rsa_key(kVectorKey, 2048, RsaFormat::Raw).ok());
  expect_sent(0, "80 01 62 4F 0A 41 04 20 18 10 01 42 02 08 00");
}

TEST_F(Vectors, RawRsaDecrypt) {
  Bytes in = filled(256, 0x42), out = filled(256, 0x24);
  ch.reply(cat({hex("41 82 01 00"), out, hex("90 00")}));
  auto r = client.rsa_decrypt(kVectorKey, RsaEncAlgo::NoPad, in);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  expect_sent(0, cat({hex("80 03 02 38 00 01 0D 41 04 20 18 10 01 42 01 0C 43 82 01 00"), in, hex("00 00")}));
  EXPECT_EQ(*r, out);
}

TEST_F(Vectors, WriteCertificate600) {
  Bytes cert(600);
  for (size_t i = 0; i < cert.size(); ++i) cert[i] = static_cast<uint8_t>(i ^ 0x5C);
  ch.reply("90 00");
  ch.reply("90 00");
  auto st = client.create_binary(kCert, cert);
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  ASSERT_EQ(ch.sent.size(), 2u);
  expect_sent(0, cat({hex("80 01 06 00 00 02 02 41 04 20 18 10 02 43 02 02 58 44 82 01 F4"),
                      Bytes(cert.begin(), cert.begin() + 500)}));
  expect_sent(1, cat({hex("80 01 06 00 70 41 04 20 18 10 02 42 02 01 F4 44 64"), Bytes(cert.begin() + 500, cert.end())}));
}

TEST_F(Vectors, DeleteSecureObject) {
  ch.reply("90 00");
  ASSERT_TRUE(client.delete_object(kVectorKey).ok());
  expect_sent(0, "80 04 00 28 06 41 04 20 18 10 01");
}

TEST_F(Vectors, EcdsaSignSha256) {
  Bytes digest = filled(32, 0x33);
  Bytes der = cat({hex("30 44 02 20"), filled(32, 0x01), hex("02 20"), filled(32, 0x02)});
  ch.reply(cat({hex("41 46"), der, hex("90 00")}));
  auto r = client.ecdsa_sign(kVectorKey, digest);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  expect_sent(0, cat({hex("80 03 0C 09 2B 41 04 20 18 10 01 42 01 21 43 20"), digest}));
  EXPECT_EQ(*r, der);
}

TEST_F(Vectors, EnsureCurveCreatesP256) {
  Bytes list = filled(17, kCurveNotSet);
  ch.reply(cat({hex("41 11"), list, hex("90 00")}));
  for (int i = 0; i < 6; ++i) ch.reply("90 00");
  auto st = client.ensure_curve(Curve::NistP256);
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  ASSERT_EQ(ch.sent.size(), 7u);
  expect_sent(0, "80 02 0B 25 00");
  expect_sent(1, "80 01 0B 04 03 41 01 03");
  expect_sent(2,
              "80 01 0B 40 28 41 01 03 42 01 01 43 20 FF FF FF FF 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 "
              "FF FF FF FF FF FF FF FF FF FF FF FC");
  // B, G, N, prime: the standard P-256 constants (FIPS 186-4), checked independently of OpenSSL.
  expect_sent(3, "80 01 0B 40 28 41 01 03 42 01 02 43 20 "
                 "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B");
  expect_sent(4, "80 01 0B 40 49 41 01 03 42 01 04 43 41 04 "
                 "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"
                 "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5");
  expect_sent(5, "80 01 0B 40 28 41 01 03 42 01 08 43 20 "
                 "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
  expect_sent(6, "80 01 0B 40 28 41 01 03 42 01 10 43 20 "
                 "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF");
  EXPECT_EQ(ch.locks, 1);
  EXPECT_EQ(ch.unlocks, 1);
}

TEST_F(Vectors, EnsureCurveAlreadySet) {
  Bytes list = filled(17, kCurveNotSet);
  list[2] = kCurveSet;
  ch.reply(cat({hex("41 11"), list, hex("90 00")}));
  ASSERT_TRUE(client.ensure_curve(Curve::NistP256).ok());
  EXPECT_EQ(ch.sent.size(), 1u);
}

TEST_F(Vectors, EnsureCurveStopsOnFirstBadSw) {
  ch.reply(cat({hex("41 11"), filled(17, kCurveNotSet), hex("90 00")}));
  ch.reply("90 00");   // create
  ch.reply("6A 80");   // param A rejected
  auto st = client.ensure_curve(Curve::NistP256);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::StatusWord);
  EXPECT_EQ(st.error().sw, 0x6A80);
  EXPECT_EQ(ch.sent.size(), 3u);
}

}  // namespace
}  // namespace sx::se05x
