// A key's usage attributes as metadata record bits and back (objflag,
// docs/token-store.md §2.3, docs/pkcs11-module.md "Key usage"). One table holds each
// attribute's default per key type and its TRUE / FALSE bits, so what a new key
// writes and what merge() reads back cannot disagree.
#pragma once

#include <cstdint>

#include "token/object.h"
#include "token/types.h"

namespace sx::token {

// The record bits of a new key's usage attributes: nothing where an attribute is
// unset or the key type's default (records of older versions, without bits, read
// as those defaults).
uint32_t usage_flags(const NewObject& a, KeyType kt);
// The usage attributes a record's flags give (0: no record -- adopted and factory
// keys keep the defaults).
void resolve_usage(uint32_t flags, KeyType kt, Object& o);

}  // namespace sx::token
