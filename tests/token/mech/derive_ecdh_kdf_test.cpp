// CKM_ECDH1_DERIVE with the X9.63 KDFs (CKD_SHA*_KDF) and the CKD_NULL cut:
// the chip's shared secret against an OpenSSL peer, the KDF against the tests'
// own X9.63 (tests/support/ossl_check.h), and the parameter / length rules.
#include <gtest/gtest.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "chip_fixture.h"
#include "crypto/kdf.h"
#include "mech_helpers.h"
#include "support/ossl_check.h"
#include "token/mech/derive_ecdh.h"

namespace sx::token::test {
namespace {

ossl::Pkey kdf_peer(const char* group) { return ossl::Pkey(EVP_EC_gen(group)); }

Bytes kdf_peer_point(EVP_PKEY* k) {
  Bytes out(200);
  size_t len = 0;
  EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, out.data(), out.size(), &len);
  out.resize(len);
  return out;
}

// One derive with these parameters; `shared` null = pSharedData NULL.
CK_RV kdf_derive(const KeyRef& key, CK_ULONG kdf, const Bytes* shared, CK_ULONG shared_len, ByteView point,
                 std::optional<CK_ULONG> value_len, Bytes& out) {
  CK_ECDH1_DERIVE_PARAMS p{kdf, shared_len, shared ? const_cast<CK_BYTE_PTR>(shared->data()) : nullptr,
                           static_cast<CK_ULONG>(point.size()), const_cast<CK_BYTE_PTR>(point.data())};
  CK_MECHANISM m = mech(CKM_ECDH1_DERIVE, p);
  return ecdh1_derive(Chip::get().client(), {}, m, key, out, value_len);
}

struct KdfCase {
  CK_ULONG kdf;
  const EVP_MD* md;
};
const KdfCase kKdfs[] = {{CKD_SHA1_KDF, EVP_sha1()},
                         {CKD_SHA224_KDF, EVP_sha224()},
                         {CKD_SHA256_KDF, EVP_sha256()},
                         {CKD_SHA384_KDF, EVP_sha384()},
                         {CKD_SHA512_KDF, EVP_sha512()}};

TEST(EcdhKdf, EveryKdfMatchesX963OverTheSharedSecret) {
  struct C {
    se05x::Curve curve;
    const char* group;
  };
  const Bytes shared = {'C', 'M', 'S', 0x00, 0x01, 0x02};
  for (const C& c : {C{se05x::Curve::NistP256, "P-256"}, C{se05x::Curve::NistP521, "P-521"}}) {
    const KeyRef& key = Chip::get().ec(c.curve);
    ossl::Pkey peer = kdf_peer(c.group);
    const Bytes z = sx::testing::ecdh_secret(peer.get(), key.public_key.get());
    ASSERT_FALSE(z.empty());
    for (const KdfCase& k : kKdfs) {
      SCOPED_TRACE(std::string(c.group) + " kdf " + std::to_string(k.kdf));
      for (CK_ULONG len : {CK_ULONG{16}, CK_ULONG{32}, CK_ULONG{100}}) {
        Bytes out;
        ASSERT_EQ(kdf_derive(key, k.kdf, &shared, static_cast<CK_ULONG>(shared.size()), kdf_peer_point(peer.get()),
                             len, out),
                  CKR_OK);
        EXPECT_EQ(out, sx::testing::x963_kdf(k.md, z, shared, len)) << len;
      }
      // No shared data (NULL, 0) and an empty one (pointer, 0) are the same.
      Bytes a, b;
      ASSERT_EQ(kdf_derive(key, k.kdf, nullptr, 0, kdf_peer_point(peer.get()), 24, a), CKR_OK);
      ASSERT_EQ(kdf_derive(key, k.kdf, &shared, 0, kdf_peer_point(peer.get()), 24, b), CKR_OK);
      EXPECT_EQ(a, sx::testing::x963_kdf(k.md, z, {}, 24));
      EXPECT_EQ(a, b);
      EXPECT_NE(a, Bytes(z.begin(), z.begin() + 24));  // the KDF ran
    }
  }
}

TEST(EcdhKdf, NullKdfCutKeepsTheTrailingBytes) {
  const KeyRef& key = Chip::get().ec(se05x::Curve::NistP256);
  ossl::Pkey peer = kdf_peer("P-256");
  const Bytes z = sx::testing::ecdh_secret(peer.get(), key.public_key.get());
  ASSERT_EQ(z.size(), 32u);
  Bytes out;
  ASSERT_EQ(kdf_derive(key, CKD_NULL, nullptr, 0, kdf_peer_point(peer.get()), 16, out), CKR_OK);
  // 2.40 curr. mech. (ECDH): "the truncation removes bytes from the leading end".
  EXPECT_EQ(out, Bytes(z.end() - 16, z.end()));
  ASSERT_EQ(kdf_derive(key, CKD_NULL, nullptr, 0, kdf_peer_point(peer.get()), 32, out), CKR_OK);
  EXPECT_EQ(out, z);
  ASSERT_EQ(kdf_derive(key, CKD_NULL, nullptr, 0, kdf_peer_point(peer.get()), std::nullopt, out), CKR_OK);
  EXPECT_EQ(out, z);
}

TEST(EcdhKdf, ParameterAndLengthRules) {
  const KeyRef& key = Chip::get().ec(se05x::Curve::NistP256);
  ossl::Pkey peer = kdf_peer("P-256");
  const Bytes point = kdf_peer_point(peer.get());
  const Bytes shared = {1, 2, 3};
  Bytes out;
  // CKD_NULL takes no shared data: neither a pointer nor a length.
  EXPECT_EQ(kdf_derive(key, CKD_NULL, &shared, 3, point, 16, out), CKR_MECHANISM_PARAM_INVALID);
  EXPECT_EQ(kdf_derive(key, CKD_NULL, &shared, 0, point, 16, out), CKR_MECHANISM_PARAM_INVALID);
  EXPECT_EQ(kdf_derive(key, CKD_NULL, nullptr, 3, point, 16, out), CKR_MECHANISM_PARAM_INVALID);
  // A length without data; an unknown KDF (also the SP 800-56A ones of 3.0).
  EXPECT_EQ(kdf_derive(key, CKD_SHA256_KDF, nullptr, 3, point, 16, out), CKR_MECHANISM_PARAM_INVALID);
  EXPECT_EQ(kdf_derive(key, 0x09, nullptr, 0, point, 16, out), CKR_MECHANISM_PARAM_INVALID);
  EXPECT_EQ(kdf_derive(key, 0x4242, nullptr, 0, point, 16, out), CKR_MECHANISM_PARAM_INVALID);
  // Shared data beyond the module's bound.
  const Bytes big(kMaxSharedData + 1, 0x5A);
  EXPECT_EQ(kdf_derive(key, CKD_SHA256_KDF, &big, static_cast<CK_ULONG>(big.size()), point, 16, out),
            CKR_MECHANISM_PARAM_INVALID);
  // Lengths: a KDF needs one; CKD_NULL cannot give more than Z; none may be 0
  // or beyond the KDF's limit.
  EXPECT_EQ(kdf_derive(key, CKD_SHA256_KDF, nullptr, 0, point, std::nullopt, out), CKR_TEMPLATE_INCOMPLETE);
  EXPECT_EQ(kdf_derive(key, CKD_NULL, nullptr, 0, point, 33, out), CKR_ATTRIBUTE_VALUE_INVALID);
  EXPECT_EQ(kdf_derive(key, CKD_NULL, nullptr, 0, point, 0, out), CKR_ATTRIBUTE_VALUE_INVALID);
  EXPECT_EQ(kdf_derive(key, CKD_SHA256_KDF, nullptr, 0, point, 0, out), CKR_ATTRIBUTE_VALUE_INVALID);
  EXPECT_EQ(kdf_derive(key, CKD_SHA256_KDF, nullptr, 0, point, CK_ULONG{crypto::kX963MaxOutput} + 1, out),
            CKR_ATTRIBUTE_VALUE_INVALID);
  Bytes longest;
  ASSERT_EQ(kdf_derive(key, CKD_SHA1_KDF, nullptr, 0, point, 1024, longest), CKR_OK);
  EXPECT_EQ(longest.size(), 1024u);
}

TEST(EcdhKdf, MechanismCheckNeedsNoKey) {
  CK_ECDH1_DERIVE_PARAMS good{CKD_SHA256_KDF, 0, nullptr, 1, nullptr};
  Bytes point(65, 4);
  good.pPublicData = point.data();
  good.ulPublicDataLen = 65;
  CK_MECHANISM m = mech(CKM_ECDH1_DERIVE, good);
  EXPECT_EQ(ecdh1_check({}, m), CKR_OK);
  CK_MECHANISM sign = mech(CKM_ECDSA);
  EXPECT_EQ(ecdh1_check({}, sign), CKR_MECHANISM_INVALID);
  ChipCapabilities fips;
  fips.ecdh = false;
  EXPECT_EQ(ecdh1_check(fips, m), CKR_MECHANISM_INVALID);
  CK_ECDH1_DERIVE_PARAMS bad = good;
  bad.kdf = 0x4242;
  CK_MECHANISM mb = mech(CKM_ECDH1_DERIVE, bad);
  EXPECT_EQ(ecdh1_check({}, mb), CKR_MECHANISM_PARAM_INVALID);
  CK_MECHANISM short_param{CKM_ECDH1_DERIVE, &good, sizeof good - 1};
  EXPECT_EQ(ecdh1_check({}, short_param), CKR_MECHANISM_PARAM_INVALID);
  // The key comes next: an RSA key is the wrong type for the mechanism.
  EXPECT_EQ(ecdh1_check_key({}, m, Chip::get().rsa()), CKR_KEY_TYPE_INCONSISTENT);
  EXPECT_EQ(ecdh1_check_key({}, m, Chip::get().ec(se05x::Curve::NistP256)), CKR_OK);
}

}  // namespace
}  // namespace sx::token::test
