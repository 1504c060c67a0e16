#include "sim/ossl.h"

#include <openssl/core_names.h>

namespace sx::sim::ossl {

Bn bn_from(ByteView b) { return Bn(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr)); }

Bytes bn_bytes(const BIGNUM* bn, size_t width) {
  const int n = BN_num_bytes(bn);
  const size_t len = width > static_cast<size_t>(n) ? width : static_cast<size_t>(n);
  Bytes out(len);
  if (len > 0) BN_bn2binpad(bn, out.data(), static_cast<int>(len));
  return out;
}

ByteView strip_zeros(ByteView b) {
  size_t i = 0;
  while (i < b.size() && b[i] == 0) ++i;
  return b.subspan(i);
}

Bytes get_bn_param(const EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1 || bn == nullptr) return {};
  Bn owner(bn);
  return bn_bytes(bn);
}

}  // namespace sx::sim::ossl
