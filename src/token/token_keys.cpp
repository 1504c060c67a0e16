// Token front-ends that create keys, certificates and data objects: argument checks and the
// chip writes of each kind, handed to create_objects() (token_ops.cpp) for the commit protocol.
#include <utility>

#include "crypto/x509_fields.h"
#include "se05x/policy.h"
#include "token/key_usage.h"
#include "token/token.h"

namespace sx::token {

namespace {

Error refused(const std::string& what) { return make_error(Errc::InvalidArgument, what); }

Status check_certificate(ByteView der) {
  if (der.size() > se05x::kMaxBinaryFile) return refused("certificate larger than a chip file (32767 bytes)");
  if (!crypto::parse_x509(der).ok()) return refused("not a DER X.509 certificate");
  return {};
}

}  // namespace

// The chip signs with an RSA key through the raw private operation, which is its
// DECRYPT right (docs/se05x-protocol.md §4.6.10): it cannot allow one of CKA_SIGN
// and CKA_DECRYPT without the other, so a key asking for that is refused, not
// half-honoured (docs/pkcs11-module.md, "Key usage").
Status Token::check_usage(const NewObject& a, KeyType kt) {
  if (kt == KeyType::Rsa && a.sign.value_or(true) != a.decrypt.value_or(true))
    return refused("RSA key: CKA_SIGN and CKA_DECRYPT must be equal (the chip's raw RSA operation serves both)");
  return {};
}

// Rights of the user's entry left out of a new key's chip policy: the uses its
// attributes deny. EC: SIGN, KA (ECDH), DECRYPT (no EC decryption here). RSA:
// SIGN, and DECRYPT -- the raw operation both signing and decryption run on --
// only when neither is allowed (check_usage() refuses the mixed case).
uint32_t Token::withheld_rights(const NewObject& a, KeyType kt) {
  namespace pol = se05x::policy;
  const bool rsa = kt == KeyType::Rsa;
  uint32_t w = 0;
  if (!a.sign.value_or(true)) w |= pol::kAllowSign;
  if (rsa ? !a.sign.value_or(true) && !a.decrypt.value_or(true) : !a.decrypt.value_or(false)) w |= pol::kAllowDecrypt;
  if (!a.derive.value_or(!rsa)) w |= pol::kAllowKeyAgreement;
  return w;
}

Result<ObjectRef> Token::generate_key_pair(const KeySpec& spec, const NewObject& attrs) {
  SX_TRY(check_usage(attrs, spec.type));
  if (spec.type == KeyType::Ec) {
    if (!curve_allowed(spec.curve)) return refused("EC key generation: P-256, P-384 or P-521 only");
    if (!applet7_) {
      // Curve objects are chip-global, not ours: created (idempotently) before the intent.
      SX_ASSIGN(auto lock, take_lock());
      SX_TRY(client_.ensure_curve(spec.curve));
    }
    const Bytes pol = creation_policy(ObjectClass::PrivateKey, true, withheld_rights(attrs, KeyType::Ec));
    return create_object({ObjectClass::PrivateKey, KeyType::Ec, attrs, objflag::kLocal | usage_flags(attrs, KeyType::Ec),
                          [&](uint32_t id) { return client_.generate_ec_key(id, spec.curve, pol); }});
  }
  if (spec.type == KeyType::Rsa) {
    if (!rsa_bits_supported(spec.rsa_bits))
      return refused("RSA key generation: 1024, 1152, 2048, 3072 or 4096 bits only");
    const Bytes pol = creation_policy(ObjectClass::PrivateKey, true, withheld_rights(attrs, KeyType::Rsa));
    return create_object({ObjectClass::PrivateKey, KeyType::Rsa, attrs, objflag::kLocal | usage_flags(attrs, KeyType::Rsa), [&](uint32_t id) {
                            return client_.generate_rsa_key(id, spec.rsa_bits, se05x::RsaFormat::Crt, pol);
                          }});
  }
  return refused("key type must be EC or RSA");
}

// The write wipes the material; so does the caller's PrivateKeyMaterial on any way out.
Result<Token::Creation> Token::key_creation(PrivateKeyMaterial& key, const NewObject& attrs) {
  if (EcKeyMaterial* ec = key.ec()) {
    SX_TRY(complete_ec_key(*ec));
    if (!applet7_) {
      SX_ASSIGN(auto lock, take_lock());
      SX_TRY(client_.ensure_curve(ec->curve));
    }
    SX_TRY(check_usage(attrs, KeyType::Ec));
    const uint32_t withheld = withheld_rights(attrs, KeyType::Ec);
    return Creation{ObjectClass::PrivateKey, KeyType::Ec, attrs, usage_flags(attrs, KeyType::Ec), [this, &key, ec, withheld](uint32_t id) {
                      const Bytes pol = creation_policy(ObjectClass::PrivateKey, true, withheld);
                      se05x::EcKeyWrite w;
                      w.policy = pol;
                      w.id = id;
                      w.curve = ec->curve;
                      w.part = se05x::KeyPart::Pair;
                      w.private_key = ec->d;
                      w.public_key = ec->q;
                      Status st = client_.write_ec_key(w);
                      key.wipe();
                      return st;
                    }};
  }
  if (RsaKeyMaterial* r = key.rsa()) {
    const uint16_t bits = r->bits();
    if (!rsa_bits_supported(bits)) return refused("RSA import: 1024, 1152, 2048, 3072 or 4096 bits only");
    SX_TRY(check_usage(attrs, KeyType::Rsa));
    const uint32_t withheld = withheld_rights(attrs, KeyType::Rsa);
    return Creation{ObjectClass::PrivateKey, KeyType::Rsa, attrs, usage_flags(attrs, KeyType::Rsa), [this, &key, r, bits, withheld](uint32_t id) {
                      const Bytes pol = creation_policy(ObjectClass::PrivateKey, true, withheld);
                      se05x::RsaKeyImport k;
                      k.policy = pol;
                      k.id = id;
                      k.bits = bits;
                      k.part = se05x::KeyPart::Pair;
                      k.format = se05x::RsaFormat::Crt;
                      k.p = r->p;
                      k.q = r->q;
                      k.dp = r->dp;
                      k.dq = r->dq;
                      k.qinv = r->qinv;
                      k.e = r->e;
                      k.n = r->n;
                      Status st = client_.import_rsa_key(k);
                      key.wipe();
                      return st;
                    }};
  }
  return refused("no key material");
}

Result<ObjectRef> Token::import_private_key(PrivateKeyMaterial key, const NewObject& attrs) {
  SX_ASSIGN(Creation c, key_creation(key, attrs));
  return create_object(std::move(c));
}

Result<std::pair<ObjectRef, ObjectRef>> Token::import_private_key_with_certificate(PrivateKeyMaterial key,
                                                                                   ByteView cert_der,
                                                                                   const NewObject& attrs) {
  SX_TRY(check_certificate(cert_der));
  SX_ASSIGN(Creation k, key_creation(key, attrs));
  NewObject ca;
  ca.label = attrs.label;
  ca.id = attrs.id;
  std::vector<Creation> list;
  list.push_back(std::move(k));
  list.push_back(Creation{ObjectClass::Certificate, KeyType::None, ca, 0,
                          [&](uint32_t id) {
                            return client_.create_binary(id, cert_der, creation_policy(ObjectClass::Certificate, false));
                          },
                          true});
  SX_ASSIGN(std::vector<ObjectRef> refs, create_objects(std::move(list)));
  return std::make_pair(refs[0], refs[1]);
}

Result<ObjectRef> Token::create_certificate(ByteView der, const NewObject& attrs) {
  SX_TRY(check_certificate(der));
  return create_object({ObjectClass::Certificate, KeyType::None, attrs, 0, [&](uint32_t id) {
                          return client_.create_binary(id, der, creation_policy(ObjectClass::Certificate, false));
                        }});
}

Result<ObjectRef> Token::replace_certificate(uint32_t old_chip_id, ByteView der, const NewObject& attrs) {
  SX_TRY(check_certificate(der));
  const Object* old = find({old_chip_id, ObjectClass::Certificate});
  if (!old) return make_error(Errc::NotFound, "no certificate at chip object " + default_label(old_chip_id));
  if (old->factory)
    return make_error(Errc::Unsupported, default_label(old_chip_id) + " is a factory certificate and cannot be replaced");
  std::vector<Creation> one;
  one.push_back({ObjectClass::Certificate, KeyType::None, attrs, 0, [&](uint32_t id) {
                   return client_.create_binary(id, der, creation_policy(ObjectClass::Certificate, false));
                 }});
  SX_ASSIGN(std::vector<ObjectRef> refs, create_objects(std::move(one), old_chip_id));
  return refs.front();
}

Result<ObjectRef> Token::create_data(ByteView value, const NewObject& attrs) {
  if (value.empty() || value.size() > se05x::kMaxBinaryFile) return refused("data object must be 1..32767 bytes");
  const bool priv = attrs.is_private.value_or(false);
  return create_object({ObjectClass::Data, KeyType::None, attrs, 0, [&, priv](uint32_t id) {
                          return client_.create_binary(id, value, creation_policy(ObjectClass::Data, priv));
                        }});
}

}  // namespace sx::token
