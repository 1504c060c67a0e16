#include <gtest/gtest.h>

#include <set>

#include "mech_helpers.h"
#include "se05x/client.h"
#include "sim/simulator.h"
#include "support/sim_channel.h"
#include "token/mech/mechanism_table.h"

namespace sx::token::test {
namespace {

TEST(MechanismTable, EveryRequiredMechanismOnce) {
  const CK_MECHANISM_TYPE required[] = {
      CKM_EC_KEY_PAIR_GEN, CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_ECDSA, CKM_ECDSA_SHA1, CKM_ECDSA_SHA224,
      CKM_ECDSA_SHA256, CKM_ECDSA_SHA384, CKM_ECDSA_SHA512, CKM_RSA_PKCS, CKM_SHA1_RSA_PKCS,
      CKM_SHA224_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS, CKM_RSA_PKCS_PSS,
      CKM_SHA1_RSA_PKCS_PSS, CKM_SHA224_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS, CKM_SHA384_RSA_PKCS_PSS,
      CKM_SHA512_RSA_PKCS_PSS, CKM_RSA_PKCS_OAEP, CKM_RSA_X_509, CKM_ECDH1_DERIVE, CKM_SHA_1, CKM_SHA224,
      CKM_SHA256, CKM_SHA384, CKM_SHA512};
  std::set<CK_MECHANISM_TYPE> seen;
  for (const auto& r : all_mechanisms()) {
    EXPECT_TRUE(seen.insert(r.type).second) << r.name;
    EXPECT_LE(r.type, 0xFFFFFFFFul) << "SunPKCS11 ignores mechanisms above 32 bits";
  }
  for (auto t : required) EXPECT_TRUE(seen.count(t)) << std::hex << t;
  EXPECT_EQ(seen.size(), std::size(required));
}

TEST(MechanismTable, SizesAreBitsAndFlagsAsRequired) {
  CK_MECHANISM_INFO info{};
  ASSERT_EQ(mechanism_info({}, CKM_ECDSA, info), CKR_OK);
  EXPECT_EQ(info.ulMinKeySize, 256u);  // bits, not bytes (SunPKCS11 checks bits)
  EXPECT_EQ(info.ulMaxKeySize, 521u);
  EXPECT_EQ(info.flags, CKF_HW | CKF_SIGN | CKF_VERIFY | CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS);
  ASSERT_EQ(mechanism_info({}, CKM_RSA_PKCS, info), CKR_OK);
  EXPECT_EQ(info.ulMinKeySize, 2048u);
  EXPECT_EQ(info.ulMaxKeySize, 4096u);
  // SunPKCS11 needs CKF_ENCRYPT on CKM_RSA_PKCS even to decrypt.
  EXPECT_EQ(info.flags, CKF_HW | CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT);
  ASSERT_EQ(mechanism_info({}, CKM_SHA256, info), CKR_OK);
  EXPECT_EQ(info.flags, CKF_DIGEST);
  EXPECT_EQ(info.ulMinKeySize, 0u);
  ASSERT_EQ(mechanism_info({}, CKM_ECDH1_DERIVE, info), CKR_OK);
  EXPECT_TRUE(info.flags & CKF_DERIVE);
  ASSERT_EQ(mechanism_info({}, CKM_EC_KEY_PAIR_GEN, info), CKR_OK);
  EXPECT_TRUE(info.flags & CKF_GENERATE_KEY_PAIR);
  EXPECT_EQ(mechanism_info({}, CKM_MD5, info), CKR_MECHANISM_INVALID);
  ChipCapabilities caps;
  caps.rsa_1024 = true;
  ASSERT_EQ(mechanism_info(caps, CKM_RSA_PKCS_PSS, info), CKR_OK);
  EXPECT_EQ(info.ulMinKeySize, 1024u);
}

TEST(MechanismTable, MultiPartOnlyForHashingMechanisms) {
  for (const auto& r : all_mechanisms()) {
    const bool hashing = r.type == CKM_ECDSA_SHA1 || r.type == CKM_ECDSA_SHA224 || r.type == CKM_ECDSA_SHA256 ||
                         r.type == CKM_ECDSA_SHA384 || r.type == CKM_ECDSA_SHA512 ||
                         (r.type >= CKM_SHA1_RSA_PKCS && r.type <= CKM_SHA1_RSA_PKCS_PSS && r.type != CKM_RSA_PKCS_PSS &&
                          r.type != CKM_RSA_X_509 && r.type != CKM_RSA_PKCS && r.type != CKM_RSA_PKCS_OAEP &&
                          r.type != CKM_RSA_PKCS_KEY_PAIR_GEN && r.type != CKM_RSA_9796 && r.type != CKM_RSA_X9_31 &&
                          r.type != CKM_RSA_X9_31_KEY_PAIR_GEN) ||
                         (r.type >= CKM_SHA256_RSA_PKCS && r.type <= CKM_SHA224_RSA_PKCS_PSS) ||
                         (r.flags & CKF_DIGEST);
    EXPECT_EQ(r.multipart, hashing) << r.name;
  }
}

TEST(MechanismTable, VariantFiltering) {
  ChipCapabilities se050e;
  se050e.rsa = false;
  size_t ec = 0;
  for (const auto* r : supported_mechanisms(se050e)) {
    EXPECT_NE(r->key_type, static_cast<CK_KEY_TYPE>(CKK_RSA)) << r->name;
    ec += r->key_type == CKK_EC;
  }
  EXPECT_EQ(ec, 8u);  // keygen, 6 ECDSA, ECDH
  CK_MECHANISM_INFO info{};
  EXPECT_EQ(mechanism_info(se050e, CKM_RSA_PKCS, info), CKR_MECHANISM_INVALID);
  ChipCapabilities fips;
  fips.ecdh = false;
  EXPECT_EQ(mechanism_info(fips, CKM_ECDH1_DERIVE, info), CKR_MECHANISM_INVALID);
  EXPECT_EQ(supported_mechanisms({}).size(), all_mechanisms().size());
}

TEST(MechanismTable, CapabilitiesFromTheSimulatedVariants) {
  for (const char* variant : {"SE050C", "SE050E"}) {
    sim::Config cfg;
    cfg.variant = variant;
    auto s = sim::Simulator::open(cfg);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    sx::testing::SimChannel ch(**s);
    se05x::Client client(ch);
    auto v = client.select();
    ASSERT_TRUE(v.ok());
    const ChipCapabilities caps = capabilities_from_version(*v);
    EXPECT_EQ(caps.rsa, std::string(variant) == "SE050C") << variant;
    EXPECT_TRUE(caps.ec);
    CK_MECHANISM_INFO info{};
    EXPECT_EQ(mechanism_info(caps, CKM_RSA_PKCS, info) == CKR_OK, caps.rsa);
    EXPECT_EQ(mechanism_info(caps, CKM_ECDSA, info), CKR_OK);
  }
  se05x::VersionInfo unknown;  // 4-byte reply: no AppletConfig
  EXPECT_TRUE(capabilities_from_version(unknown).rsa);
  se05x::VersionInfo rsa_only;
  rsa_only.applet_config = 0x0040;
  EXPECT_FALSE(capabilities_from_version(rsa_only).ec);
  CK_MECHANISM_INFO info{};
  EXPECT_EQ(mechanism_info(capabilities_from_version(rsa_only), CKM_ECDH1_DERIVE, info), CKR_MECHANISM_INVALID);
}

TEST(MechanismTable, CheckMechanismOrderOfErrors) {
  CK_MECHANISM ecdsa = mech(CKM_ECDSA);
  EXPECT_EQ(check_mechanism({}, ecdsa, CKF_SIGN, CKK_EC, 256), CKR_OK);
  EXPECT_EQ(check_mechanism({}, ecdsa, CKF_SIGN, CKK_EC, 224), CKR_KEY_SIZE_RANGE);
  EXPECT_EQ(check_mechanism({}, ecdsa, CKF_SIGN, CKK_EC, 571), CKR_KEY_SIZE_RANGE);
  EXPECT_EQ(check_mechanism({}, ecdsa, CKF_SIGN, CKK_RSA, 2048), CKR_KEY_TYPE_INCONSISTENT);
  EXPECT_EQ(check_mechanism({}, ecdsa, CKF_DECRYPT, CKK_EC, 256), CKR_MECHANISM_INVALID);
  CK_ULONG x = 0;
  CK_MECHANISM with_param{CKM_ECDSA, &x, sizeof x};
  EXPECT_EQ(check_mechanism({}, with_param, CKF_SIGN, CKK_EC, 256), CKR_MECHANISM_PARAM_INVALID);
  CK_MECHANISM null_len0{CKM_ECDSA, &x, 0};  // non-null pointer with length 0 is "no parameter"
  EXPECT_EQ(check_mechanism({}, null_len0, CKF_SIGN, CKK_EC, 256), CKR_OK);
  CK_MECHANISM vendor = mech(CKM_VENDOR_DEFINED | 1);
  EXPECT_EQ(check_mechanism({}, vendor, CKF_SIGN, CKK_EC, 256), CKR_MECHANISM_INVALID);
}

}  // namespace
}  // namespace sx::token::test

namespace sx::token::test {
namespace {

TEST(ChipErrors, MapToCkRv) {
  Error denied{Errc::StatusWord, "x", 0x6986, false};
  EXPECT_EQ(rv_from_chip_error(denied), CKR_KEY_FUNCTION_NOT_PERMITTED);
  Error other{Errc::StatusWord, "x", 0x6A80, false};
  EXPECT_EQ(rv_from_chip_error(other), CKR_DEVICE_ERROR);
  EXPECT_EQ(rv_from_chip_error(make_error(Errc::Timeout, "t")), CKR_DEVICE_ERROR);
  EXPECT_EQ(rv_from_chip_error(make_error(Errc::LinkReset, "r")), CKR_DEVICE_ERROR);
}

}  // namespace
}  // namespace sx::token::test
