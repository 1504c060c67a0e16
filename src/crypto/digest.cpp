#include "crypto/digest.h"

#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <array>

#include "crypto/libctx.h"

namespace sx::crypto {

namespace {

struct FetchedDigests {
  std::array<EVP_MD*, kDigests.size()> md{};
  FetchedDigests() {
    for (size_t i = 0; i < kDigests.size(); ++i) md[i] = EVP_MD_fetch(libctx(), kDigests[i].name, kPropq);
  }
};

}  // namespace

const EVP_MD* md(Digest d) {
  // Fetched once; kept for the life of the process like libctx() itself.
  static const FetchedDigests* const fetched = new FetchedDigests();
  return fetched->md[static_cast<size_t>(d)];
}

size_t md_size(const EVP_MD* m) {
  const int n = m ? EVP_MD_get_size(m) : 0;
  return n > 0 ? static_cast<size_t>(n) : 0;
}

bool Hasher::init(const EVP_MD* m) {
  ctx_.reset(EVP_MD_CTX_new());
  md_ = m;
  if (!ctx_ || !m || EVP_DigestInit_ex(ctx_.get(), m, nullptr) != 1) {
    ctx_.reset();
    return false;
  }
  return true;
}

bool Hasher::update(ByteView data) {
  if (!ctx_) return false;
  if (data.empty()) return true;
  return EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) == 1;
}

std::optional<Bytes> Hasher::finish() {
  if (!ctx_) return std::nullopt;
  Bytes out(md_size(md_));
  unsigned int n = 0;
  const bool good = EVP_DigestFinal_ex(ctx_.get(), out.data(), &n) == 1 && n == out.size();
  ctx_.reset();
  if (!good) return std::nullopt;
  return out;
}

std::optional<Bytes> hash(const EVP_MD* m, ByteView data) {
  Hasher h;
  if (!h.init(m) || !h.update(data)) return std::nullopt;
  return h.finish();
}

bool random_bytes(uint8_t* out, size_t n) { return n == 0 || RAND_bytes_ex(libctx(), out, n, 0) == 1; }

bool pbkdf2_sha256(std::string_view secret, ByteView salt, uint32_t iterations, uint8_t* out, size_t out_len) {
  ossl::Kdf kdf(EVP_KDF_fetch(libctx(), "PBKDF2", kPropq));
  ossl::KdfCtx ctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  if (!ctx) return false;
  int pkcs5_rules = 1;  // the lower bounds PKCS5_PBKDF2_HMAC never enforced
  uint64_t iter = iterations;
  char digest[] = "SHA2-256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iter),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5_rules),
      OSSL_PARAM_construct_end(),
  };
  return EVP_KDF_derive(ctx.get(), out, out_len, params) == 1;
}

}  // namespace sx::crypto
