// The rules by which several JRCP clients share one chip: se05xd's, and the
// simulator's (se05x-sim serves its simulated chip by the same rules, with
// the defaults below). link::JrcpServer carries the bytes; this decides what
// a request means, who may connect, who waits for whom and for how long.
//
// Protocol behaviour (designed to fix Appendix F's accessManager failures):
// * exactly one reply per request, nothing unsolicited;
// * WAIT_FOR_CARD -> ATR; APDU_DATA -> backend (empty reply = no answer);
// * LOCK/UNLOCK nest per client; while one client holds the lock the other
//   clients' WAIT_FOR_CARD, APDU_DATA and LOCK requests wait (each client is
//   read only while nothing of it is queued, so the rest stays in the kernel).
//   Requests that need the chip are served oldest first (by when the server
//   read them), one per client per round: a client that releases the lock
//   while others wait, and asks for it again, queues up behind them, so two
//   clients passing the lock back and forth cannot starve a third. Requests
//   that do not need the chip (status, TERMINAL_INFO, CLOSE, errors) are
//   answered at once. The lock ends on the matching UNLOCK, on disconnect of
//   the holder, or lock_hold_max after it was taken (the holder then silently
//   loses it, or is disconnected with cut_off_on_expiry). UNLOCK without LOCK
//   is answered normally;
// * CLOSE -> `03 00 00 00`, then the connection is closed;
// * TERMINAL_INFO, DEBUG_INFO -> empty reply of the same type;
// * STATUS, INIT_DATA, INFO_TEXT, unknown types, and QUIT unless allowed ->
//   ERROR (`03 00 00 01 <request MTY>`); the connection stays open;
// * with message_timeout set, a connection must send its first request,
//   finish each request it started, and read each reply within it, or it is
//   closed, so such clients cannot keep their slots either; idle_timeout (off
//   by default) also closes clients that are quiet between requests.
//
// Admission and limits (all optional):
// * admit(): decides at accept time from the peer's credentials (Unix
//   sockets: SO_PEERCRED uid/gid/pid and SO_PEERGROUPS supplementary groups);
// * max_clients in all and max_clients_per_peer per Unix uid (TCP clients
//   count as one peer);
// * a connection refused by admit() or beyond a limit is "turned away": it
//   takes no slot and counts toward no limit; its first request gets
//   `03 00 LL LL <reason text>` (or, beyond a limit only, the answer to a
//   limit_exempt_type request such as the broker's status query), and then
//   it is closed; one that sends nothing is closed after refusal_timeout. At
//   most max_pending such connections (4 per peer) wait at a time; more are
//   closed at accept without a reply;
// * max_queue: complete requests a client may send ahead without waiting for
//   replies; a client exceeding it is disconnected.
//
// Every event is logged with its level: connects, ordinary drops and lock
// releases are info; refusals, cut-offs and timeouts warnings; a listener
// socket file that is no longer ours an error.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/log.h"
#include "base/result.h"
#include "link/jrcp_server.h"

namespace sx::broker {

struct ServiceOptions {
  size_t max_payload = 16384;
  std::chrono::milliseconds lock_hold_max{30000};
  size_t max_clients = 256;
  bool allow_quit = false;  // QUIT (0x50) stops the server only when set
  // Requests a client may pipeline; more gets it disconnected. 0 = no limit.
  size_t max_queue = 0;
  // Disconnect (instead of silently un-locking) a holder whose hold expired.
  bool cut_off_on_expiry = false;
  // Admission: empty optional = accept; a string = refuse with that reason.
  std::function<std::optional<std::string>(const link::JrcpPeer&)> admit;
  // Connections of one peer (Unix: its uid; all TCP clients count as one
  // peer) beyond this are turned away like those beyond max_clients. 0 = no limit.
  size_t max_clients_per_peer = 0;
  // Connections turned away (admission, limits) wait for their one reply at
  // most refusal_timeout, at most max_pending of them at a time (4 per peer);
  // beyond that they are closed at accept.
  size_t max_pending = 32;
  std::chrono::milliseconds refusal_timeout{1000};
  // 0 = off. A new connection's first request, each request once its first
  // byte arrived, and each reply once sent must be complete within it.
  std::chrono::milliseconds message_timeout{0};
  // 0 = off. A client with nothing in flight for this long is closed.
  std::chrono::milliseconds idle_timeout{0};
  // A message type (the broker's status query) that is still answered, by
  // JrcpBackend::extension, on a connection turned away by a limit.
  std::optional<uint8_t> limit_exempt_type;
  // 0 = off. How often each Unix listener's path is checked to still be our
  // socket (same inode); a replaced or removed file is logged.
  std::chrono::milliseconds listener_check_interval{0};
  // Connects, drops, refusals, lock expiry; each event with its level.
  log::Sink log;
};

// A consistent view of the clients and the lock; taken on the server thread
// (from a backend hook) or after the service stopped.
struct ServiceClient {
  link::JrcpPeer peer;
  size_t queued = 0;        // complete requests waiting to be served
  bool waiting_for_lock = false;
  bool holds_lock = false;
  unsigned lock_depth = 0;
  uint64_t requests = 0;    // requests served so far
  std::chrono::milliseconds connected_for{0};
};
struct ServiceState {
  std::vector<ServiceClient> clients;
  uint64_t lock_owner = 0;  // peer id, 0 = free
  std::chrono::milliseconds lock_held_for{0};
  std::chrono::milliseconds lock_hold_max{0};
  std::vector<std::string> listeners;  // connection strings
  uint64_t refused = 0;     // connections refused by admit()
  uint64_t cut_off = 0;     // connections dropped for exceeding hold time or queue limit
  uint64_t over_limit = 0;  // connections turned away by max_clients / max_clients_per_peer
  uint64_t timed_out = 0;   // connections closed by message_timeout / idle_timeout / refusal_timeout
  std::vector<std::string> listener_problems;  // e.g. a Unix socket file replaced by someone else
};

class Service : public link::JrcpHandler {
 public:
  explicit Service(link::JrcpBackend& backend, ServiceOptions opt = {});
  ~Service() override;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Listeners and serving: as link::JrcpServer.
  Result<uint16_t> listen_tcp(const std::string& host, uint16_t port) { return server_.listen_tcp(host, port); }
  Status listen_unix(const std::string& path) { return server_.listen_unix(path); }
  Status listen(const link::Endpoint& ep) { return server_.listen(ep); }
  Status start() { return server_.start(); }
  Status run() { return server_.run(); }
  void request_stop() noexcept { server_.request_stop(); }
  void stop() { server_.stop(); }

  // Only on the server thread (inside a backend hook) or when not serving.
  ServiceState state() const;

  // link::JrcpHandler
  bool accepted(link::JrcpConnection& c, const std::string& listener) override;
  void requests(link::JrcpConnection& c, std::vector<link::jrcp::Message> batch) override;
  bool wants_input(const link::JrcpConnection& c) const override;
  void gone(link::JrcpConnection& c) override;
  link::JrcpClock::time_point next_wake() override;
  void serve() override;

 private:
  struct Client;
  using Clock = link::JrcpClock;
  // Turned-away connections waiting for their one reply, per peer.
  static constexpr size_t kPendingPerPeer = 4;

  Client* find(uint64_t id) const;
  bool allowed(const Client& c) const;
  bool servable(const Client& c) const;
  std::optional<std::string> turn_away(Client& c, bool& over_limit) const;
  void expire_lock();
  void serve_round();
  Clock::time_point expire_clients();
  Clock::time_point expire_one(Client& c, Clock::time_point now);
  void handle(Client& c);
  bool answer_extension(Client& c, const link::jrcp::Message& m);
  void refuse(Client& c, const link::jrcp::Message& m);
  void timed_out(Client& c, const std::string& why);
  void log(log::Level l, const std::string& s) const { server_.log(l, s); }

  link::JrcpBackend& backend_;
  ServiceOptions opt_;
  std::vector<std::unique_ptr<Client>> clients_;  // in accept order; the dead until the end of a turn
  std::unordered_map<uint64_t, Client*> by_id_;
  uint64_t refused_ = 0;
  uint64_t cut_off_ = 0;
  uint64_t over_limit_ = 0;
  uint64_t timed_out_ = 0;
  uint64_t next_ticket_ = 0;
  uint64_t lock_owner_ = 0;  // client id, 0 = nobody
  unsigned lock_depth_ = 0;
  Clock::time_point lock_since_{};
  Clock::time_point lock_deadline_{};
  Clock::time_point next_expiry_ = Clock::now();
  size_t rr_ = 0;
  std::vector<Client*> chip_order_;
  link::JrcpServer server_;  // last: stopped (in ~Service) before the clients go
};

}  // namespace sx::broker
