// Byte layouts of the commands without a worked example there, built
// from the tables of docs/se05x-protocol.md §4.6, plus argument validation.
#include <gtest/gtest.h>

#include "fake_channel.h"
#include "se05x/client.h"

namespace sx::se05x {
namespace {

using testing::cat;
using testing::FakeChannel;
using testing::filled;

constexpr uint32_t kKey = 0x20181001;

class Commands : public ::testing::Test {
 protected:
  void expect_sent(size_t i, const Bytes& want) { EXPECT_EQ(ch.sent_hex(i), to_hex(want)) << "APDU #" << i; }
  void expect_sent(size_t i, std::string_view want) { expect_sent(i, hex(want)); }
  FakeChannel ch;
  Client client{ch};
};

TEST_F(Commands, EcdsaVerify) {
  Bytes digest = filled(48, 0x01), sig = hex("30 06 02 01 01 02 01 02");
  ch.reply("41 01 01 90 00");
  ch.reply("41 01 02 90 00");
  auto ok = client.ecdsa_verify(kKey, digest, sig);
  auto bad = client.ecdsa_verify(kKey, digest, sig);
  ASSERT_TRUE(ok.ok() && bad.ok());
  EXPECT_TRUE(*ok);
  EXPECT_FALSE(*bad);
  expect_sent(0, cat({hex("80 03 0C 0A 45 41 04 20 18 10 01 42 01 22 43 30"), digest, hex("45 08"), sig}));
}

TEST_F(Commands, EcdsaDigestLengthsPickTheAlgo) {
  const std::pair<size_t, uint8_t> cases[] = {{20, 0x11}, {28, 0x25}, {32, 0x21}, {48, 0x22}, {64, 0x26}};
  for (auto [len, algo] : cases) {
    ch.sent.clear();
    ch.reply("41 08 30 06 02 01 01 02 01 01 90 00");
    ASSERT_TRUE(client.ecdsa_sign(kKey, filled(len, 0xEE)).ok()) << len;
    ASSERT_EQ(ch.sent.size(), 1u);
    EXPECT_EQ(ch.sent[0][13], algo) << len;  // header(4) Lc 41 04 ID(4) 42 01 <algo>
  }
  auto r = client.ecdsa_sign(kKey, filled(33, 0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
}

TEST_F(Commands, RsaSignVerifyEncrypt) {
  Bytes msg = hex("61 62 63"), sig = filled(256, 0x77);
  ch.reply(cat({hex("41 82 01 00"), sig, hex("90 00")}));
  ch.reply("41 01 01 90 00");
  ch.reply(cat({hex("41 82 01 00"), sig, hex("90 00")}));
  ASSERT_TRUE(client.rsa_sign(kKey, RsaSignAlgo::PssSha256, msg).ok());
  ASSERT_TRUE(client.rsa_verify(kKey, RsaSignAlgo::Pkcs1Sha256, msg, sig).ok());
  ASSERT_TRUE(client.rsa_encrypt(kKey, RsaEncAlgo::OaepSha1, msg).ok());
  expect_sent(0, "80 03 0C 09 00 00 0E 41 04 20 18 10 01 42 01 2C 43 03 61 62 63 00 00");
  expect_sent(1, cat({hex("80 03 0C 0A 00 01 12 41 04 20 18 10 01 42 01 28 43 03 61 62 63 45 82 01 00"), sig}));
  expect_sent(2, "80 03 02 37 00 00 0E 41 04 20 18 10 01 42 01 0F 43 03 61 62 63 00 00");
}

TEST_F(Commands, Ecdh) {
  Bytes peer = cat({hex("04"), filled(64, 0x21)}), secret = filled(32, 0x99);
  ch.reply(cat({hex("41 20"), secret, hex("90 00")}));
  auto r = client.ecdh(kKey, peer);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, secret);
  expect_sent(0, cat({hex("80 03 01 0F 00 00 49 41 04 20 18 10 01 42 41"), peer, hex("00 00")}));
}

TEST_F(Commands, DigestOneShot) {
  Bytes h = filled(64, 0x12);
  ch.reply(cat({hex("41 40"), h, hex("90 00")}));
  auto r = client.digest(DigestAlgo::Sha512, hex("6C 61 62 65 6C"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, h);
  expect_sent(0, "80 03 00 0E 0A 41 01 06 42 05 6C 61 62 65 6C");
  ch.reply("41 02 00 00 90 00");  // too short for SHA-512
  EXPECT_EQ(client.digest(DigestAlgo::Sha512, hex("00")).error().code, Errc::Malformed);
}

// Expected C-APDU for a WriteRSAKey body (no Le; short Lc up to 254 bytes).
Bytes write_rsa(uint8_t p1, uint8_t p2, const Bytes& body) {
  Bytes out{0x80, 0x01, p1, p2};
  if (body.size() < 255) {
    out.push_back(static_cast<uint8_t>(body.size()));
  } else {
    out.push_back(0);
    put_u16(out, static_cast<uint16_t>(body.size()));
  }
  append(out, body);
  return out;
}

TEST_F(Commands, RsaImportCrtOneComponentPerApduWithByteShift) {
  Bytes p = filled(127, 0xA1), q = filled(128, 0xA2), dp = filled(128, 0xA3), dq = filled(128, 0xA4),
        qinv = filled(127, 0xA5), e = hex("01 00 01"), n = filled(256, 0xA6);
  RsaKeyImport k;
  k.id = kKey;
  k.bits = 2048;
  k.format = RsaFormat::Crt;
  k.p = p, k.q = q, k.dp = dp, k.dq = dq, k.qinv = qinv, k.e = e, k.n = n;
  for (int i = 0; i < 7; ++i) ch.reply("90 00");
  auto st = client.import_rsa_key(k);
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  ASSERT_EQ(ch.sent.size(), 7u);
  const Bytes id = hex("41 04 20 18 10 01");
  expect_sent(0, write_rsa(0x62, 0x00, cat({id, hex("42 02 08 00 43 81 80 00"), p})));
  expect_sent(1, write_rsa(0x02, 0x00, cat({id, hex("44 81 80"), q})));
  expect_sent(2, write_rsa(0x02, 0x00, cat({id, hex("45 81 80"), dp})));
  expect_sent(3, write_rsa(0x02, 0x00, cat({id, hex("46 81 80"), dq})));
  expect_sent(4, write_rsa(0x02, 0x00, cat({id, hex("47 81 80 00"), qinv})));
  expect_sent(5, write_rsa(0x02, 0x00, cat({id, hex("48 03 01 00 01")})));
  expect_sent(6, write_rsa(0x02, 0x00, cat({id, hex("4A 82 01 00"), n})));
  EXPECT_EQ(ch.locks, 1);
}

TEST_F(Commands, RsaImportRawPairAndPublic) {
  Bytes e = hex("01 00 01"), d = filled(128, 0xD0), n = filled(128, 0xC0), pol = hex("08 00 00 00 00 00 20 00 00");
  RsaKeyImport k;
  k.id = kKey;
  k.bits = 1024;
  k.format = RsaFormat::Raw;
  k.e = e, k.d = d, k.n = n, k.policy = pol;
  for (int i = 0; i < 5; ++i) ch.reply("90 00");
  ASSERT_TRUE(client.import_rsa_key(k).ok());
  const Bytes id = hex("41 04 20 18 10 01");
  expect_sent(0, write_rsa(0x62, 0x4F, cat({hex("11 09"), pol, id, hex("42 02 04 00 48 03 01 00 01")})));
  expect_sent(1, write_rsa(0x02, 0x4F, cat({id, hex("49 81 80"), d})));
  expect_sent(2, write_rsa(0x02, 0x4F, cat({id, hex("4A 81 80"), n})));

  RsaKeyImport pub;
  pub.id = kKey;
  pub.bits = 1024;
  pub.part = KeyPart::Public;
  pub.format = RsaFormat::Raw;
  pub.e = e, pub.n = n;
  ASSERT_TRUE(client.import_rsa_key(pub).ok());
  expect_sent(3, write_rsa(0x22, 0x4F, cat({id, hex("42 02 04 00 48 03 01 00 01")})));
  expect_sent(4, write_rsa(0x02, 0x4F, cat({id, hex("4A 81 80"), n})));
}

TEST_F(Commands, RsaImportRejectsMissingComponentsAndBadSizes) {
  RsaKeyImport k;
  k.id = kKey;
  k.bits = 2048;
  Bytes e = hex("03");
  k.e = e;
  EXPECT_EQ(client.import_rsa_key(k).error().code, Errc::InvalidArgument);
  EXPECT_EQ(client.generate_rsa_key(kKey, 2000, RsaFormat::Raw).error().code, Errc::InvalidArgument);
  EXPECT_TRUE(ch.sent.empty());
}

TEST_F(Commands, RsaGenerateCrtTransientWithPolicy) {
  ch.reply("90 00");
  Bytes pol = hex("08 00 00 00 00 10 00 00 00");
  ASSERT_TRUE(client.generate_rsa_key(kKey, 4096, RsaFormat::Crt, pol, true).ok());
  expect_sent(0, "80 81 62 00 15 11 09 08 00 00 00 00 10 00 00 00 41 04 20 18 10 01 42 02 10 00");
}

TEST_F(Commands, UpdateBinaryOmitsLengthAndPolicy) {
  ch.reply("90 00");
  ASSERT_TRUE(client.update_binary(0x20181002, hex("AA BB"), 16).ok());
  expect_sent(0, "80 01 06 00 0E 41 04 20 18 10 02 42 02 00 10 44 02 AA BB");
  ch.reply("90 00");
  ASSERT_TRUE(client.update_binary(0x20181002, hex("CC")).ok());
  expect_sent(1, "80 01 06 00 09 41 04 20 18 10 02 44 01 CC");
}

TEST_F(Commands, CreateBinaryWithPolicyAndValidation) {
  ch.reply("90 00");
  Bytes pol = hex("08 00 00 00 00 00 20 00 00");
  ASSERT_TRUE(client.create_binary(0x20181002, hex("01 02 03"), pol).ok());
  expect_sent(0, "80 01 06 00 1A 11 09 08 00 00 00 00 00 20 00 00 41 04 20 18 10 02 43 02 00 03 44 03 01 02 03");
  EXPECT_EQ(client.create_binary(1, {}).error().code, Errc::InvalidArgument);
  EXPECT_EQ(client.create_binary(1, Bytes(0x8000, 0)).error().code, Errc::InvalidArgument);
  EXPECT_EQ(ch.sent.size(), 1u);
}

TEST_F(Commands, WriteEcKeyOnExistingObject) {
  Bytes pub = cat({hex("04"), filled(64, 0x0C)});
  EcKeyWrite w;
  w.id = kKey;
  w.part = KeyPart::Public;
  w.public_key = pub;
  w.exists = true;
  ch.reply("90 00");
  ASSERT_TRUE(client.write_ec_key(w).ok());
  expect_sent(0, cat({hex("80 01 01 00 49 41 04 20 18 10 01 44 41"), pub}));
  Bytes pol = hex("08 00 00 00 00 10 00 00 00");
  w.policy = pol;
  EXPECT_EQ(client.write_ec_key(w).error().code, Errc::InvalidArgument);
}

TEST_F(Commands, WriteEcKeyValidatesMaterial) {
  EcKeyWrite w;
  w.id = kKey;
  w.curve = Curve::NistP256;
  Bytes d = filled(31, 1);
  w.part = KeyPart::Private;
  w.private_key = d;
  EXPECT_EQ(client.write_ec_key(w).error().code, Errc::InvalidArgument);  // wrong length
  Bytes bad_point = filled(65, 0x02);
  w.part = KeyPart::Public;
  w.private_key = {};
  w.public_key = bad_point;
  EXPECT_EQ(client.write_ec_key(w).error().code, Errc::InvalidArgument);  // not uncompressed
  w.curve = Curve::None;
  EXPECT_EQ(client.write_ec_key(w).error().code, Errc::InvalidArgument);  // no curve on create
  EXPECT_TRUE(ch.sent.empty());
}

TEST_F(Commands, TransientEcGenerateSetsInsFlag) {
  EcKeyWrite w;
  w.id = kKey;
  w.curve = Curve::NistP384;
  w.transient = true;
  ch.reply("90 00");
  ASSERT_TRUE(client.write_ec_key(w).ok());
  expect_sent(0, "80 81 61 00 09 41 04 20 18 10 01 42 01 04");
}

TEST_F(Commands, ReadRsaComponents) {
  ch.reply("41 03 01 00 01 90 00");
  auto e = client.read_rsa_component(kKey, RsaComponent::PublicExponent);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, hex("01 00 01"));
  expect_sent(0, "80 02 00 00 00 00 09 41 04 20 18 10 01 44 01 01 00 00");
  ch.reply("41 02 C0 01 90 00");
  ASSERT_TRUE(client.read_rsa_component(kKey, RsaComponent::Modulus).ok());
  expect_sent(1, "80 02 00 00 00 00 09 41 04 20 18 10 01 44 01 00 00 00");
}

TEST_F(Commands, ReadAllIdsPagesByEntryCount) {
  ch.reply("41 01 02 42 08 00 00 00 01 00 00 00 02 90 00");
  ch.reply("41 01 02 42 04 00 00 00 03 90 00");
  ch.reply("41 01 01 42 00 90 00");
  auto ids = client.read_all_ids();
  ASSERT_TRUE(ids.ok()) << ids.error().to_string();
  EXPECT_EQ(*ids, (std::vector<uint32_t>{1, 2, 3}));
  expect_sent(0, "80 02 00 25 00 00 07 41 02 00 00 42 01 FF 00 00");
  expect_sent(1, "80 02 00 25 00 00 07 41 02 00 02 42 01 FF 00 00");
  expect_sent(2, "80 02 00 25 00 00 07 41 02 00 03 42 01 FF 00 00");
  EXPECT_EQ(ch.locks, ch.unlocks);
}

TEST_F(Commands, ReadAllIdsStopsOnNoProgressAndAtTheLimit) {
  ch.reply("41 01 02 42 00 90 00");
  EXPECT_EQ(client.read_all_ids().error().code, Errc::Malformed);
  for (int i = 0; i < 3; ++i) ch.reply("41 01 02 42 04 00 00 00 09 90 00");
  EXPECT_EQ(client.read_all_ids(0xFF, 3).error().code, Errc::Malformed);
  EXPECT_EQ(ch.sent.size(), 4u);
}

TEST_F(Commands, ReadObjectAttributesBothLayouts) {
  // ID | type | auth indicator | attempts | auth ID | max attempts | policy | origin [| version]
  const std::string attrs = "20 18 10 01 01 01 00 00 00 00 00 00 00 00 08 00 00 00 00 10 00 00 00 02";
  ch.reply("42 18 " + attrs + " 90 00");
  auto a = client.read_object_attributes(kKey);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  expect_sent(0, "80 02 00 3B 06 41 04 20 18 10 01");
  EXPECT_EQ(a->id, kKey);
  EXPECT_EQ(a->type, 0x01);
  EXPECT_FALSE(a->auth_set);
  EXPECT_EQ(a->policy, hex("08 00 00 00 00 10 00 00 00"));
  EXPECT_EQ(a->origin, Origin::Internal);
  EXPECT_FALSE(a->version.has_value());

  ch.reply("03 01 00 3F FF 01 0B 90 00");
  ASSERT_TRUE(client.select().ok());  // applet 3.1: TAG_3 is now wrong
  ch.reply("43 1C " + attrs + " 00 00 00 07 90 00");
  EXPECT_EQ(client.read_object_attributes(kKey).error().code, Errc::Malformed);
  ch.reply("07 02 00 3F FF 01 0B 90 00");
  ASSERT_TRUE(client.select().ok());
  ch.reply("43 1C " + attrs + " 00 00 00 07 90 00");
  auto b = client.read_object_attributes(kKey);
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  EXPECT_EQ(b->version, 7u);
}

TEST_F(Commands, ReadObjectPartChecksLength) {
  ch.reply("41 02 01 02 90 00");
  EXPECT_EQ(client.read_object_part(1, 0, 3).error().code, Errc::Malformed);
  expect_sent(0, "80 02 00 00 00 00 0A 41 04 00 00 00 01 43 02 00 03 00 00");
}

TEST_F(Commands, CurveListRejectsBadIndicators) {
  ch.reply("41 02 01 07 90 00");
  EXPECT_EQ(client.read_ec_curve_list().error().code, Errc::Malformed);
  ch.reply("41 02 01 02 90 00");  // list too short for P-256
  EXPECT_EQ(client.ensure_curve(Curve::NistP256).error().code, Errc::Malformed);
  EXPECT_TRUE(client.ensure_curve(Curve::Ed25519).ok());
  EXPECT_EQ(client.ensure_curve(Curve::TpmBnP256).error().code, Errc::Unsupported);
  EXPECT_EQ(ch.sent.size(), 2u);
}

}  // namespace
}  // namespace sx::se05x
