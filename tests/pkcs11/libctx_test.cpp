// Issue 15, item 1: the module must never use OpenSSL's default library
// context, which belongs to the host application (a host that prefers
// pkcs11-provider deadlocks when our d2i_X509 calls back into it). Here the
// default context holds only a "tripwire" provider that counts every
// algorithm lookup and offers nothing: any fetch, decoder or key operation of
// the module on the default context would show up in the count (and fail).
#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/provider.h>

#include <atomic>

#include "pkcs11/p11_fixture.h"

namespace sx::p11test {
namespace {

std::atomic<int> g_default_context_lookups{0};
OSSL_PROVIDER* g_tripwire = nullptr;  // kept for the process (no leak report)
std::atomic<int> g_last_operation{0};

const OSSL_ALGORITHM* tripwire_query(void*, int operation_id, int* no_cache) {
  *no_cache = 1;
  g_last_operation = operation_id;
  ++g_default_context_lookups;
  return nullptr;
}

const OSSL_DISPATCH kTripwireDispatch[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, reinterpret_cast<void (*)(void)>(&tripwire_query)},
    {0, nullptr},
};

int tripwire_init(const OSSL_CORE_HANDLE*, const OSSL_DISPATCH*, const OSSL_DISPATCH** out, void** provctx) {
  *out = kTripwireDispatch;
  *provctx = nullptr;
  return 1;
}

// Before any test touches OpenSSL: no configuration file, and an explicitly
// loaded provider, which also stops OpenSSL from activating its default
// provider as a fallback.
class TripwireEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_EQ(OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr), 1);
    ASSERT_EQ(OSSL_PROVIDER_add_builtin(nullptr, "sx-tripwire", &tripwire_init), 1);
    g_tripwire = OSSL_PROVIDER_load(nullptr, "sx-tripwire");
    ASSERT_NE(g_tripwire, nullptr);
    ASSERT_FALSE(OSSL_PROVIDER_available(nullptr, "default"));
  }
};
[[maybe_unused]] const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new TripwireEnvironment);

using LibctxTest = P11Test;

TEST_F(LibctxTest, NoOpenSslCallLandsOnTheDefaultContext) {
  init();
  provision();  // C_InitToken / C_InitPIN: the chip's UserID values (SHA-256)
  CK_SLOT_INFO si{};
  ASSERT_EQ(f->C_GetSlotInfo(0, &si), CKR_OK);  // the chip scan parses the factory certificates
  CK_SESSION_HANDLE s = open();
  login(s);
  EXPECT_FALSE(find_label(s, "sss:F0000101", CKO_CERTIFICATE).empty());
  auto [pub, priv] = generate_ec(s, "ctx", {1});
  ASSERT_NE(priv, CK_INVALID_HANDLE);
  const Bytes data = {'h', 'e', 'l', 'l', 'o'};
  const Bytes sig = sign(s, priv, CKM_ECDSA_SHA256, data);  // host hash, key from its point, check
  ASSERT_EQ(sig.size(), 64u);
  CK_MECHANISM mech{CKM_ECDSA_SHA256, nullptr, 0};
  ASSERT_EQ(f->C_VerifyInit(s, &mech, pub), CKR_OK);
  EXPECT_EQ(f->C_Verify(s, const_cast<CK_BYTE*>(data.data()), static_cast<CK_ULONG>(data.size()),
                        const_cast<CK_BYTE*>(sig.data()), static_cast<CK_ULONG>(sig.size())),
            CKR_OK);
  CK_MECHANISM sha{CKM_SHA256, nullptr, 0};
  CK_BYTE digest[32];
  CK_ULONG dlen = sizeof digest;
  ASSERT_EQ(f->C_DigestInit(s, &sha), CKR_OK);
  ASSERT_EQ(f->C_Digest(s, const_cast<CK_BYTE*>(data.data()), static_cast<CK_ULONG>(data.size()), digest, &dlen),
            CKR_OK);
  EXPECT_EQ(g_default_context_lookups.load(), 0) << "last operation id " << g_last_operation.load();
}

// The legacy host-PIN mode: PIN verifiers (PBKDF2, random salt) at init and login.
TEST_F(LibctxTest, HostPinVerifiersStayOffTheDefaultContext) {
  use_config(dir->file("p11.conf"), "lock_file = " + dir->file("p11.lock") +
                                        "\npin_iterations = 1000\nlog_level = warn\npin_storage = host\n");
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  ASSERT_EQ(f->C_Logout(s), CKR_OK);
  EXPECT_EQ(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "9999", 4), CKR_PIN_INCORRECT);
  EXPECT_EQ(g_default_context_lookups.load(), 0) << "last operation id " << g_last_operation.load();
}

// RSA: PSS signatures (host encoding, MGF1, salt from the DRBG, fault check) and
// OAEP (host encryption, chip decryption, host decoding).
TEST_F(LibctxTest, RsaPssAndOaepStayOffTheDefaultContext) {
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  CK_MECHANISM gen{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
  CK_ULONG bits = 2048;
  CK_BBOOL yes = CK_TRUE;
  const Bytes e = {0x01, 0x00, 0x01};
  const std::string label = "rsa";  // attr_str keeps a pointer into it
  std::vector<CK_ATTRIBUTE> pub = {attr_of(CKA_MODULUS_BITS, bits), attr_bytes(CKA_PUBLIC_EXPONENT, e),
                                   attr_of(CKA_TOKEN, yes), attr_str(CKA_LABEL, label)};
  std::vector<CK_ATTRIBUTE> priv = {attr_of(CKA_TOKEN, yes), attr_str(CKA_LABEL, label), attr_of(CKA_DECRYPT, yes)};
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
  ASSERT_EQ(f->C_GenerateKeyPair(s, &gen, pub.data(), static_cast<CK_ULONG>(pub.size()), priv.data(),
                                 static_cast<CK_ULONG>(priv.size()), &hpub, &hpriv),
            CKR_OK);
  Bytes data = {'r', 's', 'a'};
  CK_RSA_PKCS_PSS_PARAMS pss{CKM_SHA256, CKG_MGF1_SHA256, 32};
  CK_MECHANISM sign_mech{CKM_SHA256_RSA_PKCS_PSS, &pss, sizeof pss};
  ASSERT_EQ(f->C_SignInit(s, &sign_mech, hpriv), CKR_OK);
  Bytes sig(256);
  CK_ULONG len = 256;
  ASSERT_EQ(f->C_Sign(s, data.data(), static_cast<CK_ULONG>(data.size()), sig.data(), &len), CKR_OK);
  ASSERT_EQ(f->C_VerifyInit(s, &sign_mech, hpub), CKR_OK);
  EXPECT_EQ(f->C_Verify(s, data.data(), static_cast<CK_ULONG>(data.size()), sig.data(), len), CKR_OK);

  CK_RSA_PKCS_OAEP_PARAMS oaep{CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, nullptr, 0};
  CK_MECHANISM crypt{CKM_RSA_PKCS_OAEP, &oaep, sizeof oaep};
  ASSERT_EQ(f->C_EncryptInit(s, &crypt, hpub), CKR_OK);
  Bytes ct(256);
  CK_ULONG ctlen = 256;
  ASSERT_EQ(f->C_Encrypt(s, data.data(), static_cast<CK_ULONG>(data.size()), ct.data(), &ctlen), CKR_OK);
  ASSERT_EQ(f->C_DecryptInit(s, &crypt, hpriv), CKR_OK);
  Bytes plain(256);
  CK_ULONG plen = 256;
  ASSERT_EQ(f->C_Decrypt(s, ct.data(), ctlen, plain.data(), &plen), CKR_OK);
  plain.resize(plen);
  EXPECT_EQ(plain, data);
  EXPECT_EQ(g_default_context_lookups.load(), 0) << "last operation id " << g_last_operation.load();
}

}  // namespace
}  // namespace sx::p11test
