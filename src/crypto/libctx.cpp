#include "crypto/libctx.h"

#include <openssl/crypto.h>
#include <openssl/provider.h>

namespace sx::crypto {

namespace {

// OSSL_LIB_CTX_new() reads no configuration file (only the default context
// does), so OPENSSL_CONF cannot add providers or default properties here.
OSSL_LIB_CTX* make_context() {
  OSSL_LIB_CTX* ctx = OSSL_LIB_CTX_new();
  if (!ctx) return nullptr;
  if (!OSSL_PROVIDER_load(ctx, "default")) {
    OSSL_LIB_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

}  // namespace

OSSL_LIB_CTX* libctx() {
  // A null context here would silently fall back to the default one: the
  // provider is built into libcrypto, so this fails only without memory.
  static OSSL_LIB_CTX* const ctx = make_context();
  return ctx;
}

}  // namespace sx::crypto
