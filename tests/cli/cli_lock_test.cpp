// The chip lock file serialises only processes that drive the chip's I2C bus
// themselves; a broker or JRCP server serialises everything else. Waiting for
// it is announced and bounded.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include "cli_harness.h"
#include "support/test_binary.h"

namespace sx::cli::test {
namespace {

using namespace std::chrono_literals;

class CliLock : public CliTest {
 protected:
  int held_ = -1;
  void hold() {
    held_ = ::open(file("lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(held_, 0);
    ASSERT_EQ(::flock(held_, LOCK_EX), 0);
  }
  void release() {
    if (held_ >= 0) ::close(held_);
    held_ = -1;
  }
  void TearDown() override {
    release();
    CliTest::TearDown();
  }
  // Runs se05x; if it has not finished after `patience`, the lock is released
  // (so an unbounded wait ends) and the test fails.
  CliRun run_while_held(const std::vector<std::string>& args) {
    auto f = std::async(std::launch::async, [&] { return se05x(args); });
    if (f.wait_for(30s) != std::future_status::ready) {
      release();
      ADD_FAILURE() << "se05x waited for the lock file without a bound";
    }
    return f.get();
  }
};

TEST_F(CliLock, ABrokerLinkDoesNotWaitForTheLockFile) {
  hold();
  // port() is the simulator's JRCP socket: it serialises the clients itself.
  const CliRun r = run_while_held({"list"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err.find("Waiting for another process"), std::string::npos) << r.err;
}

TEST_F(CliLock, ADirectI2cLinkWaitsABoundedTimeAndSaysSo) {
  sx::testing::SimProcess bus(sx::testing::sim_binary(),
                              {"--nvm", file("bus.nvm"), "--listen", "vi2c:" + file("i2c.sock")});
  ASSERT_TRUE(bus.start());
  ASSERT_EQ(bus.endpoints().size(), 1u);
  const std::string i2c = bus.endpoints()[0];
  hold();
  const CliRun r = run_while_held({"--port", i2c, "--lock-wait", "1", "list"});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("Waiting for another process that is using the chip (" + file("lock") + ")"), std::string::npos)
      << r.err;
  const auto e = r.err.find("se05x: error: ");
  ASSERT_NE(e, std::string::npos) << r.err;
  EXPECT_NE(r.err.find(file("lock"), e), std::string::npos) << "the error names the lock file: " << r.err;
  release();
  const CliRun ok = se05x({"--port", i2c, "list"});
  EXPECT_EQ(ok.rc, 0) << ok.err;
}

}  // namespace
}  // namespace sx::cli::test
