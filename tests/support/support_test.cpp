// The support library itself: TempDir, the channel double, the RSA test key, the OpenSSL checks.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include <filesystem>
#include <fstream>

#include "support/ossl_check.h"
#include "support/recording_channel.h"
#include "support/temp_dir.h"
#include "support/test_rsa_key.h"

namespace sx::testing {
namespace {

TEST(TempDir, MadeAndRemovedWithItsFiles) {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    ASSERT_TRUE(std::filesystem::is_directory(path));
    EXPECT_EQ(dir.write("f", "x\ny"), path + "/f");
    EXPECT_EQ(dir.read("f"), "x\ny");
    EXPECT_EQ(dir.read("absent"), "");
    TempDir other;
    EXPECT_NE(other.path(), path);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(RecordingChannel, ScriptedRepliesInOrderThenFails) {
  RecordingChannel ch;
  ch.reply("9000");
  ch.reply_error(make_error(Errc::Io, "scripted"));
  const Bytes c1{0x80, 0x01}, c2{0x80, 0x02}, c3{0x80, 0x03};
  auto r1 = ch.transceive(c1);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(to_hex(*r1), "9000");
  auto r2 = ch.transceive(c2);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, Errc::Io);
  auto r3 = ch.transceive(c3);
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().code, Errc::Closed);
  EXPECT_EQ(ch.apdus, 3);
  EXPECT_EQ(ch.sent_hex(1), "8002");
  EXPECT_EQ(ch.sent_hex(3), "<none>");
  EXPECT_EQ(ch.describe(), "fake");
}

TEST(RecordingChannel, WrapsAndCountsLockNesting) {
  RecordingChannel inner;
  inner.reply("6A80");
  RecordingChannel outer(static_cast<link::ApduChannel&>(inner));
  ASSERT_TRUE(outer.lock().ok());
  ASSERT_TRUE(outer.lock().ok());
  auto r = outer.transceive(Bytes{0x00, 0xA4});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(to_hex(*r), "6A80");
  ASSERT_TRUE(outer.unlock().ok());
  ASSERT_TRUE(outer.unlock().ok());
  EXPECT_EQ(outer.apdus, 1);
  EXPECT_EQ(inner.apdus, 1);
  EXPECT_EQ(outer.max_depth, 2);
  EXPECT_EQ(outer.depth, 0);
  EXPECT_EQ(inner.locks, 2);
  EXPECT_EQ(inner.unlocks, 2);
  EXPECT_EQ(outer.describe(), "counting(fake)");
}

TEST(TestRsaKey, PemPkcs8AndPartsAreOneRsa2048Key) {
  const Bytes der = test_rsa_key_pkcs8();
  ASSERT_FALSE(der.empty()) << test_rsa_key_path();
  const unsigned char* p = der.data();
  ossl::Pkey key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_TRUE(key);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 2048);

  const RsaKeyParts k = test_rsa_key_parts();
  EXPECT_EQ(k.n.size(), 256u);
  EXPECT_EQ(to_hex(k.e), "010001");
  for (const Bytes* half : {&k.p, &k.q, &k.dp, &k.dq, &k.qinv}) EXPECT_EQ(half->size(), 128u);
  // The parts belong to the key: a PKCS#1 v1.5 signature with it verifies under (n, e) alone.
  const Bytes msg{'k', 'e', 'y'};
  ossl::MdCtx mctx(EVP_MD_CTX_new());
  ASSERT_EQ(EVP_DigestSignInit(mctx.get(), nullptr, EVP_sha256(), nullptr, key.get()), 1);
  size_t len = 256;
  Bytes sig(len);
  ASSERT_EQ(EVP_DigestSign(mctx.get(), sig.data(), &len, msg.data(), msg.size()), 1);
  Bytes spki = hex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100");
  append(spki, k.n);
  append(spki, hex("0203"));
  append(spki, k.e);
  const unsigned char* q = spki.data();
  ossl::Pkey pub(d2i_PUBKEY(nullptr, &q, static_cast<long>(spki.size())));
  ASSERT_TRUE(pub);
  EXPECT_TRUE(rsa_verify_message(pub.get(), EVP_sha256(), -1, msg, sig));
}

TEST(OsslCheck, EcPublicKeyOnlyForAPointOnTheCurve) {
  // The generator of P-256 (SEC 2) is on the curve; change one byte of Y and it is not.
  Bytes g = hex("04"
                "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"
                "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5");
  EXPECT_TRUE(p256_public_key(g));
  g.back() ^= 1;
  EXPECT_FALSE(p256_public_key(g));
  EXPECT_FALSE(ec_public_key("secp384r1", g));
}

TEST(OsslCheck, EcdsaRsAndDerVerifyTheSameSignature) {
  const Bytes der = ec_private_der(NID_X9_62_prime256v1);
  const unsigned char* p = der.data();
  ossl::Pkey key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_TRUE(key);
  const Bytes d = sha256(Bytes{'m'});
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  ASSERT_EQ(EVP_PKEY_sign_init(ctx.get()), 1);
  size_t len = 80;
  Bytes sig(len);
  ASSERT_EQ(EVP_PKEY_sign(ctx.get(), sig.data(), &len, d.data(), d.size()), 1);
  sig.resize(len);
  EXPECT_TRUE(verify_der(key.get(), d, sig));
  const unsigned char* q = sig.data();
  ECDSA_SIG* s = d2i_ECDSA_SIG(nullptr, &q, static_cast<long>(sig.size()));
  ASSERT_NE(s, nullptr);
  Bytes rs(64);
  BN_bn2binpad(ECDSA_SIG_get0_r(s), rs.data(), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(s), rs.data() + 32, 32);
  ECDSA_SIG_free(s);
  EXPECT_TRUE(verify_p256_rs(key.get(), d, rs));
  rs[5] ^= 1;
  EXPECT_FALSE(verify_ecdsa_rs(key.get(), d, rs));
  EXPECT_FALSE(verify_p256_rs(key.get(), d, ByteView(rs).first(62)));
}

}  // namespace
}  // namespace sx::testing
