// The attribute rules of key usage (issue 15): every usage attribute of a chip
// key may be given at creation and generation, none may be changed afterwards
// (the chip policy is fixed at creation, docs/chip-pin.md §2), host-held secret
// keys keep theirs modifiable; CKA_ALWAYS_AUTHENTICATE may be TRUE; the RSA
// size is the mechanism's question, not the attribute's.
#include <gtest/gtest.h>

#include "attr_test_util.h"
#include "token/attr/attr_rules.h"
#include "token/attr/attr_template.h"

namespace sx::token::test {
namespace {

struct Usage {
  ObjectKind kind;
  CK_ATTRIBUTE_TYPE type;
  bool def;  // the default every earlier version reported
};

const ObjectKind kUsageEcPriv{CKO_PRIVATE_KEY, CKK_EC}, kUsageRsaPriv{CKO_PRIVATE_KEY, CKK_RSA};
const ObjectKind kUsageEcPub{CKO_PUBLIC_KEY, CKK_EC}, kUsageRsaPub{CKO_PUBLIC_KEY, CKK_RSA};

const Usage kUsages[] = {
    {kUsageEcPriv, CKA_SIGN, true},          {kUsageEcPriv, CKA_DECRYPT, false},
    {kUsageEcPriv, CKA_DERIVE, true},        {kUsageEcPriv, CKA_UNWRAP, false},
    {kUsageEcPriv, CKA_SIGN_RECOVER, false}, {kUsageRsaPriv, CKA_SIGN, true},
    {kUsageRsaPriv, CKA_DECRYPT, true},      {kUsageRsaPriv, CKA_DERIVE, false},
    {kUsageRsaPriv, CKA_UNWRAP, false},      {kUsageRsaPriv, CKA_SIGN_RECOVER, false},
    {kUsageEcPub, CKA_VERIFY, true},         {kUsageEcPub, CKA_ENCRYPT, false},
    {kUsageEcPub, CKA_WRAP, false},          {kUsageEcPub, CKA_VERIFY_RECOVER, false},
    {kUsageEcPub, CKA_DERIVE, false},        {kUsageRsaPub, CKA_VERIFY, true},
    {kUsageRsaPub, CKA_ENCRYPT, true},       {kUsageRsaPub, CKA_WRAP, false},
    {kUsageRsaPub, CKA_VERIFY_RECOVER, false}, {kUsageRsaPub, CKA_DERIVE, false},
};

TEST(UsageRules, GivenAtCreationFixedAfterwards) {
  for (const Usage& u : kUsages) {
    const AttrRule* r = find_rule(u.kind, u.type);
    ASSERT_NE(r, nullptr) << u.type;
    EXPECT_TRUE(r->flags & kAtCreate) << u.type;
    EXPECT_TRUE(r->flags & kAtGenerate) << u.type;
    EXPECT_FALSE(r->flags & kModifiable) << u.kind.cls << "/" << u.kind.sub << " " << u.type;
    EXPECT_EQ(r->def.kind, u.def ? DefaultKind::True : DefaultKind::False) << u.type;
  }
}

TEST(UsageRules, SetAttributeValueOfAUsageIsReadOnly) {
  for (const Usage& u : kUsages) {
    AttrMap current;
    current[u.type] = ck_bool(u.def);
    for (bool v : {false, true}) {
      AttrMap changes;
      EXPECT_EQ(validate_set(u.kind, current, Tmpl().boolean(u.type, v), changes), CKR_ATTRIBUTE_READ_ONLY) << u.type;
    }
  }
  // The label stays modifiable: the module stores it.
  AttrMap current, changes;
  EXPECT_EQ(validate_set(kUsageEcPriv, current, Tmpl().str(CKA_LABEL, "x"), changes), CKR_OK);
}

TEST(UsageRules, HostHeldSecretKeysKeepModifiableUsage) {
  const ObjectKind secret{CKO_SECRET_KEY, CKK_GENERIC_SECRET};
  for (CK_ATTRIBUTE_TYPE t : {CKA_ENCRYPT, CKA_DECRYPT, CKA_SIGN, CKA_VERIFY, CKA_DERIVE}) {
    const AttrRule* r = find_rule(secret, t);
    ASSERT_NE(r, nullptr) << t;
    EXPECT_TRUE(r->flags & kModifiable) << t;
  }
}

TEST(UsageRules, AlwaysAuthenticateMayBeTrue) {
  for (const ObjectKind& k : {kUsageEcPriv, kUsageRsaPriv}) {
    AttrMap out;
    EXPECT_EQ(validate_template(Phase::Generate, k, Tmpl().boolean(CKA_ALWAYS_AUTHENTICATE, true), out), CKR_OK);
    EXPECT_EQ(get_bool(out, CKA_ALWAYS_AUTHENTICATE), true);
    AttrMap dflt;
    ASSERT_EQ(validate_template(Phase::Generate, k, Tmpl(), dflt), CKR_OK);
    EXPECT_EQ(get_bool(dflt, CKA_ALWAYS_AUTHENTICATE), false);
    const AttrRule* r = find_rule(k, CKA_ALWAYS_AUTHENTICATE);
    ASSERT_NE(r, nullptr);
    EXPECT_FALSE(r->flags & kModifiable);
  }
  EXPECT_EQ(find_rule(kUsageEcPub, CKA_ALWAYS_AUTHENTICATE), nullptr);
}

TEST(UsageRules, ModulusBitsAnySizeTheMechanismDecides) {
  for (CK_ULONG bits : {512ul, 1024ul, 1152ul, 1536ul, 8192ul}) {
    AttrMap out;
    EXPECT_EQ(validate_template(Phase::Generate, kUsageRsaPub, Tmpl().ulong(CKA_MODULUS_BITS, bits), out), CKR_OK)
        << bits;
  }
  AttrMap out;
  EXPECT_EQ(validate_template(Phase::Generate, kUsageRsaPub, Tmpl().ulong(CKA_MODULUS_BITS, 0), out),
            CKR_ATTRIBUTE_VALUE_INVALID);
}

}  // namespace
}  // namespace sx::token::test
