// The se05x-sim process: one Simulator served on every requested listener.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "broker/service.h"
#include "link/jrcp_server.h"
#include "link/vi2c.h"
#include "sim/simulator.h"
#include "sim_server/options.h"
#include "t1/card.h"

namespace sx::simd {

// --print-factory-ca: PEM of the simulated NXP CA on stdout; returns the exit code.
int print_factory_ca(const Options& o);

class Server : public link::JrcpBackend {
 public:
  explicit Server(Options o) : opt_(std::move(o)) {}
  ~Server() override;

  // Opens the simulator and binds every listener; returns the bound endpoints.
  Result<std::vector<std::string>> start();
  // Blocks until request_stop(); keeps the stats file fresh meanwhile.
  void wait();
  // Async-signal-safe.
  void request_stop() noexcept { stop_.store(true); }
  void shutdown();

  // JrcpBackend
  Bytes atr() override;
  Bytes transceive(ByteView capdu) override;

 private:
  void write_stats_file();
  void log(const std::string& s);

  Options opt_;
  std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<t1::Card> card_;  // the one T=1 card side shared by every vi2c connection
  std::vector<std::unique_ptr<broker::Service>> jrcp_;
  std::vector<std::unique_ptr<link::Vi2cServer>> vi2c_;
  std::atomic<bool> stop_{false};
  std::string last_stats_;
};

}  // namespace sx::simd
