#include "token/mech/rsa_padding.h"

#include <array>

#include "crypto/digest.h"
#include "token/mech/mechanism_table.h"

namespace sx::token {

namespace {

// Constant-time helpers on size_t masks (all ones = true).
size_t ct_is_zero(size_t x) { return ((~x & (x - 1)) >> (sizeof(size_t) * 8 - 1)) * ~size_t{0}; }
size_t ct_eq(size_t a, size_t b) { return ct_is_zero(a ^ b); }
size_t ct_select(size_t mask, size_t a, size_t b) { return (mask & a) | (~mask & b); }
// a >= b for values well below SIZE_MAX/2.
size_t ct_ge(size_t a, size_t b) { return ct_is_zero((a - b) >> (sizeof(size_t) * 8 - 1)); }

}  // namespace

CK_RV emsa_pkcs1_v15_encode(ByteView t, size_t k, Bytes& em) {
  if (k < 11 || t.size() > k - 11) return CKR_DATA_LEN_RANGE;
  em.assign(k, 0xFF);
  em[0] = 0x00;
  em[1] = 0x01;
  em[k - t.size() - 1] = 0x00;
  std::copy(t.begin(), t.end(), em.end() - static_cast<std::ptrdiff_t>(t.size()));
  return CKR_OK;
}

bool mgf1(const EVP_MD* md, ByteView seed, size_t len, Bytes& mask) {
  mask.clear();
  mask.reserve(len + 64);
  Bytes block(seed.begin(), seed.end());
  block.resize(seed.size() + 4);
  for (uint32_t counter = 0; mask.size() < len; ++counter) {
    for (int i = 0; i < 4; ++i) block[seed.size() + static_cast<size_t>(i)] = static_cast<uint8_t>(counter >> (24 - 8 * i));
    auto h = crypto::hash(md, block);
    if (!h || h->empty()) return false;
    append(mask, *h);
  }
  mask.resize(len);
  return true;
}

size_t pss_max_salt(uint32_t mod_bits, const EVP_MD* md) {
  if (mod_bits < 2) return 0;
  const size_t em_len = (mod_bits - 1 + 7u) / 8u;
  const size_t h = crypto::md_size(md);
  return em_len >= h + 2 ? em_len - h - 2 : 0;
}

bool emsa_pss_encode(ByteView mhash, ByteView salt, uint32_t mod_bits, const PssParams& p, Bytes& em) {
  const size_t h_len = crypto::md_size(p.md);
  if (mod_bits < 2 || h_len == 0 || mhash.size() != h_len) return false;
  const uint32_t em_bits = mod_bits - 1;
  const size_t em_len = (em_bits + 7u) / 8u;
  if (em_len < h_len + salt.size() + 2) return false;
  // H = Hash(00*8 || mHash || salt)
  Bytes m_prime(8, 0x00);
  append(m_prime, mhash);
  append(m_prime, salt);
  auto hh = crypto::hash(p.md, m_prime);
  if (!hh) return false;
  const size_t db_len = em_len - h_len - 1;
  Bytes db(db_len, 0x00);
  db[db_len - salt.size() - 1] = 0x01;
  std::copy(salt.begin(), salt.end(), db.end() - static_cast<std::ptrdiff_t>(salt.size()));
  Bytes mask;
  if (!mgf1(p.mgf_md, *hh, db_len, mask)) return false;
  for (size_t i = 0; i < db_len; ++i) db[i] ^= mask[i];
  db[0] &= static_cast<uint8_t>(0xFFu >> (8 * em_len - em_bits));
  const size_t k = (mod_bits + 7u) / 8u;
  em.assign(k - em_len, 0x00);  // 1 byte when mod_bits = 8m + 1
  append(em, db);
  append(em, *hh);
  em.push_back(0xBC);
  return true;
}

bool eme_pkcs1_v15_decode(ByteView em, Bytes& message) {
  const size_t k = em.size();
  if (k < 11) return false;
  size_t good = ct_eq(em[0], 0x00) & ct_eq(em[1], 0x02);
  size_t found = 0, zero_at = 0;
  for (size_t i = 2; i < k; ++i) {
    const size_t is_zero = ct_is_zero(em[i]);
    zero_at = ct_select(~found & is_zero, i, zero_at);
    found |= is_zero;
  }
  good &= found;
  good &= ct_ge(zero_at, 10);  // PS of at least 8 bytes
  if (!good) return false;     // single branch after the whole scan
  message.assign(em.begin() + static_cast<std::ptrdiff_t>(zero_at + 1), em.end());
  return true;
}

bool eme_oaep_decode(ByteView em, const OaepParams& p, Bytes& message) {
  const size_t k = em.size();
  const size_t h_len = crypto::md_size(p.md);
  if (h_len == 0 || k < 2 * h_len + 2) return false;
  auto l_hash = crypto::hash(p.md, p.label);
  if (!l_hash) return false;
  ByteView masked_seed = em.subspan(1, h_len);
  ByteView masked_db = em.subspan(1 + h_len);
  Bytes seed_mask, db_mask;
  if (!mgf1(p.mgf_md, masked_db, h_len, seed_mask)) return false;
  Bytes seed(h_len);
  for (size_t i = 0; i < h_len; ++i) seed[i] = masked_seed[i] ^ seed_mask[i];
  if (!mgf1(p.mgf_md, seed, masked_db.size(), db_mask)) return false;
  Bytes db(masked_db.size());
  for (size_t i = 0; i < db.size(); ++i) db[i] = masked_db[i] ^ db_mask[i];

  size_t good = ct_is_zero(em[0]);
  size_t diff = 0;
  for (size_t i = 0; i < h_len; ++i) diff |= static_cast<size_t>(db[i] ^ (*l_hash)[i]);
  good &= ct_is_zero(diff);
  size_t found = 0, one_at = 0, bad = 0;
  for (size_t i = h_len; i < db.size(); ++i) {
    const size_t is_one = ct_eq(db[i], 0x01);
    const size_t is_zero = ct_is_zero(db[i]);
    one_at = ct_select(~found & is_one, i, one_at);
    bad |= ~found & ~is_one & ~is_zero;
    found |= is_one;
  }
  good &= found & ~bad;
  secure_wipe(seed);
  if (!good) {
    secure_wipe(db);
    return false;
  }
  message.assign(db.begin() + static_cast<std::ptrdiff_t>(one_at + 1), db.end());
  secure_wipe(db);
  return true;
}

}  // namespace sx::token
