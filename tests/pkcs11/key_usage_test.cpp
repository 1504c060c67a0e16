// Key usage (issue 15 item 2, docs/pkcs11-module.md "Key usage"): every usage
// attribute of a generated or imported key is stored, reported as requested and
// enforced on use (CKR_KEY_FUNCTION_NOT_PERMITTED), for EC and RSA, private and
// public halves, on a chip-PIN token and on a host-PIN token; a usage the chip
// cannot restrict (RSA CKA_SIGN without CKA_DECRYPT or the reverse) is refused
// at creation; usage attributes cannot change afterwards.
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "pkcs11/p11_fixture.h"
#include "support/ossl_check.h"

namespace sx::p11test {
namespace {

// Named: the templates point at them.
CK_BBOOL kUsageYes = CK_TRUE, kUsageNo = CK_FALSE;
const Bytes kUsageP256 = hex("06082A8648CE3D030107");

struct Use {
  CK_ATTRIBUTE_TYPE type;
  bool value;
};
using Uses = std::vector<Use>;

void add_uses(std::vector<CK_ATTRIBUTE>& t, const Uses& uses) {
  for (const Use& u : uses) t.push_back(attr(u.type, u.value ? &kUsageYes : &kUsageNo, sizeof(CK_BBOOL)));
}

Bytes bn_param(EVP_PKEY* k, const char* name, size_t len = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(k, name, &bn) != 1) return {};
  Bytes out(len ? len : static_cast<size_t>(BN_num_bytes(bn)));
  BN_bn2binpad(bn, out.data(), static_cast<int>(out.size()));
  BN_clear_free(bn);
  return out;
}

// The fixture of the usage and context-login tests: a provisioned token, chip-PIN
// (false) or host-PIN (true), and a logged-in R/W session.
class UsageFixture : public P11Test, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    P11Test::SetUp();
    if (GetParam()) use_host_pins();
    init();
    provision();
    s = open();
    login(s);
  }

  CK_RV gen_ec(const std::string& label, const Uses& pub_uses, const Uses& priv_uses, CK_OBJECT_HANDLE& hpub,
               CK_OBJECT_HANDLE& hpriv) {
    std::vector<CK_ATTRIBUTE> pub = {attr_bytes(CKA_EC_PARAMS, kUsageP256), attr_of(CKA_TOKEN, kUsageYes),
                                     attr_str(CKA_LABEL, label)};
    std::vector<CK_ATTRIBUTE> priv = {attr_of(CKA_TOKEN, kUsageYes), attr_str(CKA_LABEL, label)};
    add_uses(pub, pub_uses);
    add_uses(priv, priv_uses);
    CK_MECHANISM m{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    return f->C_GenerateKeyPair(s, &m, pub.data(), static_cast<CK_ULONG>(pub.size()), priv.data(),
                                static_cast<CK_ULONG>(priv.size()), &hpub, &hpriv);
  }

  CK_RV gen_rsa(const std::string& label, CK_ULONG bits, const Uses& pub_uses, const Uses& priv_uses,
                CK_OBJECT_HANDLE& hpub, CK_OBJECT_HANDLE& hpriv) {
    std::vector<CK_ATTRIBUTE> pub = {attr_of(CKA_MODULUS_BITS, bits), attr_of(CKA_TOKEN, kUsageYes),
                                     attr_str(CKA_LABEL, label)};
    std::vector<CK_ATTRIBUTE> priv = {attr_of(CKA_TOKEN, kUsageYes), attr_str(CKA_LABEL, label)};
    add_uses(pub, pub_uses);
    add_uses(priv, priv_uses);
    CK_MECHANISM m{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
    return f->C_GenerateKeyPair(s, &m, pub.data(), static_cast<CK_ULONG>(pub.size()), priv.data(),
                                static_cast<CK_ULONG>(priv.size()), &hpub, &hpriv);
  }

  // C_CreateObject of a fresh host-made key.
  CK_RV import_ec(const std::string& label, const Uses& uses, CK_OBJECT_HANDLE& h) {
    ossl::Pkey k(EVP_EC_gen("P-256"));
    const Bytes d = bn_param(k.get(), OSSL_PKEY_PARAM_PRIV_KEY, 32);
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = CKK_EC;
    std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, cls),        attr_of(CKA_KEY_TYPE, kt),
                                   attr_of(CKA_TOKEN, kUsageYes),  attr_str(CKA_LABEL, label),
                                   attr_bytes(CKA_EC_PARAMS, kUsageP256), attr_bytes(CKA_VALUE, d)};
    add_uses(t, uses);
    return f->C_CreateObject(s, t.data(), static_cast<CK_ULONG>(t.size()), &h);
  }

  CK_RV import_rsa(const std::string& label, unsigned bits, const Uses& uses, CK_OBJECT_HANDLE& h) {
    ossl::Pkey k(EVP_RSA_gen(bits));
    const Bytes n = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_N), e = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_E),
                d = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_D), p = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_FACTOR1),
                q = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_FACTOR2),
                dp = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1),
                dq = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2),
                qi = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = CKK_RSA;
    std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, cls),          attr_of(CKA_KEY_TYPE, kt),
                                   attr_of(CKA_TOKEN, kUsageYes),    attr_str(CKA_LABEL, label),
                                   attr_bytes(CKA_MODULUS, n),       attr_bytes(CKA_PUBLIC_EXPONENT, e),
                                   attr_bytes(CKA_PRIVATE_EXPONENT, d), attr_bytes(CKA_PRIME_1, p),
                                   attr_bytes(CKA_PRIME_2, q),       attr_bytes(CKA_EXPONENT_1, dp),
                                   attr_bytes(CKA_EXPONENT_2, dq),   attr_bytes(CKA_COEFFICIENT, qi)};
    add_uses(t, uses);
    return f->C_CreateObject(s, t.data(), static_cast<CK_ULONG>(t.size()), &h);
  }

  bool reads(CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t) { return get(s, h, t) == Bytes{CK_TRUE}; }

  CK_RV sign_init(CK_OBJECT_HANDLE h, CK_MECHANISM_TYPE mech) {
    CK_MECHANISM m{mech, nullptr, 0};
    CK_RV rv = f->C_SignInit(s, &m, h);
    if (rv == CKR_OK) {
      CK_ULONG len = 0;
      Bytes data(32, 7);
      (void)f->C_Sign(s, data.data(), 32, nullptr, &len);  // a length query: the operation stays
      Bytes sig(len);
      // Signs for real: the chip must agree with the module.
      rv = f->C_Sign(s, data.data(), 32, sig.data(), &len);
    }
    return rv;
  }
  CK_RV init_only(CK_RV (*fn)(CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE), CK_OBJECT_HANDLE h,
                  CK_MECHANISM_TYPE mech) {
    CK_MECHANISM m{mech, nullptr, 0};
    return fn(s, &m, h);
  }
  CK_RV derive(CK_OBJECT_HANDLE hpriv, CK_OBJECT_HANDLE hpub) {
    const Bytes peer = sx::testing::unwrap_point(get(s, hpub, CKA_EC_POINT));
    CK_ECDH1_DERIVE_PARAMS prm{CKD_NULL, 0, nullptr, static_cast<CK_ULONG>(peer.size()),
                               const_cast<uint8_t*>(peer.data())};
    CK_MECHANISM m{CKM_ECDH1_DERIVE, &prm, sizeof prm};
    CK_OBJECT_CLASS sc = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
    CK_ATTRIBUTE t[] = {attr_of(CKA_CLASS, sc), attr_of(CKA_KEY_TYPE, kt), attr_of(CKA_TOKEN, kUsageNo)};
    CK_OBJECT_HANDLE out = 0;
    return f->C_DeriveKey(s, &m, hpriv, t, 3, &out);
  }
  // The public half's operations run on the host: their initialisation is the check.
  CK_RV verify_init(CK_OBJECT_HANDLE h, CK_MECHANISM_TYPE mech) { return init_only(f->C_VerifyInit, h, mech); }
  CK_RV encrypt_init(CK_OBJECT_HANDLE h) { return init_only(f->C_EncryptInit, h, CKM_RSA_PKCS); }
  // A decryption to the end: an RSA-PKCS ciphertext made with the public half on the host.
  CK_RV decrypt(CK_OBJECT_HANDLE hpriv, CK_OBJECT_HANDLE hpub) {
    CK_MECHANISM m{CKM_RSA_PKCS, nullptr, 0};
    const Bytes n = get(s, hpub, CKA_MODULUS);
    Bytes ct(n.size());
    CK_ULONG ctlen = static_cast<CK_ULONG>(ct.size());
    Bytes msg = {'k', 'e', 'y'};
    if (f->C_EncryptInit(s, &m, hpub) != CKR_OK ||
        f->C_Encrypt(s, msg.data(), static_cast<CK_ULONG>(msg.size()), ct.data(), &ctlen) != CKR_OK)
      return CKR_GENERAL_ERROR;
    CK_RV rv = f->C_DecryptInit(s, &m, hpriv);
    if (rv != CKR_OK) return rv;
    Bytes out(ct.size());
    CK_ULONG olen = static_cast<CK_ULONG>(out.size());
    rv = f->C_Decrypt(s, ct.data(), ctlen, out.data(), &olen);
    if (rv == CKR_OK && Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(olen)) != msg)
      return CKR_GENERAL_ERROR;
    return rv;
  }

  CK_SESSION_HANDLE s = 0;
};

using KeyUsageTest = UsageFixture;

// The issue's case: EC P-256, private template CKA_SIGN = FALSE, CKA_DERIVE = TRUE.
TEST_P(KeyUsageTest, IssueCaseSignFalseDeriveTrue) {
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
  ASSERT_EQ(gen_ec("issue", {}, {{CKA_SIGN, false}, {CKA_DERIVE, true}}, hpub, hpriv), CKR_OK);
  EXPECT_FALSE(reads(hpriv, CKA_SIGN));
  EXPECT_TRUE(reads(hpriv, CKA_DERIVE));
  EXPECT_EQ(sign_init(hpriv, CKM_ECDSA), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT_EQ(sign_init(hpriv, CKM_ECDSA_SHA256), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT_EQ(derive(hpriv, hpub), CKR_OK);
}

TEST_P(KeyUsageTest, EveryEcUsageFalseIsRefused) {
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0, cpub = 0, cpriv = 0;
  ASSERT_EQ(gen_ec("none", {{CKA_VERIFY, false}}, {{CKA_SIGN, false}, {CKA_DERIVE, false}}, hpub, hpriv), CKR_OK);
  EXPECT_FALSE(reads(hpriv, CKA_SIGN));
  EXPECT_FALSE(reads(hpriv, CKA_DERIVE));
  EXPECT_FALSE(reads(hpub, CKA_VERIFY));
  EXPECT_EQ(sign_init(hpriv, CKM_ECDSA), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT_EQ(derive(hpriv, hpub), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT_EQ(verify_init(hpub, CKM_ECDSA), CKR_KEY_FUNCTION_NOT_PERMITTED);
  // The same operations with a key that allows them (the refusals are the attributes').
  ASSERT_EQ(gen_ec("all", {}, {}, cpub, cpriv), CKR_OK);
  EXPECT_EQ(sign_init(cpriv, CKM_ECDSA), CKR_OK);
  EXPECT_EQ(derive(cpriv, cpub), CKR_OK);
  EXPECT_EQ(verify_init(cpub, CKM_ECDSA), CKR_OK);
  // Sign allowed, derive not: each use on its own.
  CK_OBJECT_HANDLE spub = 0, spriv = 0;
  ASSERT_EQ(gen_ec("sign-only", {}, {{CKA_SIGN, true}, {CKA_DERIVE, false}}, spub, spriv), CKR_OK);
  EXPECT_EQ(sign_init(spriv, CKM_ECDSA), CKR_OK);
  EXPECT_EQ(derive(spriv, spub), CKR_KEY_FUNCTION_NOT_PERMITTED);
}

TEST_P(KeyUsageTest, EveryRsaUsageFalseIsRefused) {
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
  ASSERT_EQ(gen_rsa("rsa-none", 1024, {{CKA_VERIFY, false}, {CKA_ENCRYPT, false}},
                    {{CKA_SIGN, false}, {CKA_DECRYPT, false}}, hpub, hpriv),
            CKR_OK);
  EXPECT_FALSE(reads(hpriv, CKA_SIGN));
  EXPECT_FALSE(reads(hpriv, CKA_DECRYPT));
  EXPECT_FALSE(reads(hpub, CKA_VERIFY));
  EXPECT_FALSE(reads(hpub, CKA_ENCRYPT));
  EXPECT_EQ(sign_init(hpriv, CKM_SHA256_RSA_PKCS), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT_EQ(init_only(f->C_DecryptInit, hpriv, CKM_RSA_PKCS), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT_EQ(verify_init(hpub, CKM_SHA256_RSA_PKCS), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT_EQ(encrypt_init(hpub), CKR_KEY_FUNCTION_NOT_PERMITTED);
  // The public half's uses alone: the private key still signs and decrypts.
  CK_OBJECT_HANDLE ppub = 0, ppriv = 0;
  ASSERT_EQ(gen_rsa("rsa-pub-none", 1024, {{CKA_VERIFY, false}}, {}, ppub, ppriv), CKR_OK);
  EXPECT_EQ(sign_init(ppriv, CKM_SHA256_RSA_PKCS), CKR_OK);
  EXPECT_EQ(verify_init(ppub, CKM_SHA256_RSA_PKCS), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT_EQ(decrypt(ppriv, ppub), CKR_OK);
}

TEST_P(KeyUsageTest, ImportedKeysHonourTheirUsage) {
  CK_OBJECT_HANDLE none = 0, sign_only = 0, rsa_none = 0, rsa_all = 0;
  ASSERT_EQ(import_ec("imp-none", {{CKA_SIGN, false}, {CKA_DERIVE, false}}, none), CKR_OK);
  ASSERT_EQ(import_ec("imp-sign", {{CKA_SIGN, true}, {CKA_DERIVE, false}}, sign_only), CKR_OK);
  EXPECT_FALSE(reads(none, CKA_SIGN));
  EXPECT_FALSE(reads(none, CKA_DERIVE));
  EXPECT_EQ(sign_init(none, CKM_ECDSA), CKR_KEY_FUNCTION_NOT_PERMITTED);
  const auto pubs = find_label(s, "imp-sign", CKO_PUBLIC_KEY);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(derive(none, pubs[0]), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT_EQ(sign_init(sign_only, CKM_ECDSA), CKR_OK);
  EXPECT_EQ(derive(sign_only, pubs[0]), CKR_KEY_FUNCTION_NOT_PERMITTED);
  ASSERT_EQ(import_rsa("imp-rsa-none", 1024, {{CKA_SIGN, false}, {CKA_DECRYPT, false}}, rsa_none), CKR_OK);
  ASSERT_EQ(import_rsa("imp-rsa-all", 1024, {}, rsa_all), CKR_OK);
  EXPECT_FALSE(reads(rsa_none, CKA_SIGN));
  EXPECT_FALSE(reads(rsa_none, CKA_DECRYPT));
  EXPECT_EQ(sign_init(rsa_none, CKM_SHA256_RSA_PKCS), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT_EQ(init_only(f->C_DecryptInit, rsa_none, CKM_RSA_PKCS), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT_EQ(sign_init(rsa_all, CKM_SHA256_RSA_PKCS), CKR_OK);
  const auto rpubs = find_label(s, "imp-rsa-all", CKO_PUBLIC_KEY);
  ASSERT_EQ(rpubs.size(), 1u);
  EXPECT_EQ(decrypt(rsa_all, rpubs[0]), CKR_OK);
}

// Every usage attribute reads back as requested, also the ones no mechanism of
// this module offers for the key type (stored, reported, no operation), and
// after the module is loaded again (the metadata record, not a cache).
TEST_P(KeyUsageTest, ReportedValuesEqualRequestedValues) {
  const Uses ec_priv = {{CKA_SIGN, false},  {CKA_DECRYPT, true},      {CKA_DERIVE, true},
                        {CKA_UNWRAP, true}, {CKA_SIGN_RECOVER, true}, {CKA_ALWAYS_AUTHENTICATE, true}};
  const Uses ec_pub = {{CKA_VERIFY, false}, {CKA_ENCRYPT, true}, {CKA_WRAP, true}, {CKA_VERIFY_RECOVER, true},
                       {CKA_DERIVE, true}};
  const Uses rsa_priv = {{CKA_SIGN, true}, {CKA_DECRYPT, true}, {CKA_DERIVE, true}, {CKA_UNWRAP, false},
                         {CKA_SIGN_RECOVER, false}};
  const Uses rsa_pub = {{CKA_VERIFY, true}, {CKA_ENCRYPT, false}, {CKA_WRAP, true}, {CKA_DERIVE, false}};
  const Uses ec_defaults_priv = {{CKA_SIGN, true},    {CKA_DECRYPT, false},      {CKA_DERIVE, true},
                                 {CKA_UNWRAP, false}, {CKA_SIGN_RECOVER, false}, {CKA_ALWAYS_AUTHENTICATE, false}};
  const Uses ec_defaults_pub = {{CKA_VERIFY, true}, {CKA_ENCRYPT, false}, {CKA_WRAP, false},
                                {CKA_VERIFY_RECOVER, false}, {CKA_DERIVE, false}};
  CK_OBJECT_HANDLE a = 0, b = 0, c = 0, d = 0, e = 0, g = 0;
  ASSERT_EQ(gen_ec("odd-ec", ec_pub, ec_priv, a, b), CKR_OK);
  ASSERT_EQ(gen_rsa("odd-rsa", 1024, rsa_pub, rsa_priv, c, d), CKR_OK);
  ASSERT_EQ(gen_ec("plain-ec", {}, {}, e, g), CKR_OK);
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "as created" : "after the module was loaded again");
    const struct {
      CK_OBJECT_HANDLE h;
      const Uses& uses;
    } cases[] = {{b, ec_priv}, {a, ec_pub}, {d, rsa_priv}, {c, rsa_pub}, {g, ec_defaults_priv}, {e, ec_defaults_pub}};
    for (const auto& k : cases)
      for (const Use& u : k.uses) EXPECT_EQ(reads(k.h, u.type), u.value) << "attribute 0x" << std::hex << u.type;
    if (round == 1) break;
    ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
    init();
    s = open();
    login(s);
    a = find_label(s, "odd-ec", CKO_PUBLIC_KEY).at(0);
    b = find_label(s, "odd-ec", CKO_PRIVATE_KEY).at(0);
    c = find_label(s, "odd-rsa", CKO_PUBLIC_KEY).at(0);
    d = find_label(s, "odd-rsa", CKO_PRIVATE_KEY).at(0);
    e = find_label(s, "plain-ec", CKO_PUBLIC_KEY).at(0);
    g = find_label(s, "plain-ec", CKO_PRIVATE_KEY).at(0);
  }
  // Reported, but no mechanism uses them: EC decryption does not exist here.
  EXPECT_EQ(init_only(f->C_DecryptInit, b, CKM_RSA_PKCS), CKR_KEY_TYPE_INCONSISTENT);
}

// The chip's raw RSA operation signs and decrypts alike (its DECRYPT right):
// one without the other cannot be restricted, so it is refused at creation.
TEST_P(KeyUsageTest, RsaSignWithoutDecryptIsRefusedAtCreation) {
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0, h = 0;
  EXPECT_EQ(gen_rsa("mixed1", 1024, {}, {{CKA_SIGN, true}, {CKA_DECRYPT, false}}, hpub, hpriv),
            CKR_TEMPLATE_INCONSISTENT);
  EXPECT_EQ(gen_rsa("mixed2", 1024, {}, {{CKA_SIGN, false}, {CKA_DECRYPT, true}}, hpub, hpriv),
            CKR_TEMPLATE_INCONSISTENT);
  EXPECT_EQ(import_rsa("mixed3", 1024, {{CKA_DECRYPT, false}}, h), CKR_TEMPLATE_INCONSISTENT);
  EXPECT_TRUE(find_label(s, "mixed1", CKO_PRIVATE_KEY).empty());
  EXPECT_TRUE(find_label(s, "mixed3", CKO_PRIVATE_KEY).empty());
}

TEST_P(KeyUsageTest, UsageIsReadOnlyAfterCreation) {
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
  ASSERT_EQ(gen_ec("fixed", {}, {{CKA_SIGN, false}}, hpub, hpriv), CKR_OK);
  CK_ATTRIBUTE sign_on = attr_of(CKA_SIGN, kUsageYes);
  EXPECT_EQ(f->C_SetAttributeValue(s, hpriv, &sign_on, 1), CKR_ATTRIBUTE_READ_ONLY);
  CK_ATTRIBUTE sign_off = attr_of(CKA_SIGN, kUsageNo);  // not even the current value: the rule says read-only
  EXPECT_EQ(f->C_SetAttributeValue(s, hpriv, &sign_off, 1), CKR_ATTRIBUTE_READ_ONLY);
  CK_ATTRIBUTE verify_off = attr_of(CKA_VERIFY, kUsageNo);
  EXPECT_EQ(f->C_SetAttributeValue(s, hpub, &verify_off, 1), CKR_ATTRIBUTE_READ_ONLY);
  EXPECT_FALSE(reads(hpriv, CKA_SIGN));
  EXPECT_TRUE(reads(hpub, CKA_VERIFY));
  const std::string label = "still-relabelable";
  CK_ATTRIBUTE relabel = attr_str(CKA_LABEL, label);
  EXPECT_EQ(f->C_SetAttributeValue(s, hpriv, &relabel, 1), CKR_OK);
}

// Keys without a record of ours (NXP's factory key): every use as before.
TEST_P(KeyUsageTest, FactoryKeyKeepsTheDefaults) {
  const auto keys = find_label(s, "sss:F0000100", CKO_PRIVATE_KEY);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_TRUE(reads(keys[0], CKA_SIGN));
  EXPECT_TRUE(reads(keys[0], CKA_DERIVE));
  EXPECT_FALSE(reads(keys[0], CKA_DECRYPT));
  EXPECT_FALSE(reads(keys[0], CKA_ALWAYS_AUTHENTICATE));
  const auto pubs = find_label(s, "sss:F0000100", CKO_PUBLIC_KEY);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_TRUE(reads(pubs[0], CKA_VERIFY));
  EXPECT_EQ(sign_init(keys[0], CKM_ECDSA), CKR_OK);
}

INSTANTIATE_TEST_SUITE_P(Tokens, KeyUsageTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "HostPin" : "ChipPin"; });

}  // namespace
}  // namespace sx::p11test
