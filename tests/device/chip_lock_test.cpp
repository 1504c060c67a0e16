// One chip lock: nested holds reach the link and the lock file once, and two
// holders of the same lock file exclude each other.
#include "device/chip_lock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "se05x/fake_channel.h"
#include "support/temp_dir.h"

namespace sx::device {
namespace {

using se05x::testing::FakeChannel;
using namespace std::chrono_literals;

TEST(ChipLock, NestedHoldsReachTheLinkOnce) {
  sx::testing::TempDir dir;
  FakeChannel link;
  ChipLockChannel ch(link, {dir.file("chip.lock"), 1000ms});
  {
    ChipLock outer(ch);
    ASSERT_TRUE(outer.status().ok());
    EXPECT_TRUE(std::filesystem::exists(dir.file("chip.lock")));
    {
      ChipLock inner(ch);
      ASSERT_TRUE(inner.status().ok());
    }
    EXPECT_EQ(link.unlocks, 0);  // the inner release must not free the broker
  }
  EXPECT_EQ(link.locks, 1);
  EXPECT_EQ(link.unlocks, 1);
  EXPECT_FALSE(ch.unlock().ok());  // unbalanced
}

class RefusingLink : public FakeChannel {
 public:
  Status lock() override { return make_error(Errc::Io, "broker gone"); }
};

TEST(ChipLock, AFailedLinkLockReleasesTheFile) {
  sx::testing::TempDir dir;
  const std::string p = dir.file("chip.lock");
  RefusingLink link;
  ChipLockChannel ch(link, {p, 1000ms});
  {
    ChipLock l(ch);
    EXPECT_EQ(l.status().error().code, Errc::Io);
  }
  auto again = FileLock::acquire(p, 0ms);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_TRUE(again->held());
}

TEST(ChipLock, TwoHoldersOfOneFileExcludeEachOther) {
  sx::testing::TempDir dir;
  const std::string p = dir.file("chip.lock");
  FakeChannel a_link, b_link;
  ChipLockChannel a(a_link, {p, 1000ms});
  ChipLockChannel b(b_link, {p, 20000ms});
  auto held = std::make_unique<ChipLock>(a);
  ASSERT_TRUE(held->status().ok());
  std::atomic<bool> got{false};
  std::thread th([&] {
    ChipLock l(b);
    got = l.status().ok();
  });
  for (int i = 0; i < 50 && !got; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_FALSE(got.load());
  held.reset();
  th.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(b_link.locks, 1);
}

TEST(ChipLock, NoLockFileMeansOnlyTheLinkLock) {
  FakeChannel link;
  ChipLockChannel ch(link, {});
  ChipLock l(ch);
  EXPECT_TRUE(l.status().ok());
  EXPECT_EQ(link.locks, 1);
}

}  // namespace
}  // namespace sx::device
