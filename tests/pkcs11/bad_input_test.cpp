// Bad input gets the right CK_RV and changes nothing: invalid handles, NULL
// pointers, inconsistent templates, short buffers, malformed certificates,
// missing login, read-only sessions.
#include "support/ossl_check.h"
#include "pkcs11/p11_fixture.h"

namespace sx::p11test {

using sx::testing::cert_for_point;

namespace {

class BadInput : public P11Test {
 protected:
  void SetUp() override {
    P11Test::SetUp();
    init();
    provision();
    s = open();
    login(s);
    std::tie(pub, priv) = generate_ec(s, "key", {1});
  }
  size_t object_count() { return find(s, {}).size(); }
  CK_SESSION_HANDLE s = 0;
  CK_OBJECT_HANDLE pub = 0, priv = 0;
};

TEST_F(BadInput, InvalidHandles) {
  CK_ATTRIBUTE a = attr(CKA_LABEL, nullptr, 0);
  EXPECT_EQ(f->C_GetAttributeValue(s, 9999, &a, 1), CKR_OBJECT_HANDLE_INVALID);
  EXPECT_EQ(f->C_GetAttributeValue(9999, priv, &a, 1), CKR_SESSION_HANDLE_INVALID);
  EXPECT_EQ(f->C_DestroyObject(s, 9999), CKR_OBJECT_HANDLE_INVALID);
  CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
  EXPECT_EQ(f->C_SignInit(s, &m, 9999), CKR_KEY_HANDLE_INVALID);
  EXPECT_EQ(f->C_SignInit(s, &m, pub), CKR_KEY_TYPE_INCONSISTENT);
  CK_MECHANISM rsa{CKM_RSA_PKCS, nullptr, 0};
  EXPECT_EQ(f->C_SignInit(s, &rsa, priv), CKR_KEY_TYPE_INCONSISTENT);
  EXPECT_EQ(f->C_CloseSession(9999), CKR_SESSION_HANDLE_INVALID);
  CK_ULONG n = 0;
  Bytes sig(64);
  EXPECT_EQ(f->C_Sign(s, sig.data(), 32, sig.data(), &n), CKR_OPERATION_NOT_INITIALIZED);
  CK_OBJECT_HANDLE h;
  EXPECT_EQ(f->C_FindObjects(s, &h, 1, &n), CKR_OPERATION_NOT_INITIALIZED);
  EXPECT_EQ(f->C_FindObjectsFinal(s), CKR_OPERATION_NOT_INITIALIZED);
  EXPECT_EQ(object_count(), 8u);  // 2 factory pairs (4 views) + 2 certs + our pair
}

TEST_F(BadInput, NullPointers) {
  EXPECT_EQ(f->C_GetSlotList(CK_FALSE, nullptr, nullptr), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(f->C_GetSlotInfo(0, nullptr), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(f->C_GetTokenInfo(0, nullptr), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(f->C_GetSessionInfo(s, nullptr), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(f->C_GetAttributeValue(s, priv, nullptr, 1), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(f->C_FindObjectsInit(s, nullptr, 2), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(f->C_CreateObject(s, nullptr, 1, nullptr), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(f->C_SignInit(s, nullptr, priv), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(f->C_GenerateRandom(s, nullptr, 4), CKR_ARGUMENTS_BAD);
  CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
  ASSERT_EQ(f->C_SignInit(s, &m, priv), CKR_OK);
  EXPECT_EQ(f->C_Sign(s, nullptr, 32, nullptr, nullptr), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(f->C_SignUpdate(s, nullptr, 0), CKR_OPERATION_NOT_INITIALIZED);  // the error ended it
  CK_ULONG n = 0;
  EXPECT_EQ(f->C_GetMechanismList(0, nullptr, nullptr), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(f->C_GetMechanismInfo(0, CKM_ECDSA, nullptr), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(f->C_FindObjectsInit(s, nullptr, 0), CKR_OK);
  EXPECT_EQ(f->C_FindObjects(s, nullptr, 1, &n), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(f->C_FindObjectsFinal(s), CKR_OK);
  EXPECT_EQ(object_count(), 8u);
}

TEST_F(BadInput, SingleShotSignAfterUpdateIsRefused) {
  CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
  ASSERT_EQ(f->C_SignInit(s, &m, priv), CKR_OK);
  EXPECT_EQ(f->C_SignUpdate(s, (CK_BYTE_PTR) "x", 1), CKR_FUNCTION_NOT_SUPPORTED);  // CKM_ECDSA is single-part
  EXPECT_EQ(f->C_SignInit(s, &m, priv), CKR_OK);  // the error ended the operation
  CK_ULONG n = 64;
  Bytes sig(64);
  EXPECT_EQ(f->C_Sign(s, sig.data(), 0, sig.data(), &n), CKR_DATA_LEN_RANGE);
  EXPECT_EQ(f->C_Sign(s, sig.data(), 32, sig.data(), &n), CKR_OPERATION_NOT_INITIALIZED);
}

TEST_F(BadInput, InconsistentTemplates) {
  const size_t before = object_count();
  CK_OBJECT_CLASS cc = CKO_CERTIFICATE, dc = CKO_DATA;
  CK_CERTIFICATE_TYPE ct = CKC_X_509;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_OBJECT_HANDLE h = 0;
  // Malformed certificate.
  Bytes junk = {0x30, 0x03, 0x02, 0x01, 0x01};
  std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, cc), attr_of(CKA_CERTIFICATE_TYPE, ct), attr_of(CKA_TOKEN, yes),
                                 attr_bytes(CKA_VALUE, junk)};
  EXPECT_EQ(f->C_CreateObject(s, t.data(), 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
  // Class twice with different values.
  t = {attr_of(CKA_CLASS, cc), attr_of(CKA_CLASS, dc), attr_of(CKA_TOKEN, yes)};
  EXPECT_EQ(f->C_CreateObject(s, t.data(), 3, &h), CKR_TEMPLATE_INCONSISTENT);
  // Certificate without a value.
  t = {attr_of(CKA_CLASS, cc), attr_of(CKA_CERTIFICATE_TYPE, ct), attr_of(CKA_TOKEN, yes)};
  EXPECT_EQ(f->C_CreateObject(s, t.data(), 3, &h), CKR_TEMPLATE_INCOMPLETE);
  // A bool of the wrong size.
  CK_ULONG wide = 1;
  t = {attr_of(CKA_CLASS, dc), attr_of(CKA_TOKEN, wide)};
  EXPECT_EQ(f->C_CreateObject(s, t.data(), 2, &h), CKR_ATTRIBUTE_VALUE_INVALID);
  // A session certificate is a session object (session_objects_test.cpp); gone again here.
  const Bytes der = cert_for_point(get(s, pub, CKA_EC_POINT), "x");
  t = {attr_of(CKA_CLASS, cc), attr_of(CKA_CERTIFICATE_TYPE, ct), attr_of(CKA_TOKEN, no), attr_bytes(CKA_VALUE, der)};
  EXPECT_EQ(f->C_CreateObject(s, t.data(), 4, &h), CKR_OK);
  EXPECT_EQ(f->C_DestroyObject(s, h), CKR_OK);
  // Key pair: unknown curve, missing curve, session key.
  CK_MECHANISM gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE a = 0, b = 0;
  Bytes bad_curve = hex("06052B81040021");  // P-224: not on this token
  std::vector<CK_ATTRIBUTE> pubt = {attr_bytes(CKA_EC_PARAMS, bad_curve)};
  EXPECT_NE(f->C_GenerateKeyPair(s, &gen, pubt.data(), 1, nullptr, 0, &a, &b), CKR_OK);
  EXPECT_EQ(f->C_GenerateKeyPair(s, &gen, nullptr, 0, nullptr, 0, &a, &b), CKR_TEMPLATE_INCOMPLETE);
  Bytes p256 = hex("06082A8648CE3D030107");
  // A session private key (CKA_TOKEN absent: FALSE) with a token public key.
  pubt = {attr_bytes(CKA_EC_PARAMS, p256), attr_of(CKA_TOKEN, yes)};
  EXPECT_EQ(f->C_GenerateKeyPair(s, &gen, pubt.data(), 2, nullptr, 0, &a, &b), CKR_TEMPLATE_INCONSISTENT);
  CK_MECHANISM md5{CKM_MD5, nullptr, 0};
  EXPECT_EQ(f->C_GenerateKeyPair(s, &md5, pubt.data(), 1, nullptr, 0, &a, &b), CKR_MECHANISM_INVALID);
  // Label already used by another private key.
  std::string label = "key";
  std::vector<CK_ATTRIBUTE> privt = {attr_str(CKA_LABEL, label), attr_of(CKA_TOKEN, yes)};
  EXPECT_NE(f->C_GenerateKeyPair(s, &gen, pubt.data(), 2, privt.data(), 2, &a, &b), CKR_OK);
  // Read-only attribute.
  CK_KEY_TYPE kt = CKK_RSA;
  CK_ATTRIBUTE set = attr_of(CKA_KEY_TYPE, kt);
  EXPECT_EQ(f->C_SetAttributeValue(s, priv, &set, 1), CKR_ATTRIBUTE_READ_ONLY);
  set = attr_of(CKA_SENSITIVE, no);
  EXPECT_EQ(f->C_SetAttributeValue(s, priv, &set, 1), CKR_ATTRIBUTE_READ_ONLY);
  EXPECT_EQ(object_count(), before);
  EXPECT_EQ(get(s, priv, CKA_LABEL), Bytes({'k', 'e', 'y'}));
}

TEST_F(BadInput, ShortBuffersAndUnknownAttributes) {
  CK_BYTE small[2] = {0, 0};
  CK_BYTE big[64] = {};
  CK_ATTRIBUTE t[] = {attr(CKA_EC_PARAMS, small, sizeof small), attr(CKA_ID, big, sizeof big),
                      attr(CKA_MODULUS, big, sizeof big)};
  EXPECT_EQ(f->C_GetAttributeValue(s, priv, t, 3), CKR_ATTRIBUTE_TYPE_INVALID);
  EXPECT_EQ(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);  // too small
  EXPECT_EQ(t[1].ulValueLen, 1u);                          // still filled
  EXPECT_EQ(big[0], 1);
  EXPECT_EQ(t[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);  // EC key has no modulus
  CK_ATTRIBUTE one = attr(CKA_EC_PARAMS, small, sizeof small);
  EXPECT_EQ(f->C_GetAttributeValue(s, priv, &one, 1), CKR_BUFFER_TOO_SMALL);
  // A find with an attribute the object lacks matches nothing (no error).
  CK_KEY_TYPE ec = CKK_EC;
  CK_ULONG bits = 2048;
  EXPECT_TRUE(find(s, {attr_of(CKA_KEY_TYPE, ec), attr_of(CKA_MODULUS_BITS, bits)}).empty());
  EXPECT_FALSE(find(s, {attr_of(CKA_MODULUS_BITS, bits)}).empty());  // the factory RSA key has it
}

TEST_F(BadInput, LoginAndSessionRules) {
  const size_t before = object_count();
  ASSERT_EQ(f->C_Logout(s), CKR_OK);
  CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
  EXPECT_EQ(f->C_SignInit(s, &m, priv), CKR_USER_NOT_LOGGED_IN);
  CK_ATTRIBUTE a = attr(CKA_LABEL, nullptr, 0);
  EXPECT_EQ(f->C_GetAttributeValue(s, priv, &a, 1), CKR_OBJECT_HANDLE_INVALID);  // private: invisible
  EXPECT_EQ(f->C_GetAttributeValue(s, pub, &a, 1), CKR_OK);                      // public view stays visible
  EXPECT_EQ(f->C_DestroyObject(s, pub), CKR_USER_NOT_LOGGED_IN);
  CK_SESSION_HANDLE ro = open(false);
  login(ro);
  EXPECT_EQ(f->C_DestroyObject(ro, priv), CKR_SESSION_READ_ONLY);
  std::string l = "renamed";
  CK_ATTRIBUTE set = attr_str(CKA_LABEL, l);
  EXPECT_EQ(f->C_SetAttributeValue(ro, priv, &set, 1), CKR_SESSION_READ_ONLY);
  CK_MECHANISM gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  Bytes p256 = hex("06082A8648CE3D030107");
  CK_ATTRIBUTE pubt = attr_bytes(CKA_EC_PARAMS, p256);
  CK_BBOOL yes = CK_TRUE;
  CK_ATTRIBUTE privt = attr_of(CKA_TOKEN, yes);  // a token key: R/W only (session keys: any session)
  CK_OBJECT_HANDLE x, y;
  EXPECT_EQ(f->C_GenerateKeyPair(ro, &gen, &pubt, 1, &privt, 1, &x, &y), CKR_SESSION_READ_ONLY);
  EXPECT_EQ(object_count(), before);
  // Wrong PIN: no state change.
  ASSERT_EQ(f->C_Logout(ro), CKR_OK);
  EXPECT_EQ(f->C_Login(ro, CKU_USER, (CK_UTF8CHAR_PTR) "0000", 4), CKR_PIN_INCORRECT);
  CK_SESSION_INFO si;
  ASSERT_EQ(f->C_GetSessionInfo(ro, &si), CKR_OK);
  EXPECT_EQ(si.state, CKS_RO_PUBLIC_SESSION);
}

}  // namespace
}  // namespace sx::p11test
