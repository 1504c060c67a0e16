// LinuxI2c (open + ioctl + read/write on i2c-dev) against the LD_PRELOAD shim
// and a Vi2cServer: a child process runs vi2c_probe with the shim preloaded.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "fake_bus.h"
#include "link/linux_i2c.h"
#include "link/vi2c.h"
#include "support/temp_dir.h"

extern char** environ;

namespace sx::link {
namespace {

// Runs the probe with the shim and returns its stdout.
std::string run_probe(const std::string& socket, const std::vector<std::string>& args) {
  std::vector<std::string> env = {
      std::string("LD_PRELOAD=") + SX_VI2C_PRELOAD_PATH,
      "SX_VI2C_DEVICE=/dev/i2c-7",
      "SX_VI2C_SOCKET=" + socket,
      // Sanitizer builds: the shim is preloaded ahead of the ASan runtime.
      "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0",
  };
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_s = {SX_VI2C_PROBE_PATH};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out[2];
  if (pipe(out) != 0) return "pipe failed";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  std::string text;
  if (rc == 0) {
    char buf[512];
    ssize_t n;
    while ((n = read(out[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) text += "[probe failed, status " + std::to_string(status) + "]";
  } else {
    text = "spawn failed";
  }
  close(out[0]);
  return text;
}

class PreloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path = dir.file("bus");
    ASSERT_TRUE(server.listen(path).ok());
    ASSERT_TRUE(server.start().ok());
  }
  sx::testing::TempDir dir;
  test::FakeBus bus;
  Vi2cServer server{bus, 0x48};
  std::string path;
};

TEST_F(PreloadTest, LinuxI2cReachesFakeBus) {
  bus.queue_reply(hex("A5 E1 00 2A 4B"));
  std::string out = run_probe(path, {"/dev/i2c-7", "0x48", "w:5AC100C1D7", "r:5", "r:2", "raw"});
  EXPECT_EQ(out,
            "open i2c:/dev/i2c-7:0x48\n"
            "ok\n"
            "ok A5E1002A4B\n"
            "err " + std::string(errc_name(Errc::Nack)) + " i2c: /dev/i2c-7@0x48: read: No such device or address\n"
            "ok\n");
  ASSERT_EQ(bus.writes().size(), 1u);
  EXPECT_EQ(bus.writes()[0], hex("5A C1 00 C1 D7"));
}

TEST_F(PreloadTest, WrongAddressNacks) {
  std::string out = run_probe(path, {"/dev/i2c-7", "0x20", "w:01"});
  EXPECT_EQ(out, "open i2c:/dev/i2c-7:0x20\nerr " + std::string(errc_name(Errc::Nack)) +
                     " i2c: /dev/i2c-7@0x20: write: No such device or address\n");
  EXPECT_TRUE(bus.writes().empty());
}

TEST_F(PreloadTest, OtherDevicesPassThrough) {
  // /dev/i2c-8 is not emulated: the real open() fails (no such device here).
  std::string out = run_probe(path, {"/dev/i2c-8", "0x48"});
  EXPECT_EQ(out.rfind("open-err " + std::string(errc_name(Errc::Io)) + " i2c: open /dev/i2c-8", 0), 0u) << out;
}

TEST_F(PreloadTest, NoServerFailsOpen) {
  std::string out = run_probe(dir.file("absent"), {"/dev/i2c-7", "0x48"});
  EXPECT_EQ(out.rfind("open-err " + std::string(errc_name(Errc::Io)) + " i2c: open /dev/i2c-7", 0), 0u) << out;
}

TEST(LinuxI2c, MissingDeviceIsIoError) {
  auto r = LinuxI2c::open("/nonexistent/i2c-9", 0x48);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Io);
  EXPECT_NE(r.error().message.find("/nonexistent/i2c-9"), std::string::npos);
  EXPECT_EQ(LinuxI2c::open("/dev/null", 0x80).error().code, Errc::InvalidArgument);
}

TEST(LinuxI2c, NonI2cDeviceRejected) {
  // /dev/null accepts open but not I2C_SLAVE.
  auto r = LinuxI2c::open("/dev/null", 0x48);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Io);
  EXPECT_NE(r.error().message.find("I2C_SLAVE"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace sx::link
