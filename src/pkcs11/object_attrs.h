// What a token object looks like through PKCS#11: its kind and the value of
// every attribute it has (the bytes C_GetAttributeValue returns and
// C_FindObjects matches). Secrets are never part of it: private keys carry no
// private components at all.
#pragma once

#include <p11-kit/pkcs11.h>

#include <span>

#include "token/attr/attr_rules.h"
#include "token/object.h"

namespace sx::p11 {

token::ObjectKind kind_of(const token::Object& o);
token::AttrMap attributes_of(const token::Object& o);
// attributes_of(o) would lack values the chip object's bytes give (a description
// from the object index, docs/token-store.md §2.2, before Token::load_bytes).
bool attributes_need_bytes(const token::Object& o);
// A search template names an attribute only those bytes give.
bool template_needs_bytes(std::span<const CK_ATTRIBUTE> t);

}  // namespace sx::p11
