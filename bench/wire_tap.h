// A recording JRCP pass-through for the benchmarks: what a program really sends to the chip.
// The program under test connects to endpoint() instead of the simulator; every message is
// forwarded unchanged, and while recording is on each APDU exchange is summarised — headers
// and sizes only, never the data (a VerifySessionUserID carries a PIN-derived value).
// Used outside timed loops only: it runs a thread in the bench's own process.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "link/fd.h"

namespace sx::bench {

struct WireExchange {
  Bytes header;        // CLA INS P1 P2 of the C-APDU
  Bytes inner_header;  // of the command inside a session wrapper (80 05 …), else empty
  size_t to_chip = 0, from_chip = 0;  // C-APDU and R-APDU bytes
  uint16_t sw = 0;
};

class WireTap {
 public:
  // listen_path: the Unix socket to serve; upstream_path: the simulator's Unix socket.
  WireTap(std::string listen_path, std::string upstream_path);
  ~WireTap();
  WireTap(const WireTap&) = delete;
  WireTap& operator=(const WireTap&) = delete;

  bool ok() const { return listener_.valid(); }
  std::string endpoint() const { return "unix:" + listen_path_; }
  void record(bool on) { recording_ = on; }
  std::vector<WireExchange> take();

 private:
  void run();
  void serve(int client);

  std::string listen_path_, upstream_path_;
  link::Fd listener_;
  std::atomic<bool> stop_{false}, recording_{false};
  std::mutex mu_;
  std::vector<WireExchange> log_;
  std::thread thread_;
};

// "80 05 00 00 [80 03 0C 09] 60 B → 74 B 9000", one exchange per line part.
std::string describe(const WireExchange& e);

}  // namespace sx::bench
