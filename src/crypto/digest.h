// The SHA digests the project uses, as one table (name, size, NID), fetched
// from crypto::libctx(); host hashing, random bytes and PBKDF2 on that context.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "base/bytes.h"
#include "crypto/ossl.h"

namespace sx::crypto {

enum class Digest : uint8_t { Sha1, Sha224, Sha256, Sha384, Sha512 };

struct DigestInfo {
  Digest digest;
  const char* name;  // OpenSSL algorithm name
  uint8_t size;      // output bytes
  int nid;
};

// The one SHA table, as data: lookups in it are constant expressions (an ECDSA
// signature fits its digest to the chip with one, docs/architecture.md).
inline constexpr std::array<DigestInfo, 5> kDigests = {{
    {Digest::Sha1, "SHA1", 20, NID_sha1},
    {Digest::Sha224, "SHA2-224", 28, NID_sha224},
    {Digest::Sha256, "SHA2-256", 32, NID_sha256},
    {Digest::Sha384, "SHA2-384", 48, NID_sha384},
    {Digest::Sha512, "SHA2-512", 64, NID_sha512},
}};

constexpr const DigestInfo& digest_info(Digest d) { return kDigests[static_cast<size_t>(d)]; }
constexpr size_t digest_size(Digest d) { return digest_info(d).size; }
// The SHA digest with this output size (20, 28, 32, 48, 64); nullopt otherwise.
constexpr std::optional<Digest> digest_of_size(size_t bytes) {
  for (const auto& i : kDigests)
    if (i.size == bytes) return i.digest;
  return std::nullopt;
}
// Fetched once from libctx(); never null unless libcrypto is out of memory.
const EVP_MD* md(Digest d);
// Output size of an EVP_MD (0 for null).
size_t md_size(const EVP_MD* md);

// Multi-part hash that never throws and reports failure as false.
class Hasher {
 public:
  bool init(const EVP_MD* md);
  bool update(ByteView data);
  std::optional<Bytes> finish();
  bool active() const { return ctx_ != nullptr; }

 private:
  ossl::MdCtx ctx_;
  const EVP_MD* md_ = nullptr;
};
std::optional<Bytes> hash(const EVP_MD* md, ByteView data);
inline std::optional<Bytes> hash(Digest d, ByteView data) { return hash(md(d), data); }

// Bytes from the context's DRBG (seeded by the kernel).
bool random_bytes(uint8_t* out, size_t n);
// PBKDF2-HMAC-SHA-256 with PKCS5_PBKDF2_HMAC's rules (no minimum salt, count
// or output length).
bool pbkdf2_sha256(std::string_view secret, ByteView salt, uint32_t iterations, uint8_t* out, size_t out_len);

}  // namespace sx::crypto
