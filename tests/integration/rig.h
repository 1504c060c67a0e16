// A simulator plus a host-stack channel to it, over one of the transports:
//   t1        in-process: t1::Host -> t1::Card -> Simulator (no sockets)
//   jrcp-tcp  se05x-sim child process, JRCP v1 over TCP loopback
//   jrcp-unix se05x-sim child process, JRCP v1 over a Unix socket
//   vi2c      se05x-sim child process, virtual I2C bus; the host runs the unmodified
//             Linux i2c-dev transport on a fake /dev path redirected by the LD_PRELOAD shim
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "device/reselect_channel.h"
#include "link/apdu_channel.h"
#include "sim/simulator.h"
#include "support/sim_process.h"
#include "t1/card.h"
#include "t1/host.h"

namespace sx::testing {

class Rig {
 public:
  virtual ~Rig() = default;
  virtual link::ApduChannel& channel() = 0;
  // Stops the simulator (keeping its NVM file), starts it again and reconnects.
  virtual Status restart() = 0;
  const std::string& nvm_path() const { return nvm_; }

 protected:
  TempDir dir_;
  std::string nvm_ = dir_.file("se050.nvm");
};

// kind: t1 | jrcp-tcp | jrcp-unix | vi2c
Result<std::unique_ptr<Rig>> make_rig(const std::string& kind, const std::string& variant = "SE050C");

// True when this process runs with the vi2c LD_PRELOAD shim.
bool preload_active();

// The in-process rig, with access to the simulator and the card for fault injection.
class InProcessRig : public Rig {
 public:
  explicit InProcessRig(std::string variant) : variant_(std::move(variant)) {}
  Status start();
  link::ApduChannel& channel() override { return *recovering_; }
  Status restart() override;
  sim::Simulator& sim() { return *sim_; }
  t1::Card& card() { return *card_; }
  t1::Host& host() { return *host_; }

 private:
  std::string variant_;
  std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<t1::Card> card_;
  std::unique_ptr<t1::Host> host_;
  std::unique_ptr<device::ReselectChannel> recovering_;  // the device stack's reset recovery, as open_channel gives
};

}  // namespace sx::testing
