// Virtual I2C bus: exports an I2cBus (the simulator's T=1 card side) on a
// Unix socket so that the real i2c-dev transport (via the LD_PRELOAD shim in
// tools/vi2c_preload) and unmodified i2c-dev programs can reach the
// simulator, and imports it again as an I2cBus (Vi2cClient, "vi2c:PATH").
// Wire format: link/vi2c_wire.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "link/fd.h"
#include "link/i2c_bus.h"

namespace sx::link {

// All connections share the one bus, like one chip on one physical bus:
// each transaction runs under a mutex. One thread accepts, one thread per
// connection serves it (at most 64 connections).
class Vi2cServer {
 public:
  explicit Vi2cServer(I2cBus& bus, uint8_t address = 0x48);
  ~Vi2cServer();
  Vi2cServer(const Vi2cServer&) = delete;
  Vi2cServer& operator=(const Vi2cServer&) = delete;

  // Replaces a stale socket file; removes it again on destruction.
  Status listen(const std::string& path);
  Status start();
  void stop();  // idempotent; closes all connections and joins all threads

  std::function<void(const std::string&)> log;  // set before start()

 private:
  void accept_loop();
  void serve(int fd);

  I2cBus& bus_;
  uint8_t address_;
  std::mutex bus_mu_;
  Fd listener_;
  Fd wake_;
  std::string path_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex conns_mu_;
  struct Conn {
    Fd fd;
    std::thread th;
    bool done = false;
  };
  std::list<Conn> conns_;
};

class Vi2cClient : public I2cBus {
 public:
  static Result<std::unique_ptr<Vi2cClient>> connect(const std::string& path, uint8_t address = 0x48,
                                                     int timeout_ms = 30000);
  Status write(std::span<const uint8_t> data) override;
  Status read(std::span<uint8_t> out) override;
  std::string describe() const override;

 private:
  Vi2cClient(Fd fd, std::string path, int timeout_ms) : fd_(std::move(fd)), path_(std::move(path)), timeout_ms_(timeout_ms) {}
  Status request(uint8_t op, uint16_t arg, std::span<const uint8_t> data, std::span<uint8_t> out);

  Fd fd_;
  std::string path_;
  int timeout_ms_;
};

}  // namespace sx::link
