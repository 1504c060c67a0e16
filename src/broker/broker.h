// se05xd's core: one Chip (the physical link) behind one Service serving
// the Unix socket (and, only when configured, a loopback TCP port), with
// admission from peer credentials, a hold limit that cuts off stalled lock
// holders, per-client queue limits and the status query.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "broker/access.h"
#include "broker/chip.h"
#include "broker/config.h"
#include "broker/log.h"
#include "broker/service.h"

namespace sx::broker {

inline constexpr const char* kVersion = "0.1.0";

class Broker {
 public:
  // Binds the listeners (creating the socket's directory, applying mode and
  // group). `factory` defaults to se05x::open_link(cfg.connection).
  static Result<std::unique_ptr<Broker>> create(const Config& cfg, LogFn log, ChannelFactory factory = {});
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Tries to open the chip link now; failure is logged, not fatal (the link
  // is retried on every client request).
  Status open_chip();
  Status start();  // serve on a background thread
  Status run();    // serve on the calling thread until request_stop()
  void request_stop() noexcept;  // async-signal-safe
  void stop();

  // Bound listeners as connection strings (TCP with the real port).
  std::vector<std::string> listeners() const { return listeners_; }
  // The status JSON; server thread only (or when not serving).
  std::string status_json(uint64_t asking_client) const;

 private:
  Broker(const Config& cfg, LogFn log, ChannelFactory factory);
  static std::string connection_of(const Config& cfg);
  static Result<ChannelFactory> default_factory(const Config& cfg, const LogFn& log);
  Status bind();
  std::string listener_list() const;  // "unix:..., jrcp:..."
  void log(LogLevel l, const std::string& s) const;

  Config cfg_;
  LogFn log_;
  AccessPolicy policy_;
  std::unique_ptr<Chip> chip_;
  std::unique_ptr<Service> server_;
  std::vector<std::string> listeners_;
};

}  // namespace sx::broker
