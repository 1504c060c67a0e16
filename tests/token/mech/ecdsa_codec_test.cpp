#include <gtest/gtest.h>

#include "base/bytes.h"
#include "token/mech/ecdsa_codec.h"
#include "token/mech/rsa_padding.h"

namespace sx::token::test {
namespace {

TEST(EcdsaNormalise, PadsAndTruncates) {
  Bytes out;
  ASSERT_EQ(ecdsa_normalise(hex("0102"), 256, out), CKR_OK);
  EXPECT_EQ(out.size(), 32u);
  EXPECT_EQ(to_hex(out), std::string(60, '0') + "0102");
  Bytes in(40);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i + 1);
  ASSERT_EQ(ecdsa_normalise(in, 256, out), CKR_OK);
  EXPECT_EQ(out, Bytes(in.begin(), in.begin() + 32));
  ASSERT_EQ(ecdsa_normalise(in, 384, out), CKR_OK);
  EXPECT_EQ(out.size(), 48u);
  EXPECT_EQ(Bytes(out.begin() + 8, out.end()), in);
  EXPECT_EQ(ecdsa_normalise({}, 256, out), CKR_DATA_LEN_RANGE);
  EXPECT_EQ(ecdsa_normalise(in, 192, out), CKR_KEY_SIZE_RANGE);  // 24-byte order: no chip algo
}

TEST(EcdsaNormalise, P521BitShift) {
  Bytes out;
  // 66 bytes (528 bits) -> leftmost 521 bits = value >> 7.
  Bytes in(66, 0x00);
  in[1] = 0x01;    // bit 519 of the 528-bit value
  in[65] = 0x80;   // bit 7: becomes bit 0
  ASSERT_EQ(ecdsa_normalise(in, 521, out), CKR_OK);
  ASSERT_EQ(out.size(), 64u);
  EXPECT_EQ(out[0], 0x02);   // value bit 512 -> bit 505
  EXPECT_EQ(out[63], 0x01);  // value bit 7 -> bit 0
  in[0] = 0x01;              // bit 520 -> 513: more than 64 bytes
  EXPECT_EQ(ecdsa_normalise(in, 521, out), CKR_DATA_LEN_RANGE);
}

TEST(EcdsaDer, StrictParsing) {
  Bytes out;
  ASSERT_TRUE(ecdsa_der_to_raw(hex("3006 020101 020102"), 32, out));
  EXPECT_EQ(out.size(), 64u);
  EXPECT_EQ(out[31], 1);
  EXPECT_EQ(out[63], 2);
  ASSERT_TRUE(ecdsa_der_to_raw(hex("3007 02020080 020102"), 32, out));  // 00 before a high bit
  EXPECT_EQ(out[31], 0x80);
  EXPECT_FALSE(ecdsa_der_to_raw(hex("3007 02020001 020102"), 32, out));  // non-minimal
  EXPECT_FALSE(ecdsa_der_to_raw(hex("3006 020181 020102"), 32, out));    // negative
  EXPECT_FALSE(ecdsa_der_to_raw(hex("3006 020100 020102"), 32, out));    // zero
  EXPECT_FALSE(ecdsa_der_to_raw(hex("3007 020101 020102 00"), 32, out)); // junk inside
  EXPECT_FALSE(ecdsa_der_to_raw(hex("3006 020101 020102 00"), 32, out)); // junk after
  EXPECT_FALSE(ecdsa_der_to_raw(hex("3005 020101 020102"), 32, out));    // short length
  EXPECT_FALSE(ecdsa_der_to_raw(hex("308106 020101 020102"), 32, out));  // non-minimal length
  EXPECT_FALSE(ecdsa_der_to_raw(hex("3106 020101 020102"), 32, out));    // SET
  EXPECT_FALSE(ecdsa_der_to_raw(hex("3003 020101"), 32, out));           // one integer
  EXPECT_FALSE(ecdsa_der_to_raw(hex("3080 020101 020102 0000"), 32, out));  // indefinite
  EXPECT_FALSE(ecdsa_der_to_raw({}, 32, out));
  Bytes big = hex("3026 0221 01");
  big.resize(big.size() + 32, 0x11);
  append(big, hex("020102"));
  EXPECT_FALSE(ecdsa_der_to_raw(big, 32, out));  // 33-byte r for a 32-byte half
}

TEST(EcdsaDer, RoundTrip) {
  Bytes raw(64, 0);
  raw[0] = 0x80;
  raw[63] = 0x05;
  Bytes der, back;
  ASSERT_TRUE(ecdsa_raw_to_der(raw, der));
  EXPECT_EQ(to_hex(der).substr(0, 10), "3026022100");
  ASSERT_TRUE(ecdsa_der_to_raw(der, 32, back));
  EXPECT_EQ(back, raw);
  Bytes raw521(132, 0xFF);
  raw521[0] = 0x01;
  ASSERT_TRUE(ecdsa_raw_to_der(raw521, der));
  EXPECT_EQ(der[1], 0x81);
  ASSERT_TRUE(ecdsa_der_to_raw(der, 66, back));
  EXPECT_EQ(back, raw521);
  EXPECT_FALSE(ecdsa_raw_to_der(Bytes(63, 1), der));
}

TEST(RsaPadding, Pkcs1Type1Layout) {
  Bytes em;
  ASSERT_EQ(emsa_pkcs1_v15_encode(hex("AABB"), 16, em), CKR_OK);
  EXPECT_EQ(to_hex(em), "0001FFFFFFFFFFFFFFFFFFFFFF00AABB");
  EXPECT_EQ(emsa_pkcs1_v15_encode(Bytes(6), 16, em), CKR_DATA_LEN_RANGE);
  EXPECT_EQ(to_hex(digest_info_prefix(CKM_SHA256)), "3031300D060960864801650304020105000420");
  EXPECT_TRUE(digest_info_prefix(CKM_MD5).empty());
}

}  // namespace
}  // namespace sx::token::test
