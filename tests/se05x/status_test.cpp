#include "se05x/status.h"

#include <gtest/gtest.h>

namespace sx::se05x {
namespace {

TEST(Status, OkIsOk) { EXPECT_TRUE(check(Response{{}, 0x9000}, "X").ok()); }

TEST(Status, StatusWordError) {
  auto st = check(Response{{}, 0x6A80}, "ReadObject");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::StatusWord);
  EXPECT_EQ(st.error().sw, 0x6A80);
  EXPECT_EQ(st.error().message.rfind("ReadObject: wrong data", 0), 0u) << st.error().message;
  EXPECT_NE(st.error().message.find("6A80"), std::string::npos);
}

TEST(Status, MemoryFullIsNoMemory) {
  Error e = status_error("WriteBinary", 0x6A84);
  EXPECT_EQ(e.code, Errc::NoMemory);
  EXPECT_EQ(e.sw, 0x6A84);
  EXPECT_EQ(e.message, "WriteBinary: not enough memory (SW 6A84)");
}

TEST(Status, UnknownSwStillReadable) {
  Error e = status_error("GetVersion", 0x6123);
  EXPECT_EQ(e.code, Errc::StatusWord);
  EXPECT_EQ(e.message, "GetVersion: unknown status word (SW 6123)");
  EXPECT_STREQ(sw_meaning(0x6985), "conditions not satisfied (e.g. wrong object type for this operation)");
}

}  // namespace
}  // namespace sx::se05x
