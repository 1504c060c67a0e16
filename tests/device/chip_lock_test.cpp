// One chip lock: nested holds reach the link and the lock file once, and two
// holders of the same lock file exclude each other.
//
// The chip lock file must not be a denial-of-service handle for other local
// users: created without access for others, only owned by us (or root), never
// through a symlink, never in a directory anyone can rename it in, and waited
// for a bounded time.
#include "device/chip_lock.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
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

// ---- The lock file (FileLock) ----


mode_t mode_of(const std::string& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode;
}

// Holds `path` with flock from another open file description (as another process would).
struct Holder {
  int fd = -1;
  explicit Holder(const std::string& path, int flags = O_RDONLY) {
    fd = ::open(path.c_str(), flags | O_CLOEXEC);
    EXPECT_GE(fd, 0) << path;
    if (fd >= 0) {
      EXPECT_EQ(::flock(fd, LOCK_EX), 0);
    }
  }
  void release() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  ~Holder() { release(); }
};

TEST(FileLock, IsCreatedWithoutAccessForOthers) {
  sx::testing::TempDir dir;
  const std::string p = dir.file("chip.lock");
  auto l = FileLock::acquire(p);
  ASSERT_TRUE(l.ok()) << l.error().to_string();
  EXPECT_TRUE(l->held());
  EXPECT_TRUE(S_ISREG(mode_of(p)));
  // flock works on a read-only descriptor: whoever can open the file can stall us.
  EXPECT_EQ(mode_of(p) & 0007, 0u) << std::oct << mode_of(p);
}

TEST(FileLock, RefusesAFileOthersCanOpen) {
  sx::testing::TempDir dir;
  const std::string p = dir.file("chip.lock");
  const int fd = ::open(p.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::fchmod(fd, 0644), 0);
  ::close(fd);
  auto l = FileLock::acquire(p);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().message.find(p), std::string::npos) << l.error().message;
}

TEST(FileLock, RefusesASymlink) {
  sx::testing::TempDir dir;
  const std::string target = dir.file("elsewhere"), p = dir.file("chip.lock");
  ASSERT_EQ(::symlink(target.c_str(), p.c_str()), 0);
  auto l = FileLock::acquire(p);
  EXPECT_FALSE(l.ok());
  EXPECT_FALSE(std::filesystem::exists(target)) << "the lock followed the symlink";
}

TEST(FileLock, RefusesAFileOfAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file away";
  sx::testing::TempDir dir;
  const std::string p = dir.file("chip.lock");
  const int fd = ::open(p.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::fchown(fd, 65534, 65534), 0);
  ::close(fd);
  auto l = FileLock::acquire(p);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().message.find("owned by"), std::string::npos) << l.error().message;
}

TEST(FileLock, RefusesADirectoryEveryoneCanRenameItIn) {
  sx::testing::TempDir dir;
  const std::string d = dir.file("open");
  ASSERT_EQ(::mkdir(d.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(d.c_str(), 0777), 0);  // no sticky bit
  auto l = FileLock::acquire(d + "/chip.lock");
  EXPECT_FALSE(l.ok());
  // With the sticky bit (as /tmp, /run/lock) only the owner may rename: accepted.
  ASSERT_EQ(::chmod(d.c_str(), 01777), 0);
  auto s = FileLock::acquire(d + "/chip.lock");
  EXPECT_TRUE(s.ok()) << s.error().to_string();
}

TEST(FileLock, TheWaitIsBounded) {
  sx::testing::TempDir dir;
  const std::string p = dir.file("chip.lock");
  { ASSERT_TRUE(FileLock::acquire(p).ok()); }
  Holder other(p);
  auto waiting = std::async(std::launch::async, [&] { return FileLock::acquire(p, 200ms); });
  if (waiting.wait_for(60s) != std::future_status::ready) {
    other.release();  // unblock the waiter so the test can end
    FAIL() << "the wait for the lock file did not end";
  }
  auto l = waiting.get();
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, Errc::Timeout);
  EXPECT_NE(l.error().message.find(p), std::string::npos) << l.error().message;
  // Free again: taken at once.
  other.release();
  auto again = FileLock::acquire(p, 200ms);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_TRUE(again->held());
}

}  // namespace
}  // namespace sx::device
