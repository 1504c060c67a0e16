// A generic JRCP v1 server: the simulator's front end and the basis of the
// broker. One poll() thread serves any number of TCP and Unix listeners and
// clients; the backend is called from that thread only, one request at a
// time, so it needs no locking of its own.
//
// Protocol behaviour (designed to fix Appendix F's accessManager failures):
// * exactly one reply per request, nothing unsolicited;
// * WAIT_FOR_CARD -> ATR; APDU_DATA -> backend (empty reply = no answer);
// * LOCK/UNLOCK nest per client; while one client holds the lock the other
//   clients are not read at all (their requests stay queued in the kernel)
//   and are then served round-robin. The lock ends on the matching UNLOCK,
//   on disconnect of the holder, or lock_hold_max after it was taken (the
//   holder then silently loses it). UNLOCK without LOCK is answered normally;
// * CLOSE -> `03 00 00 00`, then the connection is closed;
// * TERMINAL_INFO, DEBUG_INFO -> empty reply of the same type;
// * STATUS, INIT_DATA, INFO_TEXT, unknown types, and QUIT unless allowed ->
//   ERROR (`03 00 00 01 <request MTY>`); the connection stays open;
// * bad NAD or a payload over max_payload -> that client is dropped; partial
//   messages never block other clients (non-blocking sockets, per-client
//   buffers); a client that does not read its replies is only blocked itself.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "link/endpoint.h"
#include "link/fd.h"

namespace sx::link {

struct JrcpBackend {
  virtual Bytes atr() = 0;
  // Returns the R-APDU including SW; empty = no answer (e.g. power cut).
  virtual Bytes transceive(ByteView capdu) = 0;
  virtual ~JrcpBackend() = default;
};

struct JrcpServerOptions {
  size_t max_payload = 16384;
  std::chrono::milliseconds lock_hold_max{30000};
  size_t max_clients = 256;
  bool allow_quit = false;  // QUIT (0x50) stops the server only when set
  // Diagnostics (connects, drops, lock expiry); called on the server thread.
  std::function<void(const std::string&)> log;
};

class JrcpServer {
 public:
  explicit JrcpServer(JrcpBackend& backend, JrcpServerOptions opt = {});
  ~JrcpServer();
  JrcpServer(const JrcpServer&) = delete;
  JrcpServer& operator=(const JrcpServer&) = delete;

  // Add listeners before start()/run(). Port 0 picks a free port; the bound
  // port is returned.
  Result<uint16_t> listen_tcp(const std::string& host, uint16_t port);
  // Replaces a stale socket file; the file is removed again on destruction.
  Status listen_unix(const std::string& path);
  // JrcpTcp or JrcpUnix endpoints.
  Status listen(const Endpoint& ep);

  // Serves on a background thread until stop().
  Status start();
  // Serves on the calling thread until stop() (from another thread) or QUIT.
  Status run();
  // Async-signal-safe: asks run() to return soon (e.g. from SIGTERM).
  void request_stop() noexcept;
  // Idempotent; joins the thread started by start(). Serving ends for good:
  // clients and listeners are closed (a stopped server cannot be restarted).
  void stop();

  size_t client_count() const { return client_count_.load(); }

 private:
  struct Client;
  void handle(Client& c);
  void reply(Client& c, uint8_t type, ByteView payload);
  bool flush(Client& c);
  void drop(Client& c, const std::string& why);
  void log(const std::string& s);

  JrcpBackend& backend_;
  JrcpServerOptions opt_;
  std::vector<Fd> listeners_;
  std::vector<std::string> unix_paths_;
  Fd wake_;
  std::thread thread_;
  std::mutex start_mu_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> client_count_{0};
  bool quit_ = false;

  std::vector<std::unique_ptr<Client>> clients_;
  uint64_t next_id_ = 1;
  uint64_t lock_owner_ = 0;  // client id, 0 = nobody
  unsigned lock_depth_ = 0;
  std::chrono::steady_clock::time_point lock_deadline_{};
  size_t rr_ = 0;
};

}  // namespace sx::link
