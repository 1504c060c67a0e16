#include "support/sim_process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <thread>

#include "support/exec_wrapper.h"
#include "support/test_binary.h"

namespace sx::testing {

namespace {

// Callers pass the build tree's simulator (SX_SIM_BINARY, a compile definition of
// the test target); SX_TEST_SIM points them all at another file, e.g. the one a
// Debian package installed, without each test resolving the override itself.
std::string resolve(std::string binary) {
#ifdef SX_SIM_BINARY
  // Compared as views, assigned in place: GCC 12 at -O2 reported a false
  // maybe-uninitialized on the temporaries of `binary == "literal"` + return.
  if (std::string_view(binary) == std::string_view(SX_SIM_BINARY))
    binary = sx::testing::sim_binary();
#endif
  return binary;
}

}  // namespace

SimProcess::SimProcess(std::string binary, std::vector<std::string> args)
    : binary_(resolve(std::move(binary))), args_(std::move(args)) {}

SimProcess::~SimProcess() { stop(); }

bool SimProcess::start(std::chrono::milliseconds timeout) {
  char tmpl[] = "/tmp/sx-sim-ready-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) return false;
  close(fd);
  ready_file_ = tmpl;
  std::filesystem::remove(ready_file_);

  std::vector<std::string> args = args_;
  args.push_back("--ready-file");
  args.push_back(ready_file_);
  // Under qemu-user the child goes through SX_TEST_EXEC_WRAPPER (see exec_wrapper.h).
  std::vector<std::string> argv_s = sx::test::child_argv(binary_, args);
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    // A test that crashes must not leave its simulator behind holding the test's pipes.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    sx::test::exec_child(argv.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::ifstream in(ready_file_);
    std::string line;
    std::vector<std::string> eps;
    bool complete = false;
    while (std::getline(in, line)) {
      if (line == "ready") complete = true;
      else if (!line.empty()) eps.push_back(line);
    }
    if (complete) {
      endpoints_ = eps;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop();
  return false;
}

void SimProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 300; ++i) {
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (pid_ > 0) kill_hard();
  if (!ready_file_.empty()) std::filesystem::remove(ready_file_);
}

void SimProcess::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st = 0;
  waitpid(pid_, &st, 0);
  pid_ = -1;
}

std::string sim_binary() {
#ifdef SX_SIM_BINARY
  return sx::test::binary_path("SX_TEST_SIM", SX_SIM_BINARY);
#else
  return sx::test::binary_path("SX_TEST_SIM", "se05x-sim");
#endif
}

std::unique_ptr<SimProcess> start_sim_in(const TempDir& dir, const std::string& nvm,
                                         const std::vector<std::string>& extra) {
  std::vector<std::string> args{"--nvm", dir.file(nvm), "--no-fsync", "--listen", "unix:" + dir.file("sim.sock")};
  args.insert(args.end(), extra.begin(), extra.end());
  auto p = std::make_unique<SimProcess>(sim_binary(), std::move(args));
  if (!p->start() || p->endpoints().size() != 1) return nullptr;
  return p;
}

}  // namespace sx::testing
