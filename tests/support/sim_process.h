// Runs the se05x-sim program as a child process for integration tests and
// benchmarks: start with arguments, wait until its listeners are ready, stop.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/temp_dir.h"  // TempDir, which users of SimProcess need beside it

namespace sx::testing {

class SimProcess {
 public:
  // binary: path of se05x-sim (or another program that honours --ready-file);
  // args: its arguments (a --ready-file is added). The build tree's se05x-sim
  // (SX_SIM_BINARY) is replaced by $SX_TEST_SIM when set, and the child is started
  // through $SX_TEST_EXEC_WRAPPER when set (support/exec_wrapper.h).
  SimProcess(std::string binary, std::vector<std::string> args);
  ~SimProcess();
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  // Starts the process and waits until it reports its listeners; false on failure.
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // SIGTERM, then SIGKILL after a grace period.
  void stop();
  // SIGKILL at once (a crash / power loss of the host side).
  void kill_hard();
  bool running() const { return pid_ > 0; }
  // The listeners as the simulator reported them (one connection string each,
  // with port 0 replaced by the bound port).
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  pid_t pid() const { return pid_; }

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string ready_file_;
  std::vector<std::string> endpoints_;
  pid_t pid_ = -1;
};

// The se05x-sim the tests run: the build tree's (SX_SIM_BINARY), or $SX_TEST_SIM.
std::string sim_binary();

// The simulated chip of most process-level tests: se05x-sim with its NVM in dir/<nvm>,
// listening on unix:dir/sim.sock, without fsync; `extra` adds arguments. Started and
// ready (its one endpoint is endpoints()[0]), or null.
std::unique_ptr<SimProcess> start_sim_in(const TempDir& dir, const std::string& nvm = "chip.nvm",
                                         const std::vector<std::string>& extra = {});

}  // namespace sx::testing
