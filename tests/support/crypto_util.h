// Small OpenSSL conveniences shared by the integration tests and benchmarks.
#pragma once

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/bytes.h"

namespace sx::testing {

inline Bytes random_bytes(size_t n) {
  Bytes b(n);
  RAND_bytes(b.data(), static_cast<int>(n));
  return b;
}

inline Bytes digest(const EVP_MD* md, ByteView m) {
  Bytes d(static_cast<size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  EVP_Digest(m.data(), m.size(), d.data(), &len, md, nullptr);
  return d;
}

}  // namespace sx::testing
