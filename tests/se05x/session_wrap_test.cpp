// The session wrapper (docs/se05x-protocol.md §4.9.3) byte for byte against the three
// traces of NXP's middleware, and the inputs it must refuse.
#include "se05x/session_wrap.h"

#include <gtest/gtest.h>

#include "fake_channel.h"

namespace sx::se05x::session_wrap_test {
namespace {

using testing::cat;
using testing::filled;

const SessionId kSid{0x52, 0xD9, 0x9A, 0x04, 0xC6, 0x51, 0xBB, 0xD4};

std::string wrapped_hex(std::string_view inner) {
  auto r = wrap_in_session(hex(inner), kSid);
  return r ? to_hex(*r) : "error: " + r.error().to_string();
}

TEST(SessionWrap, VerifySessionUserIdTrace) {
  EXPECT_EQ(wrapped_hex("80 04 00 2C 07 41 05 C001020304"),
            to_hex(hex("80 05 00 00 18 10 08 52D99A04C651BBD4 41 0C 80 04 00 2C 07 41 05 C001020304")));
}

TEST(SessionWrap, CloseSessionTraceDropsTheLe) {
  const std::string want = to_hex(hex("80 05 00 00 10 10 08 52D99A04C651BBD4 41 04 80 04 00 1C"));
  EXPECT_EQ(wrapped_hex("80 04 00 1C"), want);
  // The client builds a data-less command with a lone 00 (an Le): the wrapper never carries one.
  EXPECT_EQ(wrapped_hex("80 04 00 1C 00"), want);
}

TEST(SessionWrap, ExtendedReadIdListTraceMakesTheOuterApduExtended) {
  EXPECT_EQ(wrapped_hex("80 02 00 25 00 00 07 41 02 0000 42 01 FF 00 00"),
            to_hex(hex("80 05 00 00 00 00 1A 10 08 52D99A04C651BBD4 41 0E 80 02 00 25 00 00 07 41 02 0000 42 01 FF 00 00")));
}

TEST(SessionWrap, LongShortInnerUsesA81Length) {
  // 200 data bytes: inner = 4 + 1 + 200 = 205 bytes, TAG_1 length 81 CD, outer Lc 10 + 3 + 205 = 218.
  const Bytes body = filled(200, 0xAB);
  auto r = wrap_in_session(cat({hex("80 01 00 00 C8"), body}), kSid);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(to_hex(*r), to_hex(cat({hex("80 05 00 00 DA 10 08 52D99A04C651BBD4 41 81 CD 80 01 00 00 C8"), body})));
}

TEST(SessionWrap, RefusesWhatItCannotCarry) {
  const Bytes ext_full = cat({hex("80 01 00 00 00 FF F0"), filled(0xFFF0, 0x02), hex("00 00")});
  const Bytes cases[] = {
      hex("80 04 00"),                                // shorter than a header
      hex("80 04 00 2C 07 41 05 C0"),                 // Lc says more than there is
      hex("80 05 00 00 10 10 08 52D99A04C651BBD4 41 04 80 04 00 1C"),  // a wrapper in a wrapper
      ext_full,
  };
  for (const Bytes& c : cases) {
    auto r = wrap_in_session(c, kSid);
    ASSERT_FALSE(r.ok()) << to_hex(c).substr(0, 40);
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  }
}

TEST(SessionWrap, AShortCommandTooLongForAShortWrapperGoesExtended) {
  // The largest short inner that fits a short wrapper: 255 - 10 (session ID) - 3 (41 81 LL) = 242 bytes.
  const Bytes fits = filled(237, 0x01), over = filled(238, 0x02);
  auto a = wrap_in_session(cat({hex("80 01 00 00 ED"), fits}), kSid);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(to_hex(*a), to_hex(cat({hex("80 05 00 00 FF 10 08 52D99A04C651BBD4 41 81 F2 80 01 00 00 ED"), fits})));
  // One byte more: inner Lc 00 00 EE, 4 + 3 + 238 = 245 bytes; outer 00 01 02 ... 00 00.
  auto b = wrap_in_session(cat({hex("80 01 00 00 EE"), over}), kSid);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(to_hex(*b),
            to_hex(cat({hex("80 05 00 00 00 01 02 10 08 52D99A04C651BBD4 41 81 F5 80 01 00 00 00 00 EE"), over, hex("00 00")})));
}

TEST(SessionWrap, RecognisesTheUnwrappedShapes) {
  EXPECT_TRUE(is_create_session(hex("80 04 00 1B 06 41 04 7DA00001")));
  EXPECT_FALSE(is_create_session(hex("80 04 00 1C")));
  EXPECT_TRUE(is_session_wrapped(hex("80 05 00 00 10")));
  EXPECT_FALSE(is_session_wrapped(hex("80 04 00 00")));
}

}  // namespace
}  // namespace sx::se05x::session_wrap_test
