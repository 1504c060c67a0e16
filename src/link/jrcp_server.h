// A generic JRCP v1 server: the simulator's front end and the basis of the
// broker. One poll() thread serves any number of TCP and Unix listeners and
// clients; the backend is called from that thread only, one request at a
// time, so it needs no locking of its own.
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
// * bad NAD or a payload over max_payload -> that client is dropped; partial
//   messages never block other clients (non-blocking sockets, per-client
//   buffers); a client that does not read its replies is only blocked itself.
//   With message_timeout set, a connection must send its first request, finish
//   each request it started, and read each reply within it, or it is closed,
//   so such clients cannot keep their slots either; idle_timeout (off by
//   default) also closes clients that are quiet between requests.
//
// Hooks for a broker (all optional, all called on the server thread):
// * admit(): decides at accept time from the peer's credentials (Unix
//   sockets: SO_PEERCRED uid/gid/pid and SO_PEERGROUPS supplementary groups);
// * connection limits: max_clients in all and max_clients_per_peer per Unix
//   uid (TCP clients count as one peer);
// * a connection refused by admit() or beyond a limit is "turned away": it
//   takes no slot and counts toward no limit; its first request gets
//   `03 00 LL LL <reason text>` (or, beyond a limit only, the answer to a
//   limit_exempt_type request such as the broker's status query), and then
//   it is closed; one that sends nothing is closed after refusal_timeout. At
//   most max_pending such connections (4 per peer) wait at a time; more are
//   closed at accept without a reply;
// * max_queue: complete requests a client may send ahead without waiting for
//   replies; a client exceeding it is disconnected;
// * listener_check_interval: each Unix listener's file is checked to still
//   be ours (same inode); a replaced or removed file is logged (and is not
//   removed by us at shutdown);
// * JrcpBackend::transceive_from / client_gone / extension: who sent an APDU,
//   who left (and whether it held the lock), message types of the broker's own.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "link/endpoint.h"
#include "link/fd.h"
#include "link/jrcp.h"
#include "link/socket.h"

namespace sx::link {

// Who is at the other end of a connection (for admission, logs, status).
struct JrcpPeer {
  uint64_t id = 0;             // unique per connection, never 0
  bool unix_socket = false;
  bool has_cred = false;       // SO_PEERCRED answered (Unix sockets only)
  PeerCred cred;
  bool has_groups = false;     // SO_PEERGROUPS answered (Unix sockets only)
  std::vector<gid_t> groups;   // the peer's supplementary groups at connect()
  std::string address;         // TCP: "HOST:PORT" of the peer; Unix: listener path
  std::string name;            // "client#N" plus pid/uid when known
};

struct JrcpBackend {
  virtual Bytes atr() = 0;
  // Returns the R-APDU including SW; empty = no answer (e.g. power cut).
  virtual Bytes transceive(ByteView capdu) = 0;
  // The same, knowing which connection sent it (a broker tracks per-client
  // chip state). Defaults to transceive().
  virtual Bytes transceive_from(const JrcpPeer& peer, ByteView capdu) {
    (void)peer;
    return transceive(capdu);
  }
  // A connection ended (disconnect, drop, cut off); held_lock tells whether
  // it held the LOCK at that moment (its multi-APDU sequence is unfinished).
  virtual void client_gone(const JrcpPeer& peer, bool held_lock) {
    (void)peer;
    (void)held_lock;
  }
  // Message types the server does not know itself: a reply, or nullopt for
  // the standard ERROR reply.
  virtual std::optional<jrcp::Message> extension(const JrcpPeer& peer, const jrcp::Message& m) {
    (void)peer;
    (void)m;
    return std::nullopt;
  }
  virtual ~JrcpBackend() = default;
};

// A consistent view of the server's clients and lock; taken on the server
// thread (from a backend hook) or after the server stopped.
struct JrcpClientState {
  JrcpPeer peer;
  size_t queued = 0;        // complete requests waiting to be served
  bool waiting_for_lock = false;
  bool holds_lock = false;
  unsigned lock_depth = 0;
  uint64_t requests = 0;    // requests served so far
  std::chrono::milliseconds connected_for{0};
};
struct JrcpServerState {
  std::vector<JrcpClientState> clients;
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

struct JrcpServerOptions {
  size_t max_payload = 16384;
  std::chrono::milliseconds lock_hold_max{30000};
  size_t max_clients = 256;
  bool allow_quit = false;  // QUIT (0x50) stops the server only when set
  // Requests a client may pipeline; more gets it disconnected. 0 = no limit.
  size_t max_queue = 0;
  // Disconnect (instead of silently un-locking) a holder whose hold expired.
  bool cut_off_on_expiry = false;
  // Admission: empty optional = accept; a string = refuse with that reason.
  std::function<std::optional<std::string>(const JrcpPeer&)> admit;
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
  // Only on the server thread (inside a backend hook) or when not serving.
  JrcpServerState state() const;

 private:
  struct Client;
  struct SocketFile {
    dev_t dev;
    ino_t ino;
    std::string problem;  // last reported; empty = still ours
  };
  // Turned-away connections waiting for their one reply, per peer.
  static constexpr size_t kPendingPerPeer = 4;

  void accept_from(size_t listener);
  std::chrono::steady_clock::time_point expire_clients();
  void check_socket_files();
  void remove_socket_files();
  void touch(Client& c);
  void handle(Client& c);
  bool answer_extension(Client& c, const jrcp::Message& m);
  void reply(Client& c, uint8_t type, ByteView payload);
  bool flush(Client& c);
  void drop(Client& c, const std::string& why);
  void log(const std::string& s);

  JrcpBackend& backend_;
  JrcpServerOptions opt_;
  std::vector<Fd> listeners_;
  std::vector<std::string> unix_paths_;
  std::vector<SocketFile> unix_files_;  // parallel to unix_paths_
  std::vector<std::string> listener_names_;
  std::vector<bool> listener_unix_;
  uint64_t refused_ = 0;
  uint64_t cut_off_ = 0;
  uint64_t over_limit_ = 0;
  uint64_t timed_out_ = 0;
  uint64_t next_ticket_ = 0;
  std::chrono::steady_clock::time_point lock_since_{};
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
