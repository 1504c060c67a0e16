#include "crypto/aes.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>

#include "crypto/libctx.h"

namespace sx::crypto {

namespace {

struct CipherCtxFree { void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); } };
struct MacCtxFree { void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); } };

enum class Mode { Ecb, Cbc };

// Fetched once per process from the private context (a fetch costs more than
// the AES of a whole APDU); never freed, like the context itself.
const EVP_CIPHER* cipher(Mode mode, size_t key_len) {
  static const EVP_CIPHER* const table[2][3] = {
      {EVP_CIPHER_fetch(libctx(), "AES-128-ECB", kPropq), EVP_CIPHER_fetch(libctx(), "AES-192-ECB", kPropq),
       EVP_CIPHER_fetch(libctx(), "AES-256-ECB", kPropq)},
      {EVP_CIPHER_fetch(libctx(), "AES-128-CBC", kPropq), EVP_CIPHER_fetch(libctx(), "AES-192-CBC", kPropq),
       EVP_CIPHER_fetch(libctx(), "AES-256-CBC", kPropq)},
  };
  const size_t row = mode == Mode::Ecb ? 0 : 1;
  switch (key_len) {
    case 16: return table[row][0];
    case 24: return table[row][1];
    case 32: return table[row][2];
    default: return nullptr;
  }
}

Result<Bytes> run(Mode mode, bool encrypt, ByteView key, ByteView iv, ByteView data) {
  const EVP_CIPHER* c = cipher(mode, key.size());
  if (!c) return make_error(Errc::InvalidArgument, "AES key must be 16, 24 or 32 bytes");
  if (data.size() % 16 != 0) return make_error(Errc::InvalidArgument, "AES data is not a multiple of 16 bytes");
  if (mode == Mode::Cbc && iv.size() != 16) return make_error(Errc::InvalidArgument, "AES-CBC IV must be 16 bytes");
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex2(ctx.get(), c, key.data(), mode == Mode::Cbc ? iv.data() : nullptr,
                                 encrypt ? 1 : 0, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1)
    return make_error(Errc::Crypto, "AES: cipher setup failed");
  Bytes out(data.size());
  int n = 0;
  if (!data.empty() && EVP_CipherUpdate(ctx.get(), out.data(), &n, data.data(), static_cast<int>(data.size())) != 1)
    return make_error(Errc::Crypto, "AES: cipher failed");
  int tail = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + n, &tail) != 1) return make_error(Errc::Crypto, "AES: cipher failed");
  return out;
}

}  // namespace

Result<Bytes> aes_ecb_encrypt(ByteView key, ByteView blocks) { return run(Mode::Ecb, true, key, {}, blocks); }
Result<Bytes> aes_ecb_decrypt(ByteView key, ByteView blocks) { return run(Mode::Ecb, false, key, {}, blocks); }
Result<Bytes> aes_cbc_encrypt(ByteView key, ByteView iv, ByteView blocks) {
  return run(Mode::Cbc, true, key, iv, blocks);
}
Result<Bytes> aes_cbc_decrypt(ByteView key, ByteView iv, ByteView blocks) {
  return run(Mode::Cbc, false, key, iv, blocks);
}

Result<Bytes> aes_cmac(ByteView key, ByteView data) {
  static EVP_MAC* const mac = EVP_MAC_fetch(libctx(), "CMAC", kPropq);
  const char* name = key.size() == 16 ? "AES-128-CBC" : key.size() == 24 ? "AES-192-CBC" : key.size() == 32 ? "AES-256-CBC" : nullptr;
  if (!name) return make_error(Errc::InvalidArgument, "AES-CMAC key must be 16, 24 or 32 bytes");
  if (!mac) return make_error(Errc::Crypto, "AES-CMAC unavailable");
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(mac));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, const_cast<char*>(name), 0),
      OSSL_PARAM_construct_end(),
  };
  Bytes out(16);
  size_t len = 0;
  if (!ctx || EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != 16)
    return make_error(Errc::Crypto, "AES-CMAC failed");
  return out;
}

}  // namespace sx::crypto
