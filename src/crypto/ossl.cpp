#include "crypto/ossl.h"

#include <openssl/err.h>

namespace sx::ossl {

Bn bn_from(ByteView b) { return Bn(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr)); }

Bytes bn_bytes(const BIGNUM* bn, size_t width) {
  if (!bn) return {};
  const size_t n = static_cast<size_t>(BN_num_bytes(bn));
  Bytes out(width > n ? width : n);
  BN_bn2binpad(bn, out.data(), static_cast<int>(out.size()));
  return out;
}

ByteView strip_zeros(ByteView b) {
  size_t i = 0;
  while (i < b.size() && b[i] == 0) ++i;
  return b.subspan(i);
}

Bytes get_bn_param(const EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return {};
  Bn owned(bn);
  return bn_bytes(owned.get());
}

std::string last_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (!e) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

Error crypto_error(const std::string& what) { return make_error(Errc::Crypto, what + ": " + last_error()); }

}  // namespace sx::ossl
