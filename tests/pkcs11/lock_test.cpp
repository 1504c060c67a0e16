// The chip lock file: only direct I2C links take it (a broker or JRCP server
// serialises everything else), and its wait is bounded.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include "pkcs11/p11_fixture.h"

namespace sx::p11test {
namespace {

using namespace std::chrono_literals;

class LockFile : public P11Test {
 protected:
  int held = -1;
  void hold(const std::string& path) {
    held = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(held, 0);
    ASSERT_EQ(::flock(held, LOCK_EX), 0);
  }
  void release() {
    if (held >= 0) ::close(held);
    held = -1;
  }
  void TearDown() override {
    release();
    unsetenv("SE05X_T1_TIMING");
    P11Test::TearDown();
  }
  // Runs `work`; an unbounded wait is ended by releasing the lock, and fails the test.
  template <class F>
  void bounded(F&& work) {
    auto done = std::async(std::launch::async, std::forward<F>(work));
    if (done.wait_for(60s) != std::future_status::ready) {
      release();
      ADD_FAILURE() << "the module waited for the lock file without a bound";
    }
    done.get();
  }
};

TEST_F(LockFile, ABrokerLinkNeverWaitsForTheLockFile) {
  // SE05X_PORT is the simulator's JRCP socket (unix:): it serialises the clients.
  hold(dir->file("p11.lock"));
  bounded([&] {
    init();
    provision();
    CK_SESSION_HANDLE s = open();
    login(s);
    auto [pub, priv] = generate_ec(s, "k", Bytes{0x01});
    EXPECT_NE(priv, CK_INVALID_HANDLE);
    EXPECT_EQ(sign(s, priv, CKM_ECDSA, Bytes(32, 0x5A)).size(), 64u);
  });
}

TEST_F(LockFile, ADirectI2cLinkWaitsABoundedTime) {
  sx::testing::SimProcess bus(sim_path(), {"--nvm", dir->file("bus.nvm"), "--no-fsync", "--listen",
                                           "vi2c:" + dir->file("i2c.sock")});
  ASSERT_TRUE(bus.start());
  ASSERT_EQ(bus.endpoints().size(), 1u);
  setenv("SE05X_PORT", bus.endpoints()[0].c_str(), 1);
  setenv("SE05X_T1_TIMING", "immediate", 1);
  use_config(dir->file("i2c.conf"), "lock_file = " + dir->file("i2c.lock") +
                                        "\nlock_wait_ms = 300\npin_iterations = 1000\nlog_level = none\n");
  init();
  hold(dir->file("i2c.lock"));
  bounded([&] {
    CK_TOKEN_INFO ti;
    EXPECT_EQ(f->C_GetTokenInfo(0, &ti), CKR_TOKEN_NOT_PRESENT);
  });
  release();
  CK_TOKEN_INFO ti;
  EXPECT_EQ(f->C_GetTokenInfo(0, &ti), CKR_OK);
  // An open token: an operation that cannot get the lock fails with a device error.
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  auto [pub, priv] = generate_ec(s, "k", Bytes{0x01});
  hold(dir->file("i2c.lock"));
  bounded([&] {
    CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
    ASSERT_EQ(f->C_SignInit(s, &m, priv), CKR_OK);
    Bytes digest(32, 0x5A), sig(64);
    CK_ULONG n = sig.size();
    EXPECT_EQ(f->C_Sign(s, digest.data(), digest.size(), sig.data(), &n), CKR_DEVICE_ERROR);
  });
}

}  // namespace
}  // namespace sx::p11test
