// One row carries everything about a mechanism: the facts that used to live in
// separate switches (scheme, host hash, chip operation, digest, MGF1, DigestInfo)
// must agree with each other and with the mechanism's name.
#include <gtest/gtest.h>

#include <string>

#include "token/mech/key_ref.h"
#include "token/mech/mechanism_table.h"

namespace sx::token::test {
namespace {

TEST(MechanismRow, HostHashNamedByTheMechanism) {
  for (const auto& r : all_mechanisms()) {
    const std::string name = r.name;
    SCOPED_TRACE(name);
    if (r.scheme == Scheme::Digest) {
      ASSERT_NE(r.hash, nullptr);
      EXPECT_EQ(r.prehash, r.type);
      EXPECT_EQ(crypto::md_size(md_for_hash(r.type)), crypto::digest_size(r.hash->digest));
      EXPECT_EQ(md_for_mgf(r.hash->mgf), md_for_hash(r.type));
      // DigestInfo ends with OCTET STRING <hLen>.
      ASSERT_GE(r.hash->digest_info.size(), 2u);
      EXPECT_EQ(r.hash->digest_info.back(), crypto::digest_size(r.hash->digest));
      continue;
    }
    EXPECT_EQ(r.hash, nullptr);
    EXPECT_EQ(r.multipart, r.prehash != 0);
    if (r.prehash == 0) continue;
    const MechanismRow* h = find_mechanism(r.prehash);
    ASSERT_NE(h, nullptr);
    ASSERT_EQ(h->scheme, Scheme::Digest);
    // CKM_SHA256_RSA_PKCS / CKM_ECDSA_SHA256 name CKM_SHA256; CKM_SHA_1 is "SHA1" inside names.
    std::string hash_name = std::string(h->name).substr(4);
    if (hash_name == "SHA_1") hash_name = "SHA1";
    EXPECT_NE(name.find(hash_name), std::string::npos) << h->name;
  }
}

TEST(MechanismRow, SchemeChipOperationAndFlagsAgree) {
  for (const auto& r : all_mechanisms()) {
    SCOPED_TRACE(r.name);
    if (r.flags & CKF_SIGN) {
      EXPECT_TRUE(is_signature(r.scheme));
    }
    if (is_signature(r.scheme)) {
      EXPECT_TRUE(r.flags & CKF_SIGN);
    }
    if (r.flags & (CKF_DECRYPT | CKF_ENCRYPT)) {
      EXPECT_EQ(r.chip_op, ChipOp::RsaPrivateRaw);
    }
    if (r.flags & CKF_GENERATE_KEY_PAIR) {
      EXPECT_EQ(r.chip_op, ChipOp::GenerateKeyPair);
    }
    if (r.flags & CKF_DERIVE) {
      EXPECT_EQ(r.chip_op, ChipOp::EcdhSharedSecret);
    }
    if (r.scheme == Scheme::Ecdsa) {
      EXPECT_EQ(r.chip_op, ChipOp::EcdsaSign);
    }
    if (r.key_type == CKK_RSA && r.scheme != Scheme::None) {
      EXPECT_EQ(r.chip_op, ChipOp::RsaPrivateRaw);
    }
    if (r.key_type == kNoKey) {
      EXPECT_EQ(r.chip_op, ChipOp::None);
    }
  }
  EXPECT_EQ(to_hex(digest_info_prefix(CKM_SHA_1)), "3021300906052B0E03021A05000414");
  EXPECT_TRUE(digest_info_prefix(CKM_SHA256_RSA_PKCS).empty());  // not a hash mechanism
  EXPECT_EQ(md_for_mgf(0), nullptr);
}

// Operation keys are built one way (crypto::ec_public_key), which checks the point.
TEST(KeyRef, EcPointOffTheCurveOrAtInfinityIsRefused) {
  const Bytes g = hex(
      "046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"
      "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5");  // the P-256 generator
  auto k = make_ec_key_ref(0x10, se05x::Curve::NistP256, g);
  ASSERT_TRUE(k.ok()) << k.error().to_string();
  EXPECT_EQ(k->bits, 256u);
  EXPECT_EQ(k->order_bits, 256u);
  Bytes off = g;
  off.back() ^= 0x01;
  EXPECT_FALSE(make_ec_key_ref(0x10, se05x::Curve::NistP256, off).ok());
  EXPECT_FALSE(make_ec_key_ref(0x10, se05x::Curve::NistP256, Bytes{0x00}).ok());
  EXPECT_FALSE(make_ec_key_ref(0x10, se05x::Curve::NistP384, g).ok());
  EXPECT_FALSE(make_ec_key_ref(0x10, se05x::Curve::Ed25519, g).ok());
}

}  // namespace
}  // namespace sx::token::test
