#include "se05x/curves.h"

#include <gtest/gtest.h>
#include <openssl/obj_mac.h>

namespace sx::se05x {
namespace {

TEST(Curves, LookupBothWays) {
  const CurveInfo* p256 = curve_info(Curve::NistP256);
  ASSERT_NE(p256, nullptr);
  EXPECT_EQ(p256->nid, NID_X9_62_prime256v1);
  EXPECT_EQ(p256->bytes, 32);
  EXPECT_EQ(curve_by_nid(NID_secp384r1)->curve, Curve::NistP384);
  EXPECT_EQ(curve_by_name("P-521")->curve, Curve::NistP521);
  EXPECT_EQ(curve_by_name("prime256v1")->curve, Curve::NistP256);
  EXPECT_EQ(curve_by_name("brainpoolP384r1")->curve, Curve::Brainpool384);
  EXPECT_EQ(curve_by_name("nonsense"), nullptr);
  EXPECT_EQ(curve_info(Curve::None), nullptr);
  EXPECT_EQ(curve_by_nid(NID_undef), nullptr);
}

TEST(Curves, EveryWeierstrassCurveExportsConsistentParameters) {
  for (int id = 1; id <= 0x10; ++id) {
    const Curve c = static_cast<Curve>(id);
    auto d = curve_domain(c);
    ASSERT_TRUE(d.ok()) << id << ": " << d.error().to_string();
    const size_t n = curve_info(c)->bytes;
    EXPECT_EQ(d->a.size(), n) << id;
    EXPECT_EQ(d->b.size(), n) << id;
    EXPECT_EQ(d->prime.size(), n) << id;
    EXPECT_GE(d->order.size(), n) << id;
    ASSERT_EQ(d->g.size(), 1 + 2 * n) << id;
    EXPECT_EQ(d->g[0], 0x04) << id;
  }
}

TEST(Curves, KnownValues) {
  auto d = curve_domain(Curve::Secp256k1);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(to_hex(d->a), std::string(64, '0'));
  EXPECT_EQ(to_hex(d->b), std::string(63, '0') + "7");
  auto k224 = curve_domain(Curve::Secp224k1);  // its order is one byte longer than the field
  ASSERT_TRUE(k224.ok());
  EXPECT_EQ(k224->order.size(), 29u);
  EXPECT_EQ(to_hex(k224->order), "010000000000000000000000000001DCE8D2EC6184CAF0A971769FB1F7");
}

TEST(Curves, NonWeierstrassUnsupported) {
  EXPECT_EQ(curve_domain(Curve::Ed25519).error().code, Errc::Unsupported);
  EXPECT_EQ(curve_domain(Curve::TpmBnP256).error().code, Errc::Unsupported);
  EXPECT_EQ(curve_domain(Curve::None).error().code, Errc::Unsupported);
}

}  // namespace
}  // namespace sx::se05x
