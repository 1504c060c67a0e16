// C_DeriveKey with CKM_ECDH1_DERIVE and every X9.63 KDF (CKD_SHA1..SHA512_KDF):
// the module's key value equals X9.63 computed on the host (the tests' own
// implementation, tests/support/ossl_check.h) over the ECDH secret OpenSSL
// computes from the peer's private key and the chip key's public point.
#include <openssl/evp.h>

#include "pkcs11/p11_fixture.h"
#include "support/ossl_check.h"

namespace sx::p11test {
namespace {

class EcdhKdfTest : public P11Test {
 protected:
  void SetUp() override {
    P11Test::SetUp();
    init();
    provision();
    s = open();
    login(s);
    make_key();
    peer.reset(EVP_EC_gen("P-256"));
    ASSERT_TRUE(peer);
    Bytes pt(65);
    size_t len = 0;
    ASSERT_EQ(EVP_PKEY_get_octet_string_param(peer.get(), "pub", pt.data(), pt.size(), &len), 1);
    peer_point = pt;
    ossl::Pkey chip_pub = sx::testing::p256_public_key(sx::testing::unwrap_point(get(s, pub, CKA_EC_POINT)));
    ASSERT_TRUE(chip_pub);
    z = sx::testing::ecdh_secret(peer.get(), chip_pub.get());
    ASSERT_EQ(z.size(), 32u);
  }

  // An ECDH key pair that asks for CKA_DERIVE explicitly.
  void make_key() {
    static const Bytes p256 = hex("06082A8648CE3D030107");
    CK_BBOOL yes = CK_TRUE;
    std::string label = "kdf";
    Bytes id = {0x4B};
    std::vector<CK_ATTRIBUTE> pt = {attr_bytes(CKA_EC_PARAMS, p256), attr_of(CKA_TOKEN, yes),
                                    attr_str(CKA_LABEL, label), attr_bytes(CKA_ID, id)};
    std::vector<CK_ATTRIBUTE> vt = {attr_of(CKA_TOKEN, yes), attr_of(CKA_PRIVATE, yes), attr_of(CKA_DERIVE, yes),
                                    attr_str(CKA_LABEL, label), attr_bytes(CKA_ID, id)};
    CK_MECHANISM m{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    ASSERT_EQ(f->C_GenerateKeyPair(s, &m, pt.data(), static_cast<CK_ULONG>(pt.size()), vt.data(),
                                   static_cast<CK_ULONG>(vt.size()), &pub, &priv),
              CKR_OK);
  }

  // C_DeriveKey of an extractable session secret; its CKA_VALUE (empty on failure).
  CK_RV derive(CK_ULONG kdf, const Bytes& shared, CK_ULONG value_len, CK_KEY_TYPE kt, Bytes& value,
               CK_OBJECT_HANDLE* out_handle = nullptr) {
    CK_ECDH1_DERIVE_PARAMS prm{kdf, static_cast<CK_ULONG>(shared.size()),
                               shared.empty() ? nullptr : const_cast<uint8_t*>(shared.data()),
                               static_cast<CK_ULONG>(peer_point.size()), peer_point.data()};
    CK_MECHANISM m{CKM_ECDH1_DERIVE, &prm, sizeof prm};
    CK_OBJECT_CLASS sc = CKO_SECRET_KEY;
    CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
    std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, sc), attr_of(CKA_KEY_TYPE, kt), attr_of(CKA_TOKEN, no),
                                   attr_of(CKA_SENSITIVE, no), attr_of(CKA_EXTRACTABLE, yes)};
    if (value_len != 0) t.push_back(attr_of(CKA_VALUE_LEN, value_len));
    CK_OBJECT_HANDLE h = 0;
    const CK_RV rv = f->C_DeriveKey(s, &m, priv, t.data(), static_cast<CK_ULONG>(t.size()), &h);
    value = rv == CKR_OK ? get(s, h, CKA_VALUE) : Bytes{};
    if (out_handle) *out_handle = h;
    return rv;
  }

  CK_SESSION_HANDLE s = 0;
  CK_OBJECT_HANDLE pub = 0, priv = 0;
  ossl::Pkey peer;
  Bytes peer_point, z;
};

TEST_F(EcdhKdfTest, EveryKdfEqualsX963OverTheEcdhSecret) {
  struct K {
    CK_ULONG kdf;
    const EVP_MD* md;
  };
  const Bytes shared = {'e', 'c', 'i', 'e', 's', 0x00, 0xFF};
  for (const K& k : {K{CKD_SHA1_KDF, EVP_sha1()}, K{CKD_SHA224_KDF, EVP_sha224()}, K{CKD_SHA256_KDF, EVP_sha256()},
                     K{CKD_SHA384_KDF, EVP_sha384()}, K{CKD_SHA512_KDF, EVP_sha512()}}) {
    SCOPED_TRACE(k.kdf);
    for (CK_ULONG len : {CK_ULONG{16}, CK_ULONG{48}, CK_ULONG{80}}) {
      Bytes v;
      CK_OBJECT_HANDLE h = 0;
      ASSERT_EQ(derive(k.kdf, shared, len, CKK_GENERIC_SECRET, v, &h), CKR_OK);
      EXPECT_EQ(v, sx::testing::x963_kdf(k.md, z, shared, len)) << len;
      EXPECT_EQ(get_ulong(s, h, CKA_VALUE_LEN), len);
    }
    Bytes v;
    ASSERT_EQ(derive(k.kdf, {}, 32, CKK_AES, v), CKR_OK);
    EXPECT_EQ(v, sx::testing::x963_kdf(k.md, z, {}, 32));
  }
}

TEST_F(EcdhKdfTest, NullKdfCutsFromTheLeadingEnd) {
  Bytes v;
  ASSERT_EQ(derive(CKD_NULL, {}, 0, CKK_GENERIC_SECRET, v), CKR_OK);
  EXPECT_EQ(v, z);
  ASSERT_EQ(derive(CKD_NULL, {}, 16, CKK_AES, v), CKR_OK);
  EXPECT_EQ(v, Bytes(z.end() - 16, z.end()));  // 2.40: truncation removes leading bytes
}

TEST_F(EcdhKdfTest, LengthAndParameterErrors) {
  Bytes v;
  const Bytes shared = {1, 2, 3};
  EXPECT_EQ(derive(CKD_SHA256_KDF, {}, 0, CKK_GENERIC_SECRET, v), CKR_TEMPLATE_INCOMPLETE);
  EXPECT_EQ(derive(CKD_SHA256_KDF, {}, 0, CKK_AES, v), CKR_TEMPLATE_INCOMPLETE);
  EXPECT_EQ(derive(CKD_SHA256_KDF, {}, 20, CKK_AES, v), CKR_ATTRIBUTE_VALUE_INVALID);
  EXPECT_EQ(derive(CKD_SHA256_KDF, {}, 1025, CKK_GENERIC_SECRET, v), CKR_ATTRIBUTE_VALUE_INVALID);
  EXPECT_EQ(derive(CKD_NULL, {}, 33, CKK_GENERIC_SECRET, v), CKR_ATTRIBUTE_VALUE_INVALID);
  EXPECT_EQ(derive(CKD_NULL, shared, 16, CKK_GENERIC_SECRET, v), CKR_MECHANISM_PARAM_INVALID);
  EXPECT_EQ(derive(0x4242, {}, 16, CKK_GENERIC_SECRET, v), CKR_MECHANISM_PARAM_INVALID);
  Bytes ok;
  ASSERT_EQ(derive(CKD_SHA512_KDF, shared, 1024, CKK_GENERIC_SECRET, ok), CKR_OK);
  EXPECT_EQ(ok.size(), 1024u);
}

}  // namespace
}  // namespace sx::p11test
