#include "crypto/kdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstring>
#include <string>

#include "crypto/libctx.h"
#include "crypto/ossl.h"

namespace sx::crypto {

Status x963_kdf(Digest d, ByteView z, ByteView shared_info, uint8_t* out, size_t out_len) {
  if (out_len == 0 || out_len > kX963MaxOutput || out == nullptr)
    return make_error(Errc::InvalidArgument, "X9.63 KDF: output length " + std::to_string(out_len) + " out of range");
  ossl::Kdf kdf(EVP_KDF_fetch(libctx(), "X963KDF", kPropq));
  ossl::KdfCtx ctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  if (!ctx) return ossl::crypto_error("X9.63 KDF: fetch");
  // OSSL_PARAM wants non-const pointers; the KDF only reads them.
  OSSL_PARAM params[4];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest_info(d).name), 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(z.data()), z.size());
  // An empty octet string is no "info" for OpenSSL: leave it out.
  if (!shared_info.empty())
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(shared_info.data()),
                                                    shared_info.size());
  params[n] = OSSL_PARAM_construct_end();
  if (EVP_KDF_derive(ctx.get(), out, out_len, params) != 1) {
    std::memset(out, 0, out_len);
    return ossl::crypto_error("X9.63 KDF");
  }
  return {};
}

}  // namespace sx::crypto
