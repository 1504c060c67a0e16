// RSA on the chip through the module: key generation (2048), CKM_RSA_PKCS
// signatures over a DigestInfo (aws-c-io / SunPKCS11's input), multi-part
// SHA256-RSA, and PKCS#1 v1.5 decryption with the length query.
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

}  // namespace
}  // namespace sx::p11test
