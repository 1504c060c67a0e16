#pragma once

#include "token/mech/ck.h"

namespace sx::token::test {

inline CK_MECHANISM mech(CK_MECHANISM_TYPE t) { return CK_MECHANISM{t, nullptr, 0}; }
template <class P>
CK_MECHANISM mech(CK_MECHANISM_TYPE t, P& params) {
  return CK_MECHANISM{t, &params, sizeof(P)};
}

}  // namespace sx::token::test
