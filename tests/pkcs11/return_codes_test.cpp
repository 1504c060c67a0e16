// One test per row of docs/pkcs11-module.md "Return-code audit" whose return
// code changed: each call combines two errors and must answer the one the
// audit puts first (the module's check order).
#include "pkcs11/p11_fixture.h"
#include "support/ossl_check.h"

namespace sx::p11test {
namespace {

class ReturnCodes : public P11Test {
 protected:
  void start() {
    init();
    provision();
    s = open();
    login(s);
    // CKA_DERIVE asked for explicitly (the key-usage rules may default it to FALSE).
    static const Bytes p256 = hex("06082A8648CE3D030107");
    std::string label = "rc";
    Bytes id = {0x52};
    std::vector<CK_ATTRIBUTE> pt = {attr_bytes(CKA_EC_PARAMS, p256), attr_of(CKA_TOKEN, yes),
                                    attr_str(CKA_LABEL, label), attr_bytes(CKA_ID, id)};
    std::vector<CK_ATTRIBUTE> vt = {attr_of(CKA_TOKEN, yes), attr_of(CKA_PRIVATE, yes), attr_of(CKA_DERIVE, yes),
                                    attr_str(CKA_LABEL, label), attr_bytes(CKA_ID, id)};
    CK_MECHANISM gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    ASSERT_EQ(f->C_GenerateKeyPair(s, &gen, pt.data(), static_cast<CK_ULONG>(pt.size()), vt.data(),
                                   static_cast<CK_ULONG>(vt.size()), &pub, &priv),
              CKR_OK);
  }
  // CKM_ECDH1_DERIVE parameters with a valid P-256 peer point (the key's own).
  void ecdh_params(CK_ULONG kdf) {
    point = sx::testing::unwrap_point(get(s, pub, CKA_EC_POINT));
    prm = CK_ECDH1_DERIVE_PARAMS{kdf, 0, nullptr, static_cast<CK_ULONG>(point.size()), point.data()};
    mech = CK_MECHANISM{CKM_ECDH1_DERIVE, &prm, sizeof prm};
  }
  CK_RV derive(CK_OBJECT_HANDLE base, std::vector<CK_ATTRIBUTE> t) {
    CK_OBJECT_HANDLE h = 0;
    return f->C_DeriveKey(s, &mech, base, t.data(), static_cast<CK_ULONG>(t.size()), &h);
  }

  CK_SESSION_HANDLE s = 0;
  CK_OBJECT_HANDLE pub = 0, priv = 0;
  Bytes point;
  CK_ECDH1_DERIVE_PARAMS prm{};
  CK_MECHANISM mech{};
  CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
  CK_KEY_TYPE generic = CKK_GENERIC_SECRET, aes = CKK_AES;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
};

// C_SeedRandom: CKR_ARGUMENTS_BAD before CKR_RANDOM_SEED_NOT_SUPPORTED (issue 15).
TEST_F(ReturnCodes, SeedRandomChecksArgumentsFirst) {
  start();
  EXPECT_EQ(f->C_SeedRandom(s, nullptr, 1), CKR_ARGUMENTS_BAD);
  Bytes seed(16, 0x11);
  EXPECT_EQ(f->C_SeedRandom(s, seed.data(), 16), CKR_RANDOM_SEED_NOT_SUPPORTED);
  EXPECT_EQ(f->C_SeedRandom(s, nullptr, 0), CKR_RANDOM_SEED_NOT_SUPPORTED);
  EXPECT_EQ(f->C_SeedRandom(s + 1000, nullptr, 1), CKR_SESSION_HANDLE_INVALID);
}

// C_Finalize: CKR_CRYPTOKI_NOT_INITIALIZED before CKR_ARGUMENTS_BAD.
TEST_F(ReturnCodes, FinalizeNotInitializedBeforeArguments) {
  int junk = 0;
  EXPECT_EQ(f->C_Finalize(&junk), CKR_CRYPTOKI_NOT_INITIALIZED);
  init();
  EXPECT_EQ(f->C_Finalize(&junk), CKR_ARGUMENTS_BAD);
}

// C_DeriveKey: the mechanism before the key (handle and type).
TEST_F(ReturnCodes, DeriveKeyMechanismBeforeKey) {
  start();
  CK_MECHANISM ecdsa{CKM_ECDSA, nullptr, 0};
  CK_OBJECT_HANDLE h = 0;
  std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, secret_class), attr_of(CKA_TOKEN, no)};
  EXPECT_EQ(f->C_DeriveKey(s, &ecdsa, 99999, t.data(), 2, &h), CKR_MECHANISM_INVALID);  // was KEY_HANDLE_INVALID
  EXPECT_EQ(f->C_DeriveKey(s, &ecdsa, pub, t.data(), 2, &h), CKR_MECHANISM_INVALID);    // was KEY_TYPE_INCONSISTENT
  // A malformed parameter is the mechanism's: before the key too.
  ecdh_params(0x4242);
  EXPECT_EQ(derive(99999, t), CKR_MECHANISM_PARAM_INVALID);  // was KEY_HANDLE_INVALID
  ecdh_params(CKD_NULL);
  EXPECT_EQ(derive(99999, t), CKR_KEY_HANDLE_INVALID);
  EXPECT_EQ(derive(pub, t), CKR_KEY_TYPE_INCONSISTENT);
}

// C_DeriveKey: the mechanism's parameter and the base key before the template.
TEST_F(ReturnCodes, DeriveKeyKeyBeforeTemplate) {
  start();
  std::vector<CK_ATTRIBUTE> token_secret = {attr_of(CKA_CLASS, secret_class), attr_of(CKA_TOKEN, yes)};
  ecdh_params(0x4242);
  EXPECT_EQ(derive(priv, token_secret), CKR_MECHANISM_PARAM_INVALID);  // was TEMPLATE_INCONSISTENT
  ecdh_params(CKD_NULL);
  EXPECT_EQ(derive(99999, token_secret), CKR_KEY_HANDLE_INVALID);     // was TEMPLATE_INCONSISTENT
  EXPECT_EQ(derive(pub, token_secret), CKR_KEY_TYPE_INCONSISTENT);    // was TEMPLATE_INCONSISTENT
  EXPECT_EQ(derive(priv, token_secret), CKR_TEMPLATE_INCONSISTENT);
}

// C_DeriveKey: CKA_VALUE_LEN the derivation cannot give is an invalid value.
TEST_F(ReturnCodes, DeriveKeyLengthIsAnAttributeValue) {
  start();
  ecdh_params(CKD_NULL);
  CK_ULONG too_long = 33, odd_aes = 20;
  EXPECT_EQ(derive(priv, {attr_of(CKA_CLASS, secret_class), attr_of(CKA_TOKEN, no), attr_of(CKA_VALUE_LEN, too_long)}),
            CKR_ATTRIBUTE_VALUE_INVALID);  // was TEMPLATE_INCONSISTENT
  EXPECT_EQ(derive(priv, {attr_of(CKA_CLASS, secret_class), attr_of(CKA_KEY_TYPE, aes), attr_of(CKA_TOKEN, no),
                          attr_of(CKA_VALUE_LEN, odd_aes)}),
            CKR_ATTRIBUTE_VALUE_INVALID);  // was TEMPLATE_INCOMPLETE
  EXPECT_EQ(derive(priv, {attr_of(CKA_CLASS, secret_class), attr_of(CKA_KEY_TYPE, aes), attr_of(CKA_TOKEN, no)}),
            CKR_TEMPLATE_INCOMPLETE);
  ecdh_params(CKD_SHA256_KDF);
  EXPECT_EQ(derive(priv, {attr_of(CKA_CLASS, secret_class), attr_of(CKA_KEY_TYPE, generic), attr_of(CKA_TOKEN, no)}),
            CKR_TEMPLATE_INCOMPLETE);  // a KDF has no natural length
}

// C_Login: a NULL PIN with a length is CKR_ARGUMENTS_BAD before the user type is judged.
TEST_F(ReturnCodes, LoginChecksArgumentsBeforeTheUserType) {
  init();
  provision();
  CK_SESSION_HANDLE h = open();
  EXPECT_EQ(f->C_Login(h, 77, nullptr, 4), CKR_ARGUMENTS_BAD);  // was USER_TYPE_INVALID
  EXPECT_EQ(f->C_Login(h, CKU_CONTEXT_SPECIFIC, nullptr, 4), CKR_ARGUMENTS_BAD);
  Bytes pin = {'1', '2', '3', '4'};
  EXPECT_EQ(f->C_Login(h, 77, pin.data(), 4), CKR_USER_TYPE_INVALID);
}

// C_SignInit / C_VerifyInit / C_DecryptInit: the mechanism before the key handle and type.
TEST_F(ReturnCodes, OperationInitJudgesTheMechanismFirst) {
  start();
  CK_MECHANISM digest_only{CKM_SHA256, nullptr, 0}, unknown{0x80001234, nullptr, 0};
  EXPECT_EQ(f->C_SignInit(s, &digest_only, pub), CKR_MECHANISM_INVALID);  // was KEY_TYPE_INCONSISTENT
  EXPECT_EQ(f->C_SignInit(s, &unknown, 0xDEAD), CKR_MECHANISM_INVALID);   // was KEY_HANDLE_INVALID
  EXPECT_EQ(f->C_VerifyInit(s, &unknown, pub), CKR_MECHANISM_INVALID);
  EXPECT_EQ(f->C_DecryptInit(s, &digest_only, priv), CKR_MECHANISM_INVALID);
  CK_MECHANISM ecdsa{CKM_ECDSA, nullptr, 0};
  EXPECT_EQ(f->C_SignInit(s, &ecdsa, 0xDEAD), CKR_KEY_HANDLE_INVALID);
  EXPECT_EQ(f->C_SignInit(s, &ecdsa, pub), CKR_KEY_TYPE_INCONSISTENT);
}

// A verification named by the private key's handle runs on its public half: that
// half's CKA_VERIFY decides.
TEST_F(ReturnCodes, VerifyThroughThePrivateHandleHonoursThePublicHalf) {
  init();
  provision();
  s = open();
  login(s);
  static const Bytes p256 = hex("06082A8648CE3D030107");
  std::string label = "rc-noverify";
  Bytes id = {0x53};
  std::vector<CK_ATTRIBUTE> pt = {attr_bytes(CKA_EC_PARAMS, p256), attr_of(CKA_TOKEN, yes), attr_of(CKA_VERIFY, no),
                                  attr_str(CKA_LABEL, label), attr_bytes(CKA_ID, id)};
  std::vector<CK_ATTRIBUTE> vt = {attr_of(CKA_TOKEN, yes), attr_str(CKA_LABEL, label), attr_bytes(CKA_ID, id)};
  CK_MECHANISM gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  ASSERT_EQ(f->C_GenerateKeyPair(s, &gen, pt.data(), static_cast<CK_ULONG>(pt.size()), vt.data(),
                                 static_cast<CK_ULONG>(vt.size()), &pub, &priv),
            CKR_OK);
  CK_MECHANISM ecdsa{CKM_ECDSA, nullptr, 0};
  EXPECT_EQ(f->C_VerifyInit(s, &ecdsa, pub), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT_EQ(f->C_VerifyInit(s, &ecdsa, priv), CKR_KEY_FUNCTION_NOT_PERMITTED);  // was CKR_OK
}

// C_GenerateKeyPair: a mechanism the chip lacks (RSA on an SE050E) is CKR_MECHANISM_INVALID
// even with a template that is wrong as well.
TEST_F(ReturnCodes, GenerateKeyPairJudgesTheChipsMechanismsBeforeTheTemplate) {
  sim.reset();
  sim = sx::testing::start_sim_in(*dir, "chip-e.nvm", {"--variant", "SE050E"});
  ASSERT_NE(sim, nullptr);
  setenv("SE05X_PORT", sim->endpoints()[0].c_str(), 1);
  init();
  provision();
  s = open();
  login(s);
  CK_ULONG bits = 512;  // a size no RSA mechanism takes
  std::vector<CK_ATTRIBUTE> pt = {attr_of(CKA_MODULUS_BITS, bits), attr_of(CKA_TOKEN, yes)};
  std::vector<CK_ATTRIBUTE> vt = {attr_of(CKA_TOKEN, yes)};
  CK_MECHANISM gen{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
  EXPECT_EQ(f->C_GenerateKeyPair(s, &gen, pt.data(), static_cast<CK_ULONG>(pt.size()), vt.data(),
                                 static_cast<CK_ULONG>(vt.size()), &pub, &priv),
            CKR_MECHANISM_INVALID);  // was KEY_SIZE_RANGE
}

}  // namespace
}  // namespace sx::p11test
