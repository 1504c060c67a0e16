// RSA on the chip through the module: key generation (2048; 1024 and 1152 in
// RsaSizeTest), CKM_RSA_PKCS
// signatures over a DigestInfo (aws-c-io / SunPKCS11's input), multi-part
// SHA256-RSA, and PKCS#1 v1.5 decryption with the length query.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "support/ossl_check.h"
#include "pkcs11/p11_fixture.h"

namespace sx::p11test {

using sx::testing::sha256;

namespace {

using RsaTest = P11Test;

TEST_F(RsaTest, GenerateSignDecrypt) {
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  CK_MECHANISM gen{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
  CK_ULONG bits = 2048;
  CK_BBOOL yes = CK_TRUE;
  std::string label = "rsa-identity";
  Bytes id = {0x0A};
  Bytes e = {0x01, 0x00, 0x01};
  std::vector<CK_ATTRIBUTE> pub = {attr_of(CKA_MODULUS_BITS, bits), attr_bytes(CKA_PUBLIC_EXPONENT, e),
                                   attr_of(CKA_TOKEN, yes), attr_str(CKA_LABEL, label), attr_bytes(CKA_ID, id)};
  std::vector<CK_ATTRIBUTE> priv = {attr_of(CKA_TOKEN, yes), attr_str(CKA_LABEL, label), attr_bytes(CKA_ID, id),
                                    attr_of(CKA_DECRYPT, yes)};
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
  ASSERT_EQ(f->C_GenerateKeyPair(s, &gen, pub.data(), static_cast<CK_ULONG>(pub.size()), priv.data(),
                                 static_cast<CK_ULONG>(priv.size()), &hpub, &hpriv),
            CKR_OK);
  EXPECT_EQ(get_ulong(s, hpub, CKA_MODULUS_BITS), 2048u);
  EXPECT_EQ(get(s, hpriv, CKA_MODULUS).size(), 256u);
  EXPECT_EQ(get_ulong(s, hpriv, CKA_KEY_TYPE), CKK_RSA);

  // DigestInfo(SHA-256) || hash, as aws-c-io builds it.
  const Bytes digest = sha256(Bytes{'r', 's', 'a'});
  Bytes di = hex("3031300d060960864801650304020105000420");
  append(di, digest);
  CK_MECHANISM pkcs{CKM_RSA_PKCS, nullptr, 0};
  ASSERT_EQ(f->C_SignInit(s, &pkcs, hpriv), CKR_OK);
  CK_ULONG len = 0;
  ASSERT_EQ(f->C_Sign(s, di.data(), static_cast<CK_ULONG>(di.size()), nullptr, &len), CKR_OK);
  ASSERT_EQ(len, 256u);
  Bytes sig(len);
  ASSERT_EQ(f->C_Sign(s, di.data(), static_cast<CK_ULONG>(di.size()), sig.data(), &len), CKR_OK);
  ASSERT_EQ(f->C_VerifyInit(s, &pkcs, hpub), CKR_OK);
  EXPECT_EQ(f->C_Verify(s, di.data(), static_cast<CK_ULONG>(di.size()), sig.data(), len), CKR_OK);
  // The same signature through the hash-and-sign mechanism.
  CK_MECHANISM sha{CKM_SHA256_RSA_PKCS, nullptr, 0};
  ASSERT_EQ(f->C_VerifyInit(s, &sha, hpub), CKR_OK);
  ASSERT_EQ(f->C_VerifyUpdate(s, (CK_BYTE_PTR) "rsa", 3), CKR_OK);
  EXPECT_EQ(f->C_VerifyFinal(s, sig.data(), len), CKR_OK);

  // Encrypt on the host with the public key, decrypt on the chip.
  Bytes msg = {'s', 'e', 'c', 'r', 'e', 't'};
  ASSERT_EQ(f->C_EncryptInit(s, &pkcs, hpub), CKR_OK);
  Bytes ct(256);
  CK_ULONG ctlen = 256;
  ASSERT_EQ(f->C_Encrypt(s, msg.data(), static_cast<CK_ULONG>(msg.size()), ct.data(), &ctlen), CKR_OK);
  ASSERT_EQ(ctlen, 256u);
  ASSERT_EQ(f->C_DecryptInit(s, &pkcs, hpriv), CKR_OK);
  CK_ULONG plen = 0;
  ASSERT_EQ(f->C_Decrypt(s, ct.data(), ctlen, nullptr, &plen), CKR_OK);
  EXPECT_EQ(plen, msg.size());
  Bytes plain(2);
  CK_ULONG small = 2;
  EXPECT_EQ(f->C_Decrypt(s, ct.data(), ctlen, plain.data(), &small), CKR_BUFFER_TOO_SMALL);
  plain.resize(plen);
  ASSERT_EQ(f->C_Decrypt(s, ct.data(), ctlen, plain.data(), &plen), CKR_OK);
  EXPECT_EQ(plain, msg);
  EXPECT_EQ(f->C_Decrypt(s, ct.data(), ctlen, plain.data(), &plen), CKR_OPERATION_NOT_INITIALIZED);

  // A modulus size the chip cannot make.
  CK_ULONG odd = 1536;
  pub[0] = attr_of(CKA_MODULUS_BITS, odd);
  CK_OBJECT_HANDLE x, y;
  EXPECT_NE(f->C_GenerateKeyPair(s, &gen, pub.data(), 1, nullptr, 0, &x, &y), CKR_OK);
}

// RSA sizes (issue 15 item 7, docs/mechanisms.md "RSA key sizes"): the chip's 1024
// and 1152 besides 2048-4096; 512 refused as unsafe.
class RsaSizeTest : public P11Test {
 protected:
  void SetUp() override {
    P11Test::SetUp();
    init();
    provision();
    s = open();
    login(s);
  }
  CK_RV generate(CK_ULONG bits, const std::string& label, CK_OBJECT_HANDLE& hpub, CK_OBJECT_HANDLE& hpriv) {
    CK_MECHANISM gen{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
    CK_BBOOL yes = CK_TRUE;
    std::vector<CK_ATTRIBUTE> pub = {attr_of(CKA_MODULUS_BITS, bits), attr_of(CKA_TOKEN, yes), attr_str(CKA_LABEL, label)};
    std::vector<CK_ATTRIBUTE> priv = {attr_of(CKA_TOKEN, yes), attr_str(CKA_LABEL, label)};
    return f->C_GenerateKeyPair(s, &gen, pub.data(), static_cast<CK_ULONG>(pub.size()), priv.data(),
                                static_cast<CK_ULONG>(priv.size()), &hpub, &hpriv);
  }
  // Signs `msg` with `m` and verifies with the public half (host); the signature.
  Bytes sign_verify(CK_MECHANISM& m, CK_OBJECT_HANDLE hpub, CK_OBJECT_HANDLE hpriv, Bytes msg) {
    EXPECT_EQ(f->C_SignInit(s, &m, hpriv), CKR_OK);
    CK_ULONG len = 0;
    EXPECT_EQ(f->C_Sign(s, msg.data(), static_cast<CK_ULONG>(msg.size()), nullptr, &len), CKR_OK);
    Bytes sig(len);
    EXPECT_EQ(f->C_Sign(s, msg.data(), static_cast<CK_ULONG>(msg.size()), sig.data(), &len), CKR_OK);
    EXPECT_EQ(f->C_VerifyInit(s, &m, hpub), CKR_OK);
    EXPECT_EQ(f->C_Verify(s, msg.data(), static_cast<CK_ULONG>(msg.size()), sig.data(), len), CKR_OK);
    return sig;
  }
  CK_SESSION_HANDLE s = 0;
};

TEST_F(RsaSizeTest, Rsa1024GenerateSignVerify) {
  CK_MECHANISM_INFO mi{};
  ASSERT_EQ(f->C_GetMechanismInfo(0, CKM_RSA_PKCS_KEY_PAIR_GEN, &mi), CKR_OK);
  EXPECT_EQ(mi.ulMinKeySize, 1024u);
  EXPECT_EQ(mi.ulMaxKeySize, 4096u);
  ASSERT_EQ(f->C_GetMechanismInfo(0, CKM_SHA256_RSA_PKCS_PSS, &mi), CKR_OK);
  EXPECT_EQ(mi.ulMinKeySize, 1024u);
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
  ASSERT_EQ(generate(1024, "rsa-1024", hpub, hpriv), CKR_OK);
  EXPECT_EQ(get_ulong(s, hpub, CKA_MODULUS_BITS), 1024u);
  EXPECT_EQ(get(s, hpriv, CKA_MODULUS).size(), 128u);
  const Bytes msg = {'1', '0', '2', '4'};
  CK_MECHANISM pkcs{CKM_SHA256_RSA_PKCS, nullptr, 0};
  EXPECT_EQ(sign_verify(pkcs, hpub, hpriv, msg).size(), 128u);
  CK_RSA_PKCS_PSS_PARAMS pss256{CKM_SHA256, CKG_MGF1_SHA256, 32};
  CK_MECHANISM pss{CKM_SHA256_RSA_PKCS_PSS, &pss256, sizeof pss256};
  EXPECT_EQ(sign_verify(pss, hpub, hpriv, msg).size(), 128u);
  // SHA-512 with a 64-byte salt needs 8 * (64 + 64 + 2) = 1040 bits.
  CK_RSA_PKCS_PSS_PARAMS pss512{CKM_SHA512, CKG_MGF1_SHA512, 64};
  CK_MECHANISM big{CKM_SHA512_RSA_PKCS_PSS, &pss512, sizeof pss512};
  EXPECT_EQ(f->C_SignInit(s, &big, hpriv), CKR_KEY_SIZE_RANGE);
  EXPECT_EQ(f->C_VerifyInit(s, &big, hpub), CKR_KEY_SIZE_RANGE);
}

TEST_F(RsaSizeTest, SizesTheChipTakesAnd512Refused) {
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
  EXPECT_EQ(generate(512, "rsa-512", hpub, hpriv), CKR_KEY_SIZE_RANGE);  // the chip has it; unsafe
  EXPECT_EQ(generate(1536, "rsa-1536", hpub, hpriv), CKR_KEY_SIZE_RANGE);
  EXPECT_EQ(generate(8192, "rsa-8192", hpub, hpriv), CKR_KEY_SIZE_RANGE);
  ASSERT_EQ(generate(1152, "rsa-1152", hpub, hpriv), CKR_OK);
  EXPECT_EQ(get_ulong(s, hpub, CKA_MODULUS_BITS), 1152u);
  CK_MECHANISM pkcs{CKM_SHA256_RSA_PKCS, nullptr, 0};
  EXPECT_EQ(sign_verify(pkcs, hpub, hpriv, Bytes{'x'}).size(), 144u);
}

TEST_F(RsaSizeTest, Import1024) {
  ossl::Pkey k(EVP_RSA_gen(1024));
  ASSERT_TRUE(k);
  auto param = [&](const char* name) {
    BIGNUM* bn = nullptr;
    EXPECT_EQ(EVP_PKEY_get_bn_param(k.get(), name, &bn), 1);
    Bytes out(static_cast<size_t>(BN_num_bytes(bn)));
    BN_bn2bin(bn, out.data());
    BN_clear_free(bn);
    return out;
  };
  const Bytes n = param(OSSL_PKEY_PARAM_RSA_N), e = param(OSSL_PKEY_PARAM_RSA_E), d = param(OSSL_PKEY_PARAM_RSA_D),
              p = param(OSSL_PKEY_PARAM_RSA_FACTOR1), q = param(OSSL_PKEY_PARAM_RSA_FACTOR2),
              dp = param(OSSL_PKEY_PARAM_RSA_EXPONENT1), dq = param(OSSL_PKEY_PARAM_RSA_EXPONENT2),
              qi = param(OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  CK_KEY_TYPE kt = CKK_RSA;
  CK_BBOOL yes = CK_TRUE;
  const std::string label = "rsa-1024-imported";
  std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, cls),          attr_of(CKA_KEY_TYPE, kt),
                                 attr_of(CKA_TOKEN, yes),          attr_str(CKA_LABEL, label),
                                 attr_bytes(CKA_MODULUS, n),       attr_bytes(CKA_PUBLIC_EXPONENT, e),
                                 attr_bytes(CKA_PRIVATE_EXPONENT, d), attr_bytes(CKA_PRIME_1, p),
                                 attr_bytes(CKA_PRIME_2, q),       attr_bytes(CKA_EXPONENT_1, dp),
                                 attr_bytes(CKA_EXPONENT_2, dq),   attr_bytes(CKA_COEFFICIENT, qi)};
  CK_OBJECT_HANDLE h = 0;
  ASSERT_EQ(f->C_CreateObject(s, t.data(), static_cast<CK_ULONG>(t.size()), &h), CKR_OK);
  EXPECT_EQ(get(s, h, CKA_MODULUS), n);
  CK_MECHANISM pkcs{CKM_SHA256_RSA_PKCS, nullptr, 0};
  const Bytes msg = {'i', 'm', 'p'};
  ASSERT_EQ(f->C_SignInit(s, &pkcs, h), CKR_OK);
  Bytes sig(128);
  CK_ULONG len = 128;
  ASSERT_EQ(f->C_Sign(s, const_cast<uint8_t*>(msg.data()), 3, sig.data(), &len), CKR_OK);
  EXPECT_TRUE(sx::testing::rsa_verify_message(k.get(), EVP_sha256(), -1, msg, sig));
}

}  // namespace
}  // namespace sx::p11test
