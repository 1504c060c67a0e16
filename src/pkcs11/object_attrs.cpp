#include "pkcs11/object_attrs.h"

#include "crypto/ec.h"
#include "se05x/curves.h"
#include "crypto/x509_fields.h"

namespace sx::p11 {

namespace {

using token::AttrMap;
using token::ck_bool;
using token::ck_ulong;

Bytes str_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

void storage(const token::Object& o, CK_OBJECT_CLASS cls, AttrMap& m) {
  m[CKA_CLASS] = ck_ulong(cls);
  m[CKA_TOKEN] = ck_bool(true);
  m[CKA_PRIVATE] = ck_bool(o.is_private);
  m[CKA_MODIFIABLE] = ck_bool(o.modifiable);
  // C_CopyObject copies data, certificates and public keys; a private key cannot leave the chip.
  m[CKA_COPYABLE] = ck_bool(cls != CKO_PRIVATE_KEY);
  // Factory (NXP trust-provisioned) objects cannot be deleted.
  m[CKA_DESTROYABLE] = ck_bool(!o.factory);
  m[CKA_LABEL] = str_bytes(o.label);
}

void key_common(const token::Object& o, CK_KEY_TYPE kt, AttrMap& m) {
  m[CKA_KEY_TYPE] = ck_ulong(kt);
  m[CKA_ID] = o.id;
  m[CKA_START_DATE] = {};
  m[CKA_END_DATE] = {};
  // Only keys this module generated on the chip are known to be local; imported
  // and adopted keys (NXP factory keys included) say FALSE, as the spec asks.
  m[CKA_LOCAL] = ck_bool(o.local);
  m[CKA_KEY_GEN_MECHANISM] =
      ck_ulong(!o.local ? CK_UNAVAILABLE_INFORMATION : kt == CKK_EC ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN);
  m[CKA_ALLOWED_MECHANISMS] = {};
  m[CKA_SUBJECT] = o.subject;
  if (kt == CKK_EC) {
    m[CKA_EC_PARAMS] = o.ec_params;
  } else {
    m[CKA_MODULUS] = o.modulus;
    m[CKA_PUBLIC_EXPONENT] = o.public_exponent;
  }
}

void private_key(const token::Object& o, CK_KEY_TYPE kt, AttrMap& m) {
  storage(o, CKO_PRIVATE_KEY, m);
  key_common(o, kt, m);
  m[CKA_SENSITIVE] = ck_bool(true);
  m[CKA_EXTRACTABLE] = ck_bool(false);
  // A key imported through the module existed outside the chip; generated and
  // NXP trust-provisioned keys never did. Other adopted keys: unknown, so FALSE.
  const bool born_inside = o.local || o.factory;
  m[CKA_ALWAYS_SENSITIVE] = ck_bool(born_inside);
  m[CKA_NEVER_EXTRACTABLE] = ck_bool(born_inside);
  m[CKA_ALWAYS_AUTHENTICATE] = ck_bool(o.always_authenticate);
  m[CKA_WRAP_WITH_TRUSTED] = ck_bool(false);
  // As created (token::Object's usage, resolved for the key type; docs/pkcs11-module.md, "Key usage").
  m[CKA_SIGN] = ck_bool(o.sign);
  m[CKA_SIGN_RECOVER] = ck_bool(o.sign_recover);
  m[CKA_DECRYPT] = ck_bool(o.decrypt);
  m[CKA_UNWRAP] = ck_bool(o.unwrap);
  m[CKA_DERIVE] = ck_bool(o.derive);
}

void public_key(const token::Object& o, CK_KEY_TYPE kt, AttrMap& m) {
  storage(o, CKO_PUBLIC_KEY, m);
  key_common(o, kt, m);
  const bool rsa = kt == CKK_RSA;
  m[CKA_VERIFY] = ck_bool(o.verify);
  m[CKA_VERIFY_RECOVER] = ck_bool(o.verify_recover);
  m[CKA_ENCRYPT] = ck_bool(o.encrypt);
  m[CKA_WRAP] = ck_bool(o.wrap);
  m[CKA_DERIVE] = ck_bool(o.pub_derive);
  m[CKA_TRUSTED] = ck_bool(false);
  if (rsa) {
    m[CKA_MODULUS_BITS] = ck_ulong(o.modulus_bits);
  } else {
    m[CKA_EC_POINT] = crypto::ec_point_der(o.ec_point);
  }
}

void certificate(const token::Object& o, AttrMap& m) {
  storage(o, CKO_CERTIFICATE, m);
  m[CKA_CERTIFICATE_TYPE] = ck_ulong(CKC_X_509);
  m[CKA_TRUSTED] = ck_bool(false);
  m[CKA_CERTIFICATE_CATEGORY] = ck_ulong(0);
  m[CKA_ID] = o.id;
  m[CKA_SUBJECT] = o.subject;
  m[CKA_ISSUER] = o.issuer;
  m[CKA_SERIAL_NUMBER] = o.serial;
  m[CKA_VALUE] = o.value;
  m[CKA_URL] = {};
  m[CKA_HASH_OF_SUBJECT_PUBLIC_KEY] = {};
  m[CKA_HASH_OF_ISSUER_PUBLIC_KEY] = {};
  m[CKA_JAVA_MIDP_SECURITY_DOMAIN] = ck_ulong(0);
  m[CKA_NAME_HASH_ALGORITHM] = ck_ulong(CKM_SHA_1);
  if (auto f = crypto::parse_x509(o.value)) {
    m[CKA_CHECK_VALUE] = f->check_value;
    m[CKA_START_DATE] = f->not_before;
    m[CKA_END_DATE] = f->not_after;
    m[CKA_PUBLIC_KEY_INFO] = f->spki;
  }
}

void data_object(const token::Object& o, AttrMap& m) {
  storage(o, CKO_DATA, m);
  m[CKA_APPLICATION] = str_bytes(o.application);
  m[CKA_OBJECT_ID] = o.object_id;
  m[CKA_VALUE] = o.value;
}

CK_KEY_TYPE ck_key_type(token::KeyType k) { return k == token::KeyType::Rsa ? CKK_RSA : CKK_EC; }

}  // namespace

token::ObjectKind kind_of(const token::Object& o) {
  switch (o.cls) {
    case token::ObjectClass::PrivateKey: return {CKO_PRIVATE_KEY, ck_key_type(o.key_type)};
    case token::ObjectClass::PublicKey: return {CKO_PUBLIC_KEY, ck_key_type(o.key_type)};
    case token::ObjectClass::Certificate: return {CKO_CERTIFICATE, CKC_X_509};
    default: return {CKO_DATA, 0};
  }
}

bool attributes_need_bytes(const token::Object& o) {
  // An EC private key's attributes come from the index alone (curve, usage, label).
  return !o.bytes_loaded && !(o.cls == token::ObjectClass::PrivateKey && o.key_type == token::KeyType::Ec);
}

bool template_needs_bytes(std::span<const CK_ATTRIBUTE> t) {
  for (const CK_ATTRIBUTE& a : t) {
    switch (a.type) {
      case CKA_VALUE:
      case CKA_EC_POINT:
      case CKA_MODULUS:
      case CKA_PUBLIC_EXPONENT:
      case CKA_SUBJECT:
      case CKA_ISSUER:
      case CKA_SERIAL_NUMBER:
      case CKA_CHECK_VALUE:
      case CKA_START_DATE:
      case CKA_END_DATE:
      case CKA_PUBLIC_KEY_INFO: return true;
      default: break;
    }
  }
  return false;
}

AttrMap attributes_of(const token::Object& o) {
  AttrMap m;
  switch (o.cls) {
    case token::ObjectClass::PrivateKey: private_key(o, ck_key_type(o.key_type), m); break;
    case token::ObjectClass::PublicKey: public_key(o, ck_key_type(o.key_type), m); break;
    case token::ObjectClass::Certificate: certificate(o, m); break;
    default: data_object(o, m); break;
  }
  return m;
}

}  // namespace sx::p11
