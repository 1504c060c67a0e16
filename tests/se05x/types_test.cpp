#include "se05x/types.h"

#include <gtest/gtest.h>

#include "se05x/policy.h"

namespace sx::se05x {
namespace {

TEST(Types, NormalizeApplet3Codes) {
  auto k = normalize_type(0x01);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->type, ObjectType::EcKeyPair);
  EXPECT_EQ(k->curve, Curve::None);
  EXPECT_EQ(normalize_type(0x0B)->type, ObjectType::BinaryFile);
  EXPECT_EQ(normalize_type(0x11)->type, ObjectType::Hmac);
}

TEST(Types, NormalizeApplet72PerCurveCodes) {
  struct {
    uint8_t code;
    ObjectType type;
    Curve curve;
  } cases[] = {
      {0x21, ObjectType::EcKeyPair, Curve::NistP192},   {0x26, ObjectType::EcPrivate, Curve::NistP224},
      {0x29, ObjectType::EcKeyPair, Curve::NistP256},   {0x2A, ObjectType::EcPrivate, Curve::NistP256},
      {0x2B, ObjectType::EcPublic, Curve::NistP256},    {0x2F, ObjectType::EcPublic, Curve::NistP384},
      {0x31, ObjectType::EcKeyPair, Curve::NistP521},   {0x35, ObjectType::EcKeyPair, Curve::Brainpool160},
      {0x4F, ObjectType::EcPublic, Curve::Brainpool512}, {0x51, ObjectType::EcKeyPair, Curve::Secp160k1},
      {0x5F, ObjectType::EcPublic, Curve::Secp256k1},   {0x61, ObjectType::EcKeyPair, Curve::TpmBnP256},
      {0x65, ObjectType::EcKeyPair, Curve::Ed25519},    {0x6B, ObjectType::EcPublic, Curve::X25519},
      {0x72, ObjectType::EcPrivate, Curve::X448},
  };
  for (const auto& c : cases) {
    auto k = normalize_type(c.code);
    ASSERT_TRUE(k.ok()) << int(c.code);
    EXPECT_EQ(k->type, c.type) << int(c.code);
    EXPECT_EQ(k->curve, c.curve) << int(c.code);
  }
  for (uint8_t bad : hex("00 0E 12 20 24 2C 64 68 6D 74 FF"))
    EXPECT_EQ(normalize_type(bad).error().code, Errc::Malformed) << int(bad);
}

TEST(Types, AttributesTooShortOrBad) {
  EXPECT_FALSE(parse_attributes(hex("20 18 10 01 01 01 00 00 00 00 00 00 00"), false).ok());
  // bad auth indicator
  EXPECT_FALSE(parse_attributes(hex("20 18 10 01 01 05 00 00 00 00 00 00 00 00 01"), false).ok());
  // bad origin
  EXPECT_FALSE(parse_attributes(hex("20 18 10 01 01 01 00 00 00 00 00 00 00 00 04"), false).ok());
  auto a = parse_attributes(hex("20 18 10 01 01 02 00 03 7F FF 02 01 00 05 03"), false);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->auth_set);
  EXPECT_EQ(a->auth_attempts, 3);
  EXPECT_EQ(a->auth_object_id, 0x7FFF0201u);
  EXPECT_EQ(a->max_auth_attempts, 5);
  EXPECT_TRUE(a->policy.empty());
  EXPECT_EQ(a->origin, Origin::Provisioned);
}

TEST(Types, VersionSizes) {
  EXPECT_FALSE(parse_version(hex("03 01 00")).ok());
  EXPECT_FALSE(parse_version(hex("03 01 00 00 00 00")).ok());
  auto v = parse_version(hex("07 02 00 12 34 01 0B"));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->at_least(7, 2));
  EXPECT_FALSE(v->at_least(7, 3));
  EXPECT_EQ(v->applet_config, 0x1234);
}

TEST(Policy, EncodesEntries) {
  PolicyEntry e[2] = {{0, policy::kAllowSign, {}}, {0x7FFF0201, policy::kAllowRead, hex("01 02 03 04")}};
  EXPECT_EQ(to_hex(encode_policy(e)), "080000000010000000" "0C7FFF020100200000" "01020304");
}

}  // namespace
}  // namespace sx::se05x
