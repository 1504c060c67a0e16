// CKA_ALWAYS_AUTHENTICATE (issue 15 item 4, docs/pkcs11-module.md "Context-specific
// login"): such a key is accepted at generation and import, reported, and every
// C_SignInit / C_DecryptInit with it starts an operation that needs
// C_Login(CKU_CONTEXT_SPECIFIC) before its first C_Sign* / C_Decrypt; one login
// serves one operation; a wrong PIN is CKR_PIN_INCORRECT and counted. On a
// chip-PIN token and on a host-PIN token.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <iostream>

#include "link/endpoint.h"
#include "link/jrcp_client.h"
#include "pkcs11/p11_fixture.h"
#include "support/ossl_check.h"

namespace sx::p11test {
namespace {

CK_BBOOL kAuthYes = CK_TRUE;  // named: the templates point at it
const Bytes kAuthP256 = hex("06082A8648CE3D030107");
constexpr CK_FLAGS kAuthUserCounterFlags = CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED;

class AlwaysAuthTest : public P11Test, public ::testing::WithParamInterface<bool> {  // true: host-PIN token
 protected:
  void SetUp() override {
    P11Test::SetUp();
    if (GetParam()) use_host_pins();
    init();
    provision();
    s = open();
    login(s);
  }

  // A key pair whose private half has CKA_ALWAYS_AUTHENTICATE `always`.
  std::pair<CK_OBJECT_HANDLE, CK_OBJECT_HANDLE> gen(const std::string& label, bool rsa, bool always = true) {
    CK_BBOOL aa = always ? CK_TRUE : CK_FALSE;
    CK_ULONG bits = 1024;
    std::vector<CK_ATTRIBUTE> pub = {attr_of(CKA_TOKEN, kAuthYes), attr_str(CKA_LABEL, label)};
    pub.push_back(rsa ? attr_of(CKA_MODULUS_BITS, bits) : attr_bytes(CKA_EC_PARAMS, kAuthP256));
    std::vector<CK_ATTRIBUTE> priv = {attr_of(CKA_TOKEN, kAuthYes), attr_str(CKA_LABEL, label),
                                      attr_of(CKA_ALWAYS_AUTHENTICATE, aa)};
    CK_MECHANISM m{rsa ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
    EXPECT_EQ(f->C_GenerateKeyPair(s, &m, pub.data(), static_cast<CK_ULONG>(pub.size()), priv.data(),
                                   static_cast<CK_ULONG>(priv.size()), &hpub, &hpriv),
              CKR_OK);
    return {hpub, hpriv};
  }

  CK_RV context_login(const std::string& pin) {
    return f->C_Login(s, CKU_CONTEXT_SPECIFIC, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin.data())),
                      static_cast<CK_ULONG>(pin.size()));
  }
  CK_RV sign_init(CK_OBJECT_HANDLE h, CK_MECHANISM_TYPE mech = CKM_ECDSA) {
    CK_MECHANISM m{mech, nullptr, 0};
    return f->C_SignInit(s, &m, h);
  }
  CK_RV sign(Bytes& sig) {
    Bytes data(32, 3);
    sig.assign(512, 0);
    CK_ULONG len = static_cast<CK_ULONG>(sig.size());
    CK_RV rv = f->C_Sign(s, data.data(), 32, sig.data(), &len);
    sig.resize(rv == CKR_OK ? len : 0);
    return rv;
  }
  CK_FLAGS counter_flags() { return token_info().flags & kAuthUserCounterFlags; }

  CK_SESSION_HANDLE s = 0;
};

TEST_P(AlwaysAuthTest, EachSignatureNeedsItsOwnContextLogin) {
  auto [pub, priv] = gen("always", false);
  EXPECT_EQ(get(s, priv, CKA_ALWAYS_AUTHENTICATE), Bytes{CK_TRUE});
  Bytes sig;
  // Without the context login: refused, and the operation is over.
  ASSERT_EQ(sign_init(priv), CKR_OK);
  EXPECT_EQ(sign(sig), CKR_USER_NOT_LOGGED_IN);
  EXPECT_EQ(sign(sig), CKR_OPERATION_NOT_INITIALIZED);
  // With it: signs, also after a length query (one operation, one login).
  ASSERT_EQ(sign_init(priv), CKR_OK);
  ASSERT_EQ(context_login(kUserPin), CKR_OK);
  Bytes data(32, 3);
  CK_ULONG len = 0;
  ASSERT_EQ(f->C_Sign(s, data.data(), 32, nullptr, &len), CKR_OK);
  EXPECT_EQ(len, 64u);
  ASSERT_EQ(sign(sig), CKR_OK);
  EXPECT_TRUE(sx::testing::verify_p256(get(s, pub, CKA_EC_POINT), data, sig));
  // The login was consumed by that operation.
  ASSERT_EQ(sign_init(priv), CKR_OK);
  EXPECT_EQ(sign(sig), CKR_USER_NOT_LOGGED_IN);
  // The session's login is untouched by all this.
  CK_SESSION_INFO si{};
  ASSERT_EQ(f->C_GetSessionInfo(s, &si), CKR_OK);
  EXPECT_EQ(si.state, CKS_RW_USER_FUNCTIONS);
}

// What one context login costs on the wire: on a chip-PIN token the PIN is proven
// inside the open chip session (one wrapped VerifySessionUserID); on a host-PIN
// token it is a counted check_pin (metadata reads and the two counter commits).
TEST_P(AlwaysAuthTest, ContextLoginCost) {
  auto [pub, priv] = gen("always-cost", false);
  ASSERT_EQ(sign_init(priv), CKR_OK);
  const double before = sim_apdus();
  ASSERT_EQ(context_login(kUserPin), CKR_OK);
  const double after = sim_apdus();
  ASSERT_GE(before, 0) << "simulator statistics unreadable";
  std::cout << "context login, " << (GetParam() ? "host-PIN" : "chip-PIN") << " token: " << after - before
            << " APDUs\n";
  if (GetParam())
    EXPECT_LE(after - before, 16);
  else
    EXPECT_EQ(after - before, 1);
  Bytes sig;
  EXPECT_EQ(sign(sig), CKR_OK);
}

TEST_P(AlwaysAuthTest, MultiPartSignature) {
  auto [pub, priv] = gen("always-mp", false);
  Bytes part = {'a', 'b', 'c'};
  ASSERT_EQ(sign_init(priv, CKM_ECDSA_SHA256), CKR_OK);
  EXPECT_EQ(f->C_SignUpdate(s, part.data(), 3), CKR_USER_NOT_LOGGED_IN);
  EXPECT_EQ(f->C_SignUpdate(s, part.data(), 3), CKR_OPERATION_NOT_INITIALIZED);
  CK_ULONG len = 64;
  Bytes sig(64);
  ASSERT_EQ(sign_init(priv, CKM_ECDSA_SHA256), CKR_OK);
  EXPECT_EQ(f->C_SignFinal(s, sig.data(), &len), CKR_USER_NOT_LOGGED_IN);
  ASSERT_EQ(sign_init(priv, CKM_ECDSA_SHA256), CKR_OK);
  ASSERT_EQ(context_login(kUserPin), CKR_OK);
  ASSERT_EQ(f->C_SignUpdate(s, part.data(), 3), CKR_OK);
  ASSERT_EQ(f->C_SignUpdate(s, part.data(), 3), CKR_OK);
  ASSERT_EQ(f->C_SignFinal(s, sig.data(), &len), CKR_OK);
  EXPECT_TRUE(sx::testing::verify_p256(get(s, pub, CKA_EC_POINT), sx::testing::sha256(Bytes{'a', 'b', 'c', 'a', 'b', 'c'}),
                                       Bytes(sig.begin(), sig.begin() + static_cast<std::ptrdiff_t>(len))));
}

TEST_P(AlwaysAuthTest, ContextLoginNeedsAnOperationOnSuchAKey) {
  auto [pub, priv] = gen("always-ctx", false);
  auto [pub2, plain] = gen("plain-ctx", false, false);
  EXPECT_EQ(get(s, plain, CKA_ALWAYS_AUTHENTICATE), Bytes{CK_FALSE});
  EXPECT_EQ(context_login(kUserPin), CKR_OPERATION_NOT_INITIALIZED);
  // A key without the attribute: its operation needs nothing more.
  ASSERT_EQ(sign_init(plain), CKR_OK);
  EXPECT_EQ(context_login(kUserPin), CKR_OPERATION_NOT_INITIALIZED);
  Bytes sig;
  EXPECT_EQ(sign(sig), CKR_OK);
  // Logged out meanwhile: the context login needs the user's.
  ASSERT_EQ(sign_init(priv), CKR_OK);
  ASSERT_EQ(f->C_Logout(s), CKR_OK);
  EXPECT_EQ(context_login(kUserPin), CKR_USER_NOT_LOGGED_IN);
}

TEST_P(AlwaysAuthTest, WrongPinIsIncorrectAndCounted) {
  auto [pub, priv] = gen("always-pin", false);
  ASSERT_EQ(sign_init(priv), CKR_OK);
  EXPECT_EQ(counter_flags(), 0u);
  EXPECT_EQ(context_login("9999"), CKR_PIN_INCORRECT);
  EXPECT_EQ(counter_flags(), CKF_USER_PIN_COUNT_LOW);
  EXPECT_EQ(context_login(""), CKR_PIN_INCORRECT);  // empty: refused, never counted
  EXPECT_EQ(counter_flags(), CKF_USER_PIN_COUNT_LOW);
  // The operation still waits for the right PIN, which resets the counter.
  ASSERT_EQ(context_login(kUserPin), CKR_OK);
  EXPECT_EQ(counter_flags(), 0u);
  Bytes sig;
  EXPECT_EQ(sign(sig), CKR_OK);
}

TEST_P(AlwaysAuthTest, RsaDecryptAndSign) {
  auto [pub, priv] = gen("always-rsa", true);
  EXPECT_EQ(get(s, priv, CKA_ALWAYS_AUTHENTICATE), Bytes{CK_TRUE});
  CK_MECHANISM pkcs{CKM_RSA_PKCS, nullptr, 0};
  Bytes msg = {'s', 'e', 'c', 'r', 'e', 't'};
  Bytes ct(128);
  CK_ULONG ctlen = 128;
  ASSERT_EQ(f->C_EncryptInit(s, &pkcs, pub), CKR_OK);  // the public half needs nothing
  ASSERT_EQ(f->C_Encrypt(s, msg.data(), static_cast<CK_ULONG>(msg.size()), ct.data(), &ctlen), CKR_OK);
  Bytes plain(128);
  CK_ULONG plen = 128;
  ASSERT_EQ(f->C_DecryptInit(s, &pkcs, priv), CKR_OK);
  EXPECT_EQ(f->C_Decrypt(s, ct.data(), ctlen, plain.data(), &plen), CKR_USER_NOT_LOGGED_IN);
  ASSERT_EQ(f->C_DecryptInit(s, &pkcs, priv), CKR_OK);
  ASSERT_EQ(context_login(kUserPin), CKR_OK);
  plen = 0;
  ASSERT_EQ(f->C_Decrypt(s, ct.data(), ctlen, nullptr, &plen), CKR_OK);  // length query: same operation
  ASSERT_EQ(f->C_Decrypt(s, ct.data(), ctlen, plain.data(), &plen), CKR_OK);
  EXPECT_EQ(Bytes(plain.begin(), plain.begin() + static_cast<std::ptrdiff_t>(plen)), msg);
  ASSERT_EQ(sign_init(priv, CKM_SHA256_RSA_PKCS), CKR_OK);
  Bytes sig;
  EXPECT_EQ(sign(sig), CKR_USER_NOT_LOGGED_IN);
  ASSERT_EQ(sign_init(priv, CKM_SHA256_RSA_PKCS), CKR_OK);
  ASSERT_EQ(context_login(kUserPin), CKR_OK);
  EXPECT_EQ(sign(sig), CKR_OK);
  EXPECT_EQ(sig.size(), 128u);
}

TEST_P(AlwaysAuthTest, ImportedKeyAndReload) {
  const Bytes der = sx::testing::ec_private_der(NID_X9_62_prime256v1);
  ossl::Pkey k;
  {
    const unsigned char* p = der.data();
    k.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  }
  ASSERT_TRUE(k);
  BIGNUM* bn = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(k.get(), OSSL_PKEY_PARAM_PRIV_KEY, &bn), 1);
  Bytes d(32);
  BN_bn2binpad(bn, d.data(), 32);
  BN_clear_free(bn);
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  CK_KEY_TYPE kt = CKK_EC;
  const std::string label = "always-imported";
  std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, cls),         attr_of(CKA_KEY_TYPE, kt),
                                 attr_of(CKA_TOKEN, kAuthYes),    attr_str(CKA_LABEL, label),
                                 attr_bytes(CKA_EC_PARAMS, kAuthP256), attr_bytes(CKA_VALUE, d),
                                 attr_of(CKA_ALWAYS_AUTHENTICATE, kAuthYes)};
  CK_OBJECT_HANDLE h = 0;
  ASSERT_EQ(f->C_CreateObject(s, t.data(), static_cast<CK_ULONG>(t.size()), &h), CKR_OK);
  sx::secure_wipe(d);
  // Stored in the token's record: a fresh module instance still asks for the PIN.
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
  init();
  s = open();
  login(s);
  const auto keys = find_label(s, label, CKO_PRIVATE_KEY);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(get(s, keys[0], CKA_ALWAYS_AUTHENTICATE), Bytes{CK_TRUE});
  Bytes sig;
  ASSERT_EQ(sign_init(keys[0]), CKR_OK);
  EXPECT_EQ(sign(sig), CKR_USER_NOT_LOGGED_IN);
  ASSERT_EQ(sign_init(keys[0]), CKR_OK);
  ASSERT_EQ(context_login(kUserPin), CKR_OK);
  EXPECT_EQ(sign(sig), CKR_OK);
}

// A session key pair (CKA_TOKEN FALSE: a transient chip key) follows the same rule.
TEST_P(AlwaysAuthTest, SessionKeyPairNeedsTheContextLoginToo) {
  CK_BBOOL no = CK_FALSE;
  std::string label = "always-session";
  std::vector<CK_ATTRIBUTE> pub = {attr_of(CKA_TOKEN, no), attr_bytes(CKA_EC_PARAMS, kAuthP256)};
  std::vector<CK_ATTRIBUTE> priv = {attr_of(CKA_TOKEN, no), attr_str(CKA_LABEL, label),
                                    attr_of(CKA_ALWAYS_AUTHENTICATE, kAuthYes)};
  CK_MECHANISM m{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
  ASSERT_EQ(f->C_GenerateKeyPair(s, &m, pub.data(), static_cast<CK_ULONG>(pub.size()), priv.data(),
                                 static_cast<CK_ULONG>(priv.size()), &hpub, &hpriv),
            CKR_OK);
  EXPECT_EQ(get(s, hpriv, CKA_ALWAYS_AUTHENTICATE), Bytes{CK_TRUE});
  Bytes sig;
  ASSERT_EQ(sign_init(hpriv), CKR_OK);
  EXPECT_EQ(sign(sig), CKR_USER_NOT_LOGGED_IN);
  ASSERT_EQ(sign_init(hpriv), CKR_OK);
  ASSERT_EQ(context_login(kUserPin), CKR_OK);
  ASSERT_EQ(sign(sig), CKR_OK);
  EXPECT_TRUE(sx::testing::verify_p256(get(s, hpub, CKA_EC_POINT), Bytes(32, 3), sig));
}

INSTANTIATE_TEST_SUITE_P(Tokens, AlwaysAuthTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "HostPin" : "ChipPin"; });

}  // namespace
}  // namespace sx::p11test
