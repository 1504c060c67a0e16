#include "token/key_usage.h"

#include <optional>

#include "token/metadata.h"

namespace sx::token {

namespace {

struct UsageRow {
  std::optional<bool> NewObject::*requested;
  bool Object::*reported;
  bool ec_default, rsa_default;  // what every version before the bits reported
  uint32_t if_true, if_false;    // the bit saying a non-default value (0: no such value)
};

namespace of = objflag;
constexpr UsageRow kRows[] = {
    {&NewObject::sign, &Object::sign, true, true, 0, of::kNoSign},
    {&NewObject::decrypt, &Object::decrypt, false, true, of::kDecrypt, of::kNoDecrypt},
    {&NewObject::derive, &Object::derive, true, false, of::kDerive, of::kNoDerive},
    {&NewObject::unwrap, &Object::unwrap, false, false, of::kUnwrap, 0},
    {&NewObject::sign_recover, &Object::sign_recover, false, false, of::kSignRecover, 0},
    {&NewObject::verify, &Object::verify, true, true, 0, of::kPubNoVerify},
    {&NewObject::encrypt, &Object::encrypt, false, true, of::kPubEncrypt, of::kPubNoEncrypt},
    {&NewObject::wrap, &Object::wrap, false, false, of::kPubWrap, 0},
    {&NewObject::verify_recover, &Object::verify_recover, false, false, of::kPubVerifyRecover, 0},
    {&NewObject::pub_derive, &Object::pub_derive, false, false, of::kPubDerive, 0},
    {&NewObject::always_authenticate, &Object::always_authenticate, false, false, of::kAlwaysAuthenticate, 0},
};

bool default_for(const UsageRow& r, KeyType kt) { return kt == KeyType::Rsa ? r.rsa_default : r.ec_default; }

}  // namespace

uint32_t usage_flags(const NewObject& a, KeyType kt) {
  uint32_t f = 0;
  for (const UsageRow& r : kRows) {
    const std::optional<bool>& v = a.*r.requested;
    if (v && *v != default_for(r, kt)) f |= *v ? r.if_true : r.if_false;
  }
  return f;
}

void resolve_usage(uint32_t flags, KeyType kt, Object& o) {
  for (const UsageRow& r : kRows) {
    bool v = default_for(r, kt);
    if (flags & r.if_false) v = false;
    else if (flags & r.if_true) v = true;
    o.*r.reported = v;
  }
}

}  // namespace sx::token
