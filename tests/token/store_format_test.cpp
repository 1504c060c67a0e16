#include <gtest/gtest.h>

#include "token/store_format.h"

namespace sx::token {
namespace {

TEST(StoreFormat, SlotLayoutIsAsDocumented) {
  auto img = encode_slot(1, 0x01020304, hex("AABB"));
  ASSERT_TRUE(img.ok());
  ASSERT_EQ(img->size(), kSlotHeaderLen + 2);
  EXPECT_EQ(to_hex(ByteView(*img).first(16)), "5358544D010100000102030400000002");
  EXPECT_EQ(to_hex(ByteView(*img).last(2)), "AABB");
  auto body = verify_slot(*img, 1);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(to_hex(*body), "AABB");
}

TEST(StoreFormat, AnySingleByteChangeOrTruncationIsDetected) {
  auto img = encode_slot(0, 7, hex("0102030405060708090A"));
  ASSERT_TRUE(img.ok());
  for (size_t i = 0; i < img->size(); ++i) {
    Bytes b = *img;
    b[i] ^= 0x01;
    EXPECT_FALSE(verify_slot(b, 0).ok()) << "byte " << i;
  }
  for (size_t n = 0; n < img->size(); ++n) EXPECT_FALSE(verify_slot(ByteView(*img).first(n), 0).ok()) << n;
  EXPECT_FALSE(verify_slot(*img, 1).ok()) << "image of the other slot";
  Bytes padded = *img;
  padded.resize(512, 0);  // capacity padding after the body is ignored
  EXPECT_TRUE(verify_slot(padded, 0).ok());
}

TEST(StoreFormat, TornWritesLeavingOldBytesAreDetected) {
  auto old_img = encode_slot(0, 5, Bytes(600, 0x55));
  auto new_img = encode_slot(0, 7, Bytes(600, 0x66));
  ASSERT_TRUE(old_img.ok() && new_img.ok());
  for (size_t keep : {size_t{1}, size_t{16}, size_t{31}, size_t{32}, size_t{250}, size_t{500}, size_t{631}}) {
    Bytes torn = *old_img;
    std::copy(new_img->begin(), new_img->begin() + static_cast<std::ptrdiff_t>(keep), torn.begin());
    // Either detected, or the tear changed nothing and the old image is intact.
    if (verify_slot(torn, 0).ok()) {
      EXPECT_EQ(torn, *old_img) << keep;
    }
  }
}

TEST(StoreFormat, NewerFormatIsUnsupportedNotMalformed) {
  auto img = encode_slot(0, 1, {});
  ASSERT_TRUE(img.ok());
  (*img)[4] = 2;
  EXPECT_EQ(parse_slot_header(*img).error().code, Errc::Unsupported);
  (*img)[4] = 0;
  EXPECT_EQ(parse_slot_header(*img).error().code, Errc::Malformed);
}

TEST(StoreFormat, RejectsGenerationZeroAndHugeBodies) {
  auto img = encode_slot(0, 0, {});
  ASSERT_TRUE(img.ok());
  EXPECT_FALSE(parse_slot_header(*img).ok());
  auto big = encode_slot(0, 1, {});
  (*big)[12] = 0x7F;
  EXPECT_FALSE(parse_slot_header(*big).ok());
  EXPECT_EQ(encode_slot(0, 1, Bytes(kMaxBody + 1)).error().code, Errc::NoMemory);
}

TEST(StoreFormat, PointerRoundTripAndEveryCorruption) {
  const Bytes p = encode_pointer({1, 0x00A0B0C0});
  ASSERT_EQ(p.size(), kPointerLen);
  EXPECT_EQ(to_hex(ByteView(p).first(12)), "53585450010100000" "0A0B0C0");
  auto back = parse_pointer(p);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->slot, 1);
  EXPECT_EQ(back->generation, 0x00A0B0C0u);
  for (size_t i = 0; i < p.size(); ++i) {
    Bytes b = p;
    b[i] ^= 0x04;
    EXPECT_FALSE(parse_pointer(b).ok()) << i;
  }
  Bytes zeros(kPointerLen, 0);  // a torn creation leaves zeros
  EXPECT_FALSE(parse_pointer(zeros).ok());
  EXPECT_FALSE(parse_pointer(ByteView(p).first(15)).ok());
}

}  // namespace
}  // namespace sx::token
