// The X9.63 KDF of the crypto boundary against vectors computed outside this
// project (python3 hashlib, the loop of SEC 1 v2 §3.6.1 written out: H(Z ||
// counter_be32 || info), counter from 1, truncated), and against a second
// implementation in this file built from plain digests, not from OpenSSL's KDF.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "crypto/digest.h"
#include "crypto/kdf.h"

namespace sx::crypto {
namespace {

Bytes z32() {
  Bytes z(32);
  for (size_t i = 0; i < z.size(); ++i) z[i] = static_cast<uint8_t>(0x20 + i);
  return z;
}
Bytes z66() {
  Bytes z(66);
  for (size_t i = 0; i < z.size(); ++i) z[i] = static_cast<uint8_t>((7 * i + 3) & 0xFF);
  return z;
}
const std::string kInfo = "se05x-pkcs11 X9.63 test";
ByteView info() { return ByteView(reinterpret_cast<const uint8_t*>(kInfo.data()), kInfo.size()); }

Bytes kdf(Digest d, ByteView z, ByteView shared, size_t n) {
  Bytes out(n);
  auto st = x963_kdf(d, z, shared, out.data(), out.size());
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  return out;
}

struct Vector {
  Digest d;
  const char* no_info_16;   // Z = 20..3F, no shared info, 16 bytes
  const char* info_100;     // Z = 20..3F, info = kInfo, 100 bytes (several blocks, last one cut)
  const char* z66_info_1;   // Z = 66 bytes (P-521 size), info, 1 byte
};

// python3: see the comment at the top; printed 2026-12-07.
const Vector kVectors[] = {
    {Digest::Sha1, "ea9bf8c96497f15b374739e9619b5c25",
     "a177c4ac79d5d67f20478b7338e34bc303ebee1b6b4fb4bf81a253166c6f4914510569009f8ba26e22e2ead784ca496f1409f8de0b0e5fe"
     "04d920c3e62afa3c8317c760417d880969afad548171896e1b8f9ef52c399436ada49d27bae99d501fce480dd",
     "39"},
    {Digest::Sha224, "1e55550c4eb28c29b7410e9122adf24e",
     "b4191d669464041deafb8c3f0d6da7ff36f00e121d692c280e15c9dd8ec3374c23e8263f1872d3d7f961ba27e3c5fdeeb21c7705fd80f9a"
     "da604b0b24d71badd04de568201aca8c9dd75e1c0f628bd647f3cc1710c06a0a45ced2892bbc63fef8dcae87d",
     "0c"},
    {Digest::Sha256, "9600a8046a9830b2ae84c55dc49b53bf",
     "b40183ebdb6854f4efede655705cd95f84bbc2d87d36dd9517f9710c421d6b04d5195e838967e260d034a6e71f6fa9c10c82b7742764c86"
     "e71c434ea38e147cae81d60c339c90d15c149d043c00d00f219169a5d6a3f4e98227e93c8c91f8540da57fa4a",
     "3c"},
    {Digest::Sha384, "62ed4d658ec33a26ea718b961d768c41",
     "f1a741c7f4ecfebb0e6aaac388aecd5e62b76b918071e753a22c652c89d26ff67cb36ea6c14f97c53dd092f785db3e26c9ba4610249afac"
     "6a0f66a72604205c309416b6e8aad9ff217cba038f0fdab51f5b6f9624a71864db5b39a25faeb438c1c9bb4be",
     "28"},
    {Digest::Sha512, "19948ab30711e424a8218176a87f3c95",
     "f18ae5d3ac99d3033b05eedefdc04cedbc8e34f1d45b7d01848fa0ee651d0ee415a26830a701dea36b58168c78c3a082e8232237b8b5f05"
     "9b8e96d322fed3787de07373ae6999039e8dc3d77f3c2e730a34a514622292bf6cefc77f7be8f145d1c4a89a3",
     "8a"},
};

TEST(CryptoKdf, X963MatchesIndependentVectors) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(digest_info(v.d).name);
    EXPECT_EQ(kdf(v.d, z32(), {}, 16), hex(v.no_info_16));
    EXPECT_EQ(kdf(v.d, z32(), info(), 100), hex(v.info_100));
    EXPECT_EQ(kdf(v.d, z66(), info(), 1), hex(v.z66_info_1));
  }
}

// SEC 1 v2 §3.6.1 spelled out with one-shot digests (EVP_Digest), so a wrong
// counter width, start or byte order in the boundary would show.
Bytes x963_by_hand(Digest d, ByteView z, ByteView shared, size_t n) {
  Bytes out;
  for (uint32_t counter = 1; out.size() < n; ++counter) {
    Bytes block(z.begin(), z.end());
    for (int shift = 24; shift >= 0; shift -= 8) block.push_back(static_cast<uint8_t>(counter >> shift));
    block.insert(block.end(), shared.begin(), shared.end());
    Bytes h(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    EXPECT_EQ(EVP_Digest(block.data(), block.size(), h.data(), &len, md(d), nullptr), 1);
    out.insert(out.end(), h.begin(), h.begin() + len);
  }
  out.resize(n);
  return out;
}

TEST(CryptoKdf, X963MatchesASecondImplementation) {
  const Bytes z = z66();
  for (Digest d : {Digest::Sha1, Digest::Sha224, Digest::Sha256, Digest::Sha384, Digest::Sha512}) {
    SCOPED_TRACE(digest_info(d).name);
    for (size_t n : {size_t{1}, digest_size(d) - 1, digest_size(d), digest_size(d) + 1, size_t{1024}}) {
      EXPECT_EQ(kdf(d, z, info(), n), x963_by_hand(d, z, info(), n)) << n;
      EXPECT_EQ(kdf(d, z, {}, n), x963_by_hand(d, z, {}, n)) << n;
    }
  }
  // A shorter output is a prefix of a longer one (the KDF is a stream).
  const Bytes long_out = kdf(Digest::Sha256, z, info(), 77);
  EXPECT_EQ(kdf(Digest::Sha256, z, info(), 40), Bytes(long_out.begin(), long_out.begin() + 40));
}

TEST(CryptoKdf, X963RefusesEmptyAndHugeOutputs) {
  const Bytes z = z32();
  uint8_t one = 0;
  EXPECT_FALSE(x963_kdf(Digest::Sha256, z, {}, &one, 0).ok());
  EXPECT_FALSE(x963_kdf(Digest::Sha256, z, {}, nullptr, 16).ok());
  Bytes big(kX963MaxOutput + 1);
  EXPECT_FALSE(x963_kdf(Digest::Sha256, z, {}, big.data(), big.size()).ok());
  EXPECT_TRUE(x963_kdf(Digest::Sha256, z, {}, big.data(), kX963MaxOutput).ok());
}

}  // namespace
}  // namespace sx::crypto
