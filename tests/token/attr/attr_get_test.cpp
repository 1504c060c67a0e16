// C_GetAttributeValue two-call semantics and C_FindObjects exact matching.
#include <gtest/gtest.h>

#include <cstring>

#include "attr_test_util.h"
#include "token/attr/attr_get.h"
#include "token/attr/attr_template.h"
#include "crypto/ec.h"
#include "se05x/curves.h"

namespace sx::token::test {
namespace {

const ObjectKind kEcPrivate{CKO_PRIVATE_KEY, CKK_EC};

AttrMap ec_private_key() {
  Tmpl t;
  t.ulong(CKA_CLASS, CKO_PRIVATE_KEY).ulong(CKA_KEY_TYPE, CKK_EC).boolean(CKA_TOKEN, true)
      .str(CKA_LABEL, "greengrass-core").raw(CKA_ID, {0x01, 0x02});
  AttrMap m;
  EXPECT_EQ(validate_template(Phase::Generate, kEcPrivate, t, m), CKR_OK);
  set_key_origin(kEcPrivate, KeyOrigin::Generated, CKM_EC_KEY_PAIR_GEN, m);
  m[CKA_EC_PARAMS] = *se05x::ec_params_for_curve(se05x::Curve::NistP256);
  return m;
}

TEST(GetAttributeValue, LengthQueryThenValues) {
  const AttrMap m = ec_private_key();
  // The JDK's first pass: NULL pValue for every attribute.
  CK_ATTRIBUTE t[] = {{CKA_CLASS, nullptr, 0}, {CKA_LABEL, nullptr, 0}, {CKA_ID, nullptr, 0},
                      {CKA_SENSITIVE, nullptr, 0}, {CKA_EC_PARAMS, nullptr, 0}};
  ASSERT_EQ(get_attribute_values(kEcPrivate, m, t), CKR_OK);
  EXPECT_EQ(t[0].ulValueLen, sizeof(CK_ULONG));  // 4 on armhf, 8 on x86_64
  EXPECT_EQ(t[1].ulValueLen, 15u);
  EXPECT_EQ(t[2].ulValueLen, 2u);
  EXPECT_EQ(t[3].ulValueLen, 1u);
  EXPECT_EQ(t[4].ulValueLen, 10u);
  // Second pass with exactly sized buffers.
  CK_OBJECT_CLASS cls = 0;
  char label[15];
  uint8_t id[2];
  CK_BBOOL sens = 0;
  uint8_t params[64];  // larger than needed: length is set to the real one
  t[0].pValue = &cls;
  t[1].pValue = label;
  t[2].pValue = id;
  t[3].pValue = &sens;
  t[4].pValue = params;
  t[4].ulValueLen = sizeof params;
  ASSERT_EQ(get_attribute_values(kEcPrivate, m, t), CKR_OK);
  EXPECT_EQ(cls, static_cast<CK_OBJECT_CLASS>(CKO_PRIVATE_KEY));
  EXPECT_EQ(std::string(label, 15), "greengrass-core");
  EXPECT_EQ(id[1], 0x02);
  EXPECT_EQ(sens, CK_TRUE);
  EXPECT_EQ(t[4].ulValueLen, 10u);
  EXPECT_EQ(to_hex(ByteView(params, 10)), "06082A8648CE3D030107");
}

TEST(GetAttributeValue, EveryErrorCombination) {
  const AttrMap m = ec_private_key();
  uint8_t small[1];
  uint8_t big[64];
  struct Case {
    bool sensitive, invalid, too_small;
    CK_RV expected;
  };
  const Case cases[] = {
      {false, false, false, CKR_OK},
      {true, false, false, CKR_ATTRIBUTE_SENSITIVE},
      {false, true, false, CKR_ATTRIBUTE_TYPE_INVALID},
      {false, false, true, CKR_BUFFER_TOO_SMALL},
      {true, true, false, CKR_ATTRIBUTE_SENSITIVE},
      {true, false, true, CKR_ATTRIBUTE_SENSITIVE},
      {false, true, true, CKR_ATTRIBUTE_TYPE_INVALID},
      {true, true, true, CKR_ATTRIBUTE_SENSITIVE},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.sensitive << c.invalid << c.too_small);
    std::vector<CK_ATTRIBUTE> t;
    CK_BBOOL sign = 0;
    t.push_back({CKA_SIGN, &sign, 1});  // always fine, must still be filled
    if (c.sensitive) t.push_back({CKA_VALUE, big, sizeof big});       // EC private scalar
    if (c.invalid) t.push_back({CKA_MODULUS, big, sizeof big});       // not an EC attribute
    if (c.too_small) t.push_back({CKA_LABEL, small, sizeof small});
    CK_BBOOL extractable = 1;
    t.push_back({CKA_EXTRACTABLE, &extractable, 1});  // after the failures: processed too
    EXPECT_EQ(get_attribute_values(kEcPrivate, m, t), c.expected);
    EXPECT_EQ(sign, CK_TRUE);
    EXPECT_EQ(t.front().ulValueLen, 1u);
    EXPECT_EQ(extractable, CK_FALSE);
    EXPECT_EQ(t.back().ulValueLen, 1u);
    for (size_t i = 1; i + 1 < t.size(); ++i) EXPECT_EQ(t[i].ulValueLen, CK_UNAVAILABLE_INFORMATION);
  }
}

TEST(GetAttributeValue, SensitiveEvenWithNullBufferAndUnknownStaysInvalid) {
  const AttrMap m = ec_private_key();
  CK_ATTRIBUTE t[] = {{CKA_VALUE, nullptr, 0}, {CKA_PRIME_1, nullptr, 0}, {0x80001234UL, nullptr, 0}};
  EXPECT_EQ(get_attribute_values(kEcPrivate, m, t), CKR_ATTRIBUTE_SENSITIVE);
  EXPECT_EQ(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
  EXPECT_EQ(t[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);  // RSA-only: type invalid for EC
  EXPECT_EQ(t[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
  CK_ATTRIBUTE only_unknown[] = {{CKA_PRIME_1, nullptr, 0}};
  EXPECT_EQ(get_attribute_values(kEcPrivate, m, only_unknown), CKR_ATTRIBUTE_TYPE_INVALID);
}

TEST(GetAttributeValue, ExtractableSecretKeyRevealsValue) {
  const ObjectKind kind{CKO_SECRET_KEY, CKK_GENERIC_SECRET};
  Tmpl t;
  t.ulong(CKA_CLASS, CKO_SECRET_KEY).ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET).boolean(CKA_SENSITIVE, false)
      .boolean(CKA_EXTRACTABLE, true).raw(CKA_VALUE, Bytes(32, 0x5A));
  AttrMap m;
  ASSERT_EQ(validate_template(Phase::Create, kind, t, m), CKR_OK);
  EXPECT_EQ(get_ulong(m, CKA_VALUE_LEN), CK_ULONG{32});
  uint8_t buf[32];
  CK_ATTRIBUTE q[] = {{CKA_VALUE, buf, sizeof buf}};
  ASSERT_EQ(get_attribute_values(kind, m, q), CKR_OK);
  EXPECT_EQ(buf[31], 0x5A);
  m[CKA_SENSITIVE] = ck_bool(true);
  EXPECT_EQ(get_attribute_values(kind, m, q), CKR_ATTRIBUTE_SENSITIVE);
  m[CKA_SENSITIVE] = ck_bool(false);
  m[CKA_EXTRACTABLE] = ck_bool(false);
  EXPECT_EQ(get_attribute_values(kind, m, q), CKR_ATTRIBUTE_SENSITIVE);
}

TEST(FindObjects, ExactMatch) {
  const AttrMap key = ec_private_key();
  CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY, cert = CKO_CERTIFICATE;
  CK_BBOOL yes = CK_TRUE;
  const char label[] = "greengrass-core";
  uint8_t id[] = {0x01, 0x02};
  // aws-c-io: {CLASS, LABEL}
  CK_ATTRIBUTE crt[] = {{CKA_CLASS, &priv, sizeof priv}, {CKA_LABEL, const_cast<char*>(label), 15}};
  EXPECT_TRUE(template_matches(kEcPrivate, key, crt));
  // SunPKCS11: {TOKEN, ID, CLASS}
  CK_ATTRIBUTE java[] = {{CKA_TOKEN, &yes, 1}, {CKA_ID, id, 2}, {CKA_CLASS, &priv, sizeof priv}};
  EXPECT_TRUE(template_matches(kEcPrivate, key, java));
  CK_ATTRIBUTE other_class[] = {{CKA_CLASS, &cert, sizeof cert}};
  EXPECT_FALSE(template_matches(kEcPrivate, key, other_class));
  CK_ATTRIBUTE prefix_label[] = {{CKA_LABEL, const_cast<char*>(label), 10}};
  EXPECT_FALSE(template_matches(kEcPrivate, key, prefix_label));
  CK_ATTRIBUTE missing[] = {{CKA_MODULUS, id, 2}};  // the object has no such attribute
  EXPECT_FALSE(template_matches(kEcPrivate, key, missing));
  CK_ATTRIBUTE subject_empty[] = {{CKA_SUBJECT, nullptr, 0}};  // present and empty
  EXPECT_TRUE(template_matches(kEcPrivate, key, subject_empty));
  CK_ATTRIBUTE null_with_len[] = {{CKA_ID, nullptr, 2}};
  EXPECT_FALSE(template_matches(kEcPrivate, key, null_with_len));
  CK_ULONG wide_true = 1;  // CK_BBOOL compared byte-wise: a CK_ULONG is not a match
  CK_ATTRIBUTE wide[] = {{CKA_TOKEN, &wide_true, sizeof wide_true}};
  EXPECT_FALSE(template_matches(kEcPrivate, key, wide));
  EXPECT_TRUE(template_matches(kEcPrivate, key, std::span<const CK_ATTRIBUTE>{}));
  // Searching by a sensitive value never matches (no oracle).
  AttrMap with_value = key;
  with_value[CKA_VALUE] = Bytes{0x42};
  uint8_t guess = 0x42;
  CK_ATTRIBUTE by_value[] = {{CKA_VALUE, &guess, 1}};
  EXPECT_FALSE(template_matches(kEcPrivate, with_value, by_value));
}

TEST(FindObjects, JavaChainLookupBySubject) {
  const ObjectKind kind{CKO_CERTIFICATE, CKC_X_509};
  Tmpl t;
  t.ulong(CKA_CLASS, CKO_CERTIFICATE).ulong(CKA_CERTIFICATE_TYPE, CKC_X_509).boolean(CKA_TOKEN, true)
      .raw(CKA_VALUE, make_cert("device"));
  AttrMap cert;
  ASSERT_EQ(validate_template(Phase::Create, kind, t, cert), CKR_OK);
  CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
  CK_BBOOL yes = CK_TRUE;
  Bytes issuer = cert[CKA_ISSUER];
  CK_ATTRIBUTE by_issuer[] = {{CKA_TOKEN, &yes, 1}, {CKA_CLASS, &cls, sizeof cls},
                              {CKA_SUBJECT, issuer.data(), static_cast<CK_ULONG>(issuer.size())}};
  EXPECT_TRUE(template_matches(kind, cert, by_issuer));  // self-signed: its own issuer
  AttrMap other;
  Tmpl t2;
  t2.ulong(CKA_CLASS, CKO_CERTIFICATE).ulong(CKA_CERTIFICATE_TYPE, CKC_X_509).raw(CKA_VALUE, make_cert("other"));
  ASSERT_EQ(validate_template(Phase::Create, kind, t2, other), CKR_OK);
  EXPECT_FALSE(template_matches(kind, other, by_issuer));
}

}  // namespace
}  // namespace sx::token::test
