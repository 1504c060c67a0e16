// Validated attribute maps (token/attr) -> the token layer's requests:
// new-object attributes, key specs, imported key material, attribute updates.
#pragma once

#include <p11-kit/pkcs11.h>

#include "token/attr/attr_rules.h"
#include "token/key_material.h"
#include "token/object.h"

namespace sx::p11 {

// Label, CKA_ID, subject, application, object ID and CKA_PRIVATE of a new object.
// CKR_ATTRIBUTE_VALUE_INVALID for a label that is not UTF-8 or too long.
CK_RV new_object_attrs(const token::AttrMap& v, token::NewObject& out);

// C_GenerateKeyPair: the key spec from the mechanism and the public template,
// and the one label/ID/subject a pair carries (private template wins; two
// different given values are CKR_TEMPLATE_INCONSISTENT).
CK_RV key_pair_request(CK_MECHANISM_TYPE mech, const token::AttrMap& pub, const token::AttrMap& priv,
                       token::KeySpec& spec, token::NewObject& attrs);

// C_CreateObject of a private key: the components from the template.
CK_RV private_key_material(const token::ObjectKind& kind, const token::AttrMap& v, token::PrivateKeyMaterial& out);

// C_SetAttributeValue: the changes the token can store. Changes of anything
// else to a different value are CKR_ATTRIBUTE_READ_ONLY (the token has no
// place for them); setting the current value again is accepted.
CK_RV attribute_update(const token::AttrMap& current, const token::AttrMap& changes, token::AttributeUpdate& out);

// Wipes every value (templates of private-key imports).
void wipe(token::AttrMap& v);
// wipe() on scope exit when `on` (the values may hold key material).
struct WipeMap {
  token::AttrMap& v;
  bool on;
  ~WipeMap() {
    if (on) wipe(v);
  }
};

}  // namespace sx::p11
