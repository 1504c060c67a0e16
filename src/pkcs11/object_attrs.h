// What a token object looks like through PKCS#11: its kind and the value of
// every attribute it has (the bytes C_GetAttributeValue returns and
// C_FindObjects matches). Secrets are never part of it: private keys carry no
// private components at all.
#pragma once

#include "token/attr/attr_rules.h"
#include "token/object.h"

namespace sx::p11 {

token::ObjectKind kind_of(const token::Object& o);
token::AttrMap attributes_of(const token::Object& o);

}  // namespace sx::p11
