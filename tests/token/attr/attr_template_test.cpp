// Template validation for create / generate / set, and the helper encodings.
#include <gtest/gtest.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "attr_test_util.h"
#include "token/attr/attr_template.h"
#include "crypto/ec.h"
#include "se05x/curves.h"
#include "crypto/x509_fields.h"

namespace sx::token::test {
namespace {

const ObjectKind kEcPriv{CKO_PRIVATE_KEY, CKK_EC}, kEcPub{CKO_PUBLIC_KEY, CKK_EC};
const ObjectKind kRsaPriv{CKO_PRIVATE_KEY, CKK_RSA}, kRsaPub{CKO_PUBLIC_KEY, CKK_RSA};
const ObjectKind kCert{CKO_CERTIFICATE, CKC_X_509}, kData{CKO_DATA, 0};

CK_RV gen(const ObjectKind& k, const Tmpl& t) {
  AttrMap m;
  return validate_template(Phase::Generate, k, t, m);
}
CK_RV create(const ObjectKind& k, const Tmpl& t, AttrMap* out = nullptr) {
  AttrMap m;
  const CK_RV rv = validate_template(Phase::Create, k, t, m);
  if (out) *out = m;
  return rv;
}

Bytes p256_params() { return *se05x::ec_params_for_curve(se05x::Curve::NistP256); }

TEST(Classify, ClassAndTypeFromTemplateOrCall) {
  ObjectKind k;
  Tmpl none;
  EXPECT_EQ(classify_template(none, CK_UNAVAILABLE_INFORMATION, CK_UNAVAILABLE_INFORMATION, k),
            CKR_TEMPLATE_INCOMPLETE);
  EXPECT_EQ(classify_template(none, CKO_PUBLIC_KEY, CKK_EC, k), CKR_OK);
  EXPECT_EQ(k, kEcPub);
  Tmpl priv;
  priv.ulong(CKA_CLASS, CKO_PRIVATE_KEY);
  EXPECT_EQ(classify_template(priv, CKO_PUBLIC_KEY, CKK_EC, k), CKR_TEMPLATE_INCONSISTENT);
  Tmpl rsa_type;
  rsa_type.ulong(CKA_KEY_TYPE, CKK_RSA);
  EXPECT_EQ(classify_template(rsa_type, CKO_PRIVATE_KEY, CKK_EC, k), CKR_TEMPLATE_INCONSISTENT);
  Tmpl cert_no_type;
  cert_no_type.ulong(CKA_CLASS, CKO_CERTIFICATE);
  EXPECT_EQ(classify_template(cert_no_type, CK_UNAVAILABLE_INFORMATION, CK_UNAVAILABLE_INFORMATION, k),
            CKR_TEMPLATE_INCOMPLETE);
  Tmpl wtls;
  wtls.ulong(CKA_CLASS, CKO_CERTIFICATE).ulong(CKA_CERTIFICATE_TYPE, CKC_WTLS);
  EXPECT_EQ(classify_template(wtls, CK_UNAVAILABLE_INFORMATION, CK_UNAVAILABLE_INFORMATION, k),
            CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl dsa;
  dsa.ulong(CKA_CLASS, CKO_PRIVATE_KEY).ulong(CKA_KEY_TYPE, CKK_DSA);
  EXPECT_EQ(classify_template(dsa, CK_UNAVAILABLE_INFORMATION, CK_UNAVAILABLE_INFORMATION, k),
            CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl domain;
  domain.ulong(CKA_CLASS, CKO_DOMAIN_PARAMETERS);
  EXPECT_EQ(classify_template(domain, CK_UNAVAILABLE_INFORMATION, CK_UNAVAILABLE_INFORMATION, k),
            CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl twice;
  twice.ulong(CKA_CLASS, CKO_DATA).ulong(CKA_CLASS, CKO_CERTIFICATE);
  EXPECT_EQ(classify_template(twice, CK_UNAVAILABLE_INFORMATION, CK_UNAVAILABLE_INFORMATION, k),
            CKR_TEMPLATE_INCONSISTENT);
  Tmpl short_class;
  short_class.raw(CKA_CLASS, Bytes{3});  // a 1-byte CK_ULONG
  EXPECT_EQ(classify_template(short_class, CK_UNAVAILABLE_INFORMATION, CK_UNAVAILABLE_INFORMATION, k),
            CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl data;
  data.ulong(CKA_CLASS, CKO_DATA);
  EXPECT_EQ(classify_template(data, CK_UNAVAILABLE_INFORMATION, CK_UNAVAILABLE_INFORMATION, k), CKR_OK);
  EXPECT_EQ(k, kData);
}

TEST(GenerateTemplate, EcKeyPairAsProvisioningToolsSendIt) {
  Tmpl pub;
  pub.boolean(CKA_TOKEN, true).boolean(CKA_VERIFY, true).raw(CKA_EC_PARAMS, p256_params())
      .str(CKA_LABEL, "greengrass-core").raw(CKA_ID, {1});
  AttrMap pm;
  ASSERT_EQ(validate_template(Phase::Generate, kEcPub, pub, pm), CKR_OK);
  Tmpl priv;
  priv.boolean(CKA_TOKEN, true).boolean(CKA_PRIVATE, true).boolean(CKA_SENSITIVE, true).boolean(CKA_SIGN, true)
      .boolean(CKA_DERIVE, true).str(CKA_LABEL, "greengrass-core").raw(CKA_ID, {1});
  AttrMap km;
  ASSERT_EQ(validate_template(Phase::Generate, kEcPriv, priv, km), CKR_OK);
  set_key_origin(kEcPriv, KeyOrigin::Generated, CKM_EC_KEY_PAIR_GEN, km);
  // Defaults and token-set values of the Greengrass checklist.
  EXPECT_EQ(get_ulong(km, CKA_CLASS), CK_ULONG{CKO_PRIVATE_KEY});
  EXPECT_EQ(get_ulong(km, CKA_KEY_TYPE), CK_ULONG{CKK_EC});
  EXPECT_EQ(get_bool(km, CKA_EXTRACTABLE), false);
  EXPECT_EQ(get_bool(km, CKA_ALWAYS_SENSITIVE), true);
  EXPECT_EQ(get_bool(km, CKA_NEVER_EXTRACTABLE), true);
  EXPECT_EQ(get_bool(km, CKA_ALWAYS_AUTHENTICATE), false);
  EXPECT_EQ(get_bool(km, CKA_LOCAL), true);
  EXPECT_EQ(get_ulong(km, CKA_KEY_GEN_MECHANISM), CK_ULONG{CKM_EC_KEY_PAIR_GEN});
  EXPECT_EQ(get_bool(km, CKA_DECRYPT), false);
  EXPECT_EQ(get_bool(km, CKA_MODIFIABLE), true);
  EXPECT_TRUE(km.count(CKA_ALLOWED_MECHANISMS));
  EXPECT_FALSE(km.count(CKA_VALUE));  // never held by the host

  Tmpl no_params;
  no_params.boolean(CKA_TOKEN, true);
  EXPECT_EQ(gen(kEcPub, no_params), CKR_TEMPLATE_INCOMPLETE);
  Tmpl explicit_params;
  explicit_params.raw(CKA_EC_PARAMS, hex("3081"));  // not an OID
  EXPECT_EQ(gen(kEcPub, explicit_params), CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl point_given;
  point_given.raw(CKA_EC_PARAMS, p256_params()).raw(CKA_EC_POINT, hex("0441"));
  EXPECT_EQ(gen(kEcPub, point_given), CKR_ATTRIBUTE_READ_ONLY);  // computed by the token
}

TEST(GenerateTemplate, PrivateKeyPolicy) {
  struct Bad {
    CK_ATTRIBUTE_TYPE type;
    bool value;
    CK_RV rv;
  };
  for (const Bad& b : {Bad{CKA_EXTRACTABLE, true, CKR_ATTRIBUTE_VALUE_INVALID},
                       Bad{CKA_SENSITIVE, false, CKR_ATTRIBUTE_VALUE_INVALID},
                       Bad{CKA_LOCAL, true, CKR_ATTRIBUTE_READ_ONLY},
                       Bad{CKA_ALWAYS_SENSITIVE, true, CKR_ATTRIBUTE_READ_ONLY},
                       Bad{CKA_NEVER_EXTRACTABLE, true, CKR_ATTRIBUTE_READ_ONLY}}) {
    Tmpl t;
    t.boolean(CKA_SIGN, true).boolean(b.type, b.value);
    EXPECT_EQ(gen(kEcPriv, t), b.rv) << b.type;
  }
  Tmpl ec_params;  // tolerated in the private half although footnote 4 forbids it
  ec_params.raw(CKA_EC_PARAMS, p256_params());
  EXPECT_EQ(gen(kEcPriv, ec_params), CKR_OK);
  Tmpl rsa_attr;
  rsa_attr.raw(CKA_MODULUS, Bytes(256, 1));
  EXPECT_EQ(gen(kEcPriv, rsa_attr), CKR_ATTRIBUTE_TYPE_INVALID);
  Tmpl value;
  value.raw(CKA_VALUE, Bytes(32, 1));
  EXPECT_EQ(gen(kEcPriv, value), CKR_ATTRIBUTE_READ_ONLY);
  Tmpl vendor;
  vendor.boolean(CKA_VENDOR_DEFINED | 7, true);
  EXPECT_EQ(gen(kEcPriv, vendor), CKR_ATTRIBUTE_TYPE_INVALID);
}

TEST(GenerateTemplate, RsaKeyPair) {
  Tmpl pub;
  pub.ulong(CKA_MODULUS_BITS, 2048).raw(CKA_PUBLIC_EXPONENT, {1, 0, 1}).boolean(CKA_ENCRYPT, true);
  EXPECT_EQ(gen(kRsaPub, pub), CKR_OK);
  Tmpl no_bits;
  no_bits.raw(CKA_PUBLIC_EXPONENT, {1, 0, 1});
  EXPECT_EQ(gen(kRsaPub, no_bits), CKR_TEMPLATE_INCOMPLETE);
  Tmpl modulus;
  modulus.ulong(CKA_MODULUS_BITS, 2048).raw(CKA_MODULUS, Bytes(256, 1));
  EXPECT_EQ(gen(kRsaPub, modulus), CKR_ATTRIBUTE_READ_ONLY);
  Tmpl odd_bits;
  odd_bits.ulong(CKA_MODULUS_BITS, 100);
  EXPECT_EQ(gen(kRsaPub, odd_bits), CKR_OK);  // a size: CKR_KEY_SIZE_RANGE is the mechanism's (templates.cpp)
  Tmpl zero_bits;
  zero_bits.ulong(CKA_MODULUS_BITS, 0);
  EXPECT_EQ(gen(kRsaPub, zero_bits), CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl priv;
  priv.boolean(CKA_DECRYPT, true).boolean(CKA_SIGN, true);
  AttrMap m;
  ASSERT_EQ(validate_template(Phase::Generate, kRsaPriv, priv, m), CKR_OK);
  EXPECT_EQ(get_bool(m, CKA_DECRYPT), true);
  EXPECT_EQ(get_bool(m, CKA_DERIVE), false);
}

TEST(Template, ValueShapesAndDuplicates) {
  Tmpl wide_bool;
  wide_bool.ulong(CKA_TOKEN, 1);  // CK_BBOOL must be one byte
  EXPECT_EQ(gen(kEcPriv, wide_bool), CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl two;
  two.raw(CKA_TOKEN, {2});
  EXPECT_EQ(gen(kEcPriv, two), CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl null_value;
  null_value.null(CKA_LABEL, 4);
  EXPECT_EQ(gen(kEcPriv, null_value), CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl null_empty;
  null_empty.null(CKA_LABEL, 0);
  EXPECT_EQ(gen(kEcPriv, null_empty), CKR_OK);
  Tmpl bad_date;
  bad_date.str(CKA_START_DATE, "2024-1-1");
  EXPECT_EQ(gen(kEcPriv, bad_date), CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl good_date;
  good_date.str(CKA_START_DATE, "20240101");
  EXPECT_EQ(gen(kEcPriv, good_date), CKR_OK);
  Tmpl same_twice;
  same_twice.str(CKA_LABEL, "a").str(CKA_LABEL, "a");
  EXPECT_EQ(gen(kEcPriv, same_twice), CKR_OK);
  Tmpl conflicting;
  conflicting.str(CKA_LABEL, "a").str(CKA_LABEL, "b");
  EXPECT_EQ(gen(kEcPriv, conflicting), CKR_TEMPLATE_INCONSISTENT);
  Tmpl mech_list;
  mech_list.raw(CKA_ALLOWED_MECHANISMS, Bytes(sizeof(CK_ULONG) + 1, 0));
  EXPECT_EQ(gen(kEcPriv, mech_list), CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl class_mismatch;
  class_mismatch.ulong(CKA_CLASS, CKO_PUBLIC_KEY);
  EXPECT_EQ(gen(kEcPriv, class_mismatch), CKR_TEMPLATE_INCONSISTENT);
}

TEST(CreateTemplate, CertificateFieldsDerivedFromValue) {
  const Bytes der = make_cert("greengrass-core");
  auto fields = crypto::parse_x509(der);
  ASSERT_TRUE(fields.ok());
  Tmpl t;
  t.ulong(CKA_CLASS, CKO_CERTIFICATE).ulong(CKA_CERTIFICATE_TYPE, CKC_X_509).boolean(CKA_TOKEN, true)
      .str(CKA_LABEL, "greengrass-core").raw(CKA_ID, {1}).raw(CKA_VALUE, der);
  AttrMap m;
  ASSERT_EQ(create(kCert, t, &m), CKR_OK);
  EXPECT_EQ(m[CKA_SUBJECT], fields->subject);
  EXPECT_EQ(m[CKA_ISSUER], fields->subject);  // self-signed
  EXPECT_EQ(to_hex(m[CKA_SERIAL_NUMBER]), "02021234");
  EXPECT_EQ(get_bool(m, CKA_TRUSTED), false);
  EXPECT_EQ(get_ulong(m, CKA_CERTIFICATE_CATEGORY), CK_ULONG{0});
  EXPECT_EQ(get_bool(m, CKA_PRIVATE), false);
  EXPECT_EQ(m[CKA_START_DATE].size(), 8u);
  Bytes sha1(20);
  unsigned n = 0;
  EVP_Digest(der.data(), der.size(), sha1.data(), &n, EVP_sha1(), nullptr);
  EXPECT_EQ(m[CKA_CHECK_VALUE], Bytes(sha1.begin(), sha1.begin() + 3));
  EXPECT_FALSE(m[CKA_PUBLIC_KEY_INFO].empty());

  Tmpl with_subject;
  with_subject.ulong(CKA_CLASS, CKO_CERTIFICATE).ulong(CKA_CERTIFICATE_TYPE, CKC_X_509).raw(CKA_VALUE, der)
      .raw(CKA_SUBJECT, fields->subject);
  EXPECT_EQ(create(kCert, with_subject), CKR_OK);
  Tmpl wrong_subject;
  wrong_subject.ulong(CKA_CERTIFICATE_TYPE, CKC_X_509).raw(CKA_VALUE, der).raw(CKA_SUBJECT, hex("3000"));
  EXPECT_EQ(create(kCert, wrong_subject), CKR_TEMPLATE_INCONSISTENT);
  Tmpl garbage;
  garbage.ulong(CKA_CERTIFICATE_TYPE, CKC_X_509).raw(CKA_VALUE, hex("3003020101"));
  EXPECT_EQ(create(kCert, garbage), CKR_ATTRIBUTE_VALUE_INVALID);
  Bytes trailing = der;
  trailing.push_back(0);
  Tmpl trail;
  trail.ulong(CKA_CERTIFICATE_TYPE, CKC_X_509).raw(CKA_VALUE, trailing);
  EXPECT_EQ(create(kCert, trail), CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl no_value;
  no_value.ulong(CKA_CERTIFICATE_TYPE, CKC_X_509).str(CKA_LABEL, "x");
  EXPECT_EQ(create(kCert, no_value), CKR_TEMPLATE_INCOMPLETE);
  Tmpl trusted;
  trusted.raw(CKA_VALUE, der).boolean(CKA_TRUSTED, true);
  EXPECT_EQ(create(kCert, trusted), CKR_ATTRIBUTE_READ_ONLY);
  Tmpl category;
  category.raw(CKA_VALUE, der).ulong(CKA_CERTIFICATE_CATEGORY, 5);
  EXPECT_EQ(create(kCert, category), CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl key_attr;
  key_attr.raw(CKA_VALUE, der).boolean(CKA_SIGN, true);
  EXPECT_EQ(create(kCert, key_attr), CKR_ATTRIBUTE_TYPE_INVALID);
}

TEST(CreateTemplate, EcPublicKeyPointMustMatchCurve) {
  EVP_PKEY* k = EVP_EC_gen("P-256");
  Bytes point(65);
  size_t len = 0;
  EVP_PKEY_get_octet_string_param(k, "pub", point.data(), point.size(), &len);
  EVP_PKEY_free(k);
  Tmpl good;
  good.raw(CKA_EC_PARAMS, p256_params()).raw(CKA_EC_POINT, crypto::ec_point_der(point));
  AttrMap m;
  ASSERT_EQ(create(kEcPub, good, &m), CKR_OK);
  EXPECT_EQ(get_bool(m, CKA_VERIFY), true);
  EXPECT_EQ(get_bool(m, CKA_ENCRYPT), false);
  Tmpl raw_point;  // not DER-wrapped
  raw_point.raw(CKA_EC_PARAMS, p256_params()).raw(CKA_EC_POINT, point);
  EXPECT_EQ(create(kEcPub, raw_point), CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl other_curve;
  other_curve.raw(CKA_EC_PARAMS, *se05x::ec_params_for_curve(se05x::Curve::NistP384)).raw(CKA_EC_POINT, crypto::ec_point_der(point));
  EXPECT_EQ(create(kEcPub, other_curve), CKR_ATTRIBUTE_VALUE_INVALID);
  Tmpl no_point;
  no_point.raw(CKA_EC_PARAMS, p256_params());
  EXPECT_EQ(create(kEcPub, no_point), CKR_TEMPLATE_INCOMPLETE);
  Tmpl bits;  // CKA_MODULUS_BITS is RSA-only
  bits.ulong(CKA_MODULUS_BITS, 2048);
  EXPECT_EQ(create(kEcPub, bits), CKR_ATTRIBUTE_TYPE_INVALID);
  Tmpl rsa_bits;  // computed by the token when creating an RSA public key
  rsa_bits.raw(CKA_MODULUS, Bytes(256, 0xC1)).raw(CKA_PUBLIC_EXPONENT, {1, 0, 1}).ulong(CKA_MODULUS_BITS, 2048);
  EXPECT_EQ(create(kRsaPub, rsa_bits), CKR_ATTRIBUTE_READ_ONLY);
  Tmpl rsa_pub;
  rsa_pub.raw(CKA_MODULUS, Bytes(256, 0xC1)).raw(CKA_PUBLIC_EXPONENT, {1, 0, 1});
  AttrMap rm;
  ASSERT_EQ(create(kRsaPub, rsa_pub, &rm), CKR_OK);
  EXPECT_EQ(get_ulong(rm, CKA_MODULUS_BITS), CK_ULONG{2048});
  EXPECT_EQ(get_bool(rm, CKA_ENCRYPT), true);
  EXPECT_TRUE(rm.at(CKA_PUBLIC_KEY_INFO).empty());  // default; the key model fills it
}

TEST(CreateTemplate, DataObjectDefaults) {
  Tmpl t;
  t.ulong(CKA_CLASS, CKO_DATA);
  AttrMap m;
  ASSERT_EQ(create(kData, t, &m), CKR_OK);
  EXPECT_EQ(get_bool(m, CKA_TOKEN), false);
  EXPECT_EQ(get_bool(m, CKA_PRIVATE), false);
  EXPECT_TRUE(m.at(CKA_VALUE).empty());
  EXPECT_TRUE(m.at(CKA_APPLICATION).empty());
  EXPECT_EQ(m.at(CKA_CLASS), ck_ulong(CKO_DATA));
}

TEST(SetAttributeValue, ModifiableRules) {
  Tmpl priv;
  priv.str(CKA_LABEL, "old");
  AttrMap key;
  ASSERT_EQ(validate_template(Phase::Generate, kEcPriv, priv, key), CKR_OK);
  AttrMap ch;
  Tmpl relabel;
  relabel.str(CKA_LABEL, "greengrass-core").raw(CKA_ID, {9});
  ASSERT_EQ(validate_set(kEcPriv, key, relabel, ch), CKR_OK);
  apply_changes(key, ch);
  EXPECT_EQ(key[CKA_ID], Bytes{9});
  EXPECT_EQ(key[CKA_LABEL], Bytes({'g', 'r', 'e', 'e', 'n', 'g', 'r', 'a', 's', 's', '-', 'c', 'o', 'r', 'e'}));

  auto check = [&](Tmpl t, CK_RV rv) {
    AttrMap c;
    EXPECT_EQ(validate_set(kEcPriv, key, t, c), rv);
  };
  check(std::move(Tmpl().ulong(CKA_CLASS, CKO_DATA)), CKR_ATTRIBUTE_READ_ONLY);
  check(std::move(Tmpl().ulong(CKA_KEY_TYPE, CKK_RSA)), CKR_ATTRIBUTE_READ_ONLY);
  check(std::move(Tmpl().boolean(CKA_TOKEN, false)), CKR_ATTRIBUTE_READ_ONLY);
  check(std::move(Tmpl().boolean(CKA_SENSITIVE, false)), CKR_ATTRIBUTE_READ_ONLY);    // only to TRUE
  check(std::move(Tmpl().boolean(CKA_EXTRACTABLE, true)), CKR_ATTRIBUTE_READ_ONLY);  // only to FALSE
  check(std::move(Tmpl().boolean(CKA_ALWAYS_SENSITIVE, false)), CKR_ATTRIBUTE_READ_ONLY);
  check(std::move(Tmpl().raw(CKA_MODULUS, {1})), CKR_ATTRIBUTE_TYPE_INVALID);
  check(std::move(Tmpl().raw(CKA_COPYABLE, {1, 0})), CKR_ATTRIBUTE_VALUE_INVALID);  // not a CK_BBOOL
  check(std::move(Tmpl().str(CKA_LABEL, "a").str(CKA_LABEL, "b")), CKR_TEMPLATE_INCONSISTENT);
  // A chip key's uses are its chip policy, fixed at creation (attr_rules_test.cpp).
  check(std::move(Tmpl().boolean(CKA_SIGN, false).boolean(CKA_DERIVE, false)), CKR_ATTRIBUTE_READ_ONLY);
  // Nothing may change once CKA_MODIFIABLE is FALSE.
  AttrMap frozen = key;
  frozen[CKA_MODIFIABLE] = ck_bool(false);
  AttrMap c;
  EXPECT_EQ(validate_set(kEcPriv, frozen, Tmpl().str(CKA_LABEL, "x"), c), CKR_ATTRIBUTE_READ_ONLY);
  // Certificates: label and ID yes, value no.
  Tmpl cert;
  cert.raw(CKA_VALUE, make_cert("c"));
  AttrMap cm;
  ASSERT_EQ(validate_template(Phase::Create, kCert, cert, cm), CKR_OK);
  EXPECT_EQ(validate_set(kCert, cm, Tmpl().raw(CKA_ID, {1}), c), CKR_OK);
  EXPECT_EQ(validate_set(kCert, cm, Tmpl().raw(CKA_VALUE, {1}), c), CKR_ATTRIBUTE_READ_ONLY);
  EXPECT_EQ(validate_set(kCert, cm, Tmpl().raw(CKA_SUBJECT, {1}), c), CKR_ATTRIBUTE_READ_ONLY);
  // Secret key: SENSITIVE may go FALSE -> TRUE.
  const ObjectKind sk{CKO_SECRET_KEY, CKK_GENERIC_SECRET};
  AttrMap s;
  ASSERT_EQ(validate_template(Phase::Generate, sk,
                              Tmpl().boolean(CKA_SENSITIVE, false).boolean(CKA_EXTRACTABLE, true).ulong(CKA_VALUE_LEN, 32),
                              s),
            CKR_OK);
  EXPECT_EQ(validate_set(sk, s, Tmpl().boolean(CKA_SENSITIVE, true), c), CKR_OK);
  EXPECT_EQ(validate_set(sk, s, Tmpl().boolean(CKA_EXTRACTABLE, false), c), CKR_OK);
}

TEST(KeyOrigin, GeneratedDerivedImported) {
  AttrMap m;
  ASSERT_EQ(validate_template(Phase::Generate, kEcPriv, Tmpl(), m), CKR_OK);
  set_key_origin(kEcPriv, KeyOrigin::Imported, CKM_EC_KEY_PAIR_GEN, m);
  EXPECT_EQ(get_bool(m, CKA_LOCAL), false);
  EXPECT_EQ(get_ulong(m, CKA_KEY_GEN_MECHANISM), CK_UNAVAILABLE_INFORMATION);
  EXPECT_EQ(get_bool(m, CKA_ALWAYS_SENSITIVE), false);
  const ObjectKind sk{CKO_SECRET_KEY, CKK_GENERIC_SECRET};
  AttrMap s;
  ASSERT_EQ(validate_template(Phase::Generate, sk, Tmpl(), s), CKR_OK);
  set_key_origin(sk, KeyOrigin::Derived, CKM_ECDH1_DERIVE, s);
  EXPECT_EQ(get_bool(s, CKA_LOCAL), false);
  EXPECT_EQ(get_bool(s, CKA_ALWAYS_SENSITIVE), true);
  EXPECT_EQ(get_bool(s, CKA_NEVER_EXTRACTABLE), true);
  Tmpl value;
  value.raw(CKA_VALUE, Bytes(32, 1));
  EXPECT_EQ(validate_template(Phase::Generate, sk, value, s), CKR_ATTRIBUTE_READ_ONLY);  // derive computes it
}

TEST(Encodings, EcParamsAndPoints) {
  EXPECT_EQ(to_hex(p256_params()), "06082A8648CE3D030107");
  EXPECT_EQ(to_hex(*se05x::ec_params_for_curve(se05x::Curve::NistP384)), "06052B81040022");
  EXPECT_EQ(to_hex(*se05x::ec_params_for_curve(se05x::Curve::NistP521)), "06052B81040023");
  EXPECT_EQ(se05x::curve_from_ec_params(hex("06082A8648CE3D030107")), se05x::Curve::NistP256);
  EXPECT_EQ(se05x::curve_from_ec_params(hex("06052B81040023")), se05x::Curve::NistP521);
  EXPECT_FALSE(se05x::curve_from_ec_params(hex("06082A8648CE3D03010700")));  // trailing byte
  EXPECT_FALSE(se05x::curve_from_ec_params(hex("0603550403")));              // an OID, not a curve
  EXPECT_FALSE(se05x::curve_from_ec_params({}));
  EXPECT_FALSE(se05x::ec_params_for_curve(se05x::Curve::Ed25519).ok());
  Bytes p65(65, 4), p133(133, 4);
  EXPECT_EQ(to_hex(ByteView(crypto::ec_point_der(p65)).first(3)), "044104");
  EXPECT_EQ(to_hex(ByteView(crypto::ec_point_der(p133)).first(4)), "04818504");
  EXPECT_EQ(*crypto::ec_point_from_der(crypto::ec_point_der(p133)), p133);
  EXPECT_FALSE(crypto::ec_point_from_der(hex("04820041")));
  EXPECT_FALSE(crypto::ec_point_from_der(hex("0402AA")));
  EXPECT_FALSE(crypto::ec_point_from_der(hex("04817F")));  // non-minimal long form
}

TEST(Encodings, PortableUlongs) {
  auto p = to_portable(AttrKind::Ulong, ck_ulong(0x01020304));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(to_hex(*p), "0000000001020304");
  auto back = from_portable(AttrKind::Ulong, *p);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, ck_ulong(0x01020304));
  auto un = from_portable(AttrKind::Ulong, hex("FFFFFFFFFFFFFFFF"));
  ASSERT_TRUE(un.ok());
  EXPECT_EQ(as_ulong(*un), CK_UNAVAILABLE_INFORMATION);
  const CK_MECHANISM_TYPE list[] = {CKM_ECDSA, CKM_ECDSA_SHA256};
  auto pl = to_portable(AttrKind::MechanismList, ck_mechanisms(list));
  ASSERT_TRUE(pl.ok());
  EXPECT_EQ(to_hex(*pl), "00000000000010410000000000001044");
  EXPECT_EQ(*from_portable(AttrKind::MechanismList, *pl), ck_mechanisms(list));
  EXPECT_FALSE(from_portable(AttrKind::Ulong, hex("0001")).ok());
  EXPECT_FALSE(from_portable(AttrKind::Bool, hex("02")).ok());
  EXPECT_FALSE(to_portable(AttrKind::Ulong, hex("01")).ok());
  if (sizeof(CK_ULONG) == 4) {
    EXPECT_FALSE(from_portable(AttrKind::Ulong, hex("0000000100000000")).ok());
  }
}

}  // namespace
}  // namespace sx::token::test
