#include "base/result.h"

#include <gtest/gtest.h>

namespace sx {
namespace {

Result<int> half(int x) {
  if (x % 2) return make_error(Errc::InvalidArgument, "odd");
  return x / 2;
}

Result<int> quarter(int x) {
  SX_ASSIGN(int h, half(x));
  SX_ASSIGN(int q, half(h));
  return q;
}

TEST(Result, PropagatesFirstError) {
  ASSERT_TRUE(quarter(8).ok());
  EXPECT_EQ(*quarter(8), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_EQ(r.error().to_string(), "invalid argument: odd");
}

TEST(Result, StatusWordInText) {
  Error e{Errc::StatusWord, "ReadObject", 0x6A80, false};
  EXPECT_EQ(e.to_string(), "status word (SW 6A80): ReadObject");
}

}  // namespace
}  // namespace sx
