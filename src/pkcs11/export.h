// Marks the C entry points as the only symbols the module exports (the
// library is built with -fvisibility=hidden plus a version script).
#pragma once

#include <p11-kit/pkcs11.h>

#define SX_P11_EXPORT extern "C" __attribute__((visibility("default")))
