// The transport of a JRCP v1 server: one poll() thread accepts connections on
// any number of TCP and Unix listeners, frames each connection's bytes into
// JRCP messages, hands every complete request to a JrcpHandler and writes
// the replies the handler sends. What a request means, who may connect, who
// waits for whom and for how long are the handler's rules (se05xd's and the
// simulator's: broker/service.h). Everything, handler included, runs on the
// server thread, one call at a time, so the handler needs no locking.
//
// Transport behaviour:
// * bad NAD or a payload over max_payload -> that connection is dropped;
//   partial messages never block other connections (non-blocking sockets,
//   per-connection buffers); a peer that does not read its replies is only
//   blocked itself;
// * a connection is read only while the handler wants_input() (back-pressure:
//   the rest stays in the kernel); one that is not read is still polled, so a
//   peer that died meanwhile is noticed;
// * each Unix listener's file can be checked to still be ours (same inode);
//   a replaced or removed file is logged (as an error) and is not removed by
//   us at shutdown.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "base/log.h"
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
  std::string address;         // TCP: "HOST:PORT" of the peer; Unix: the listener, "unix:PATH"
  std::string name;            // "client#N" plus pid/uid when known
};

// The chip behind a JRCP server (the simulator, or se05xd's link to the real
// chip), as the handler's rules call it.
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

using JrcpClock = std::chrono::steady_clock;

// One accepted connection as the handler sees it: who it is, and the
// transport facts its timeouts are about. Valid from JrcpHandler::accepted
// until JrcpHandler::gone returns.
class JrcpConnection {
 public:
  const JrcpPeer& peer() const { return peer_; }
  uint64_t id() const { return peer_.id; }
  bool dead() const { return dead_; }
  // A reply is not completely written yet, since send_since().
  bool sending() const { return out_pos_ < out_.size(); }
  JrcpClock::time_point send_since() const { return send_since_; }
  // Part of a request has arrived.
  bool mid_message() const { return dec_.mid_message(); }
  // Since when the server waits for this peer's next bytes: refreshed when a
  // reply was written, when a request starts, and by the handler (touch())
  // while the peer waits for the server instead.
  JrcpClock::time_point await_since() const { return await_since_; }
  void touch() { await_since_ = JrcpClock::now(); }

 private:
  friend class JrcpServer;
  JrcpConnection(Fd fd, size_t max_payload) : fd_(std::move(fd)), dec_(max_payload) {}

  Fd fd_;
  jrcp::Decoder dec_;
  JrcpPeer peer_;
  Bytes out_;
  size_t out_pos_ = 0;
  bool close_after_reply_ = false;
  bool dead_ = false;
  JrcpClock::time_point await_since_ = JrcpClock::now();
  JrcpClock::time_point send_since_{};
};

class JrcpServer;

// The rules of a JRCP service; all calls on the server thread.
class JrcpHandler {
 public:
  // A new connection on `listener` (its connection string). false closes it
  // at once, without a reply.
  virtual bool accepted(JrcpConnection& c, const std::string& listener) = 0;
  // Complete requests that arrived with one read, in order.
  virtual void requests(JrcpConnection& c, std::vector<jrcp::Message> batch) = 0;
  // Whether the transport may read more requests from c now.
  virtual bool wants_input(const JrcpConnection& c) const = 0;
  // c was dropped (by either side, or because the server stops); the
  // transport has logged why and closed it.
  virtual void gone(JrcpConnection& c) = 0;
  // Once per turn of the loop, before it waits: the moment the handler must
  // run again (now = it has work; time_point::max() = only on I/O).
  virtual JrcpClock::time_point next_wake() = 0;
  // Once per turn, after the I/O of that turn: serve and expire.
  virtual void serve() = 0;
  virtual ~JrcpHandler() = default;
};

struct JrcpServerOptions {
  size_t max_payload = 16384;
  // 0 = off. How often each Unix listener's path is checked to still be our
  // socket (same inode); a replaced or removed file is logged.
  std::chrono::milliseconds listener_check_interval{0};
  // Connects, drops, listener problems; each event with its level.
  log::Sink log;
};

class JrcpServer {
 public:
  explicit JrcpServer(JrcpHandler& handler, JrcpServerOptions opt = {});
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
  // Serves on the calling thread until stop() (from another thread) or quit().
  Status run();
  // Async-signal-safe: asks run() to return soon (e.g. from SIGTERM).
  void request_stop() noexcept;
  // Idempotent; joins the thread started by start(). Serving ends for good:
  // connections and listeners are closed (a stopped server cannot be restarted).
  void stop();

  // For the handler, on the server thread:
  // Queues a reply (as much as fits is written at once).
  void reply(JrcpConnection& c, uint8_t type, ByteView payload);
  // Closes c once its pending reply is written (JRCP CLOSE, refusals).
  void close_after_reply(JrcpConnection& c) { c.close_after_reply_ = true; }
  // Closes c now, logging "<name> dropped: <why>" at `level`.
  void drop(JrcpConnection& c, const std::string& why, log::Level level = log::Level::Info);
  // run() returns after this turn (the simulator's QUIT).
  void quit() { quit_ = true; }
  // Logs "jrcp-server: <s>" at `level`.
  void log(log::Level level, const std::string& s) const;

  // Only on the server thread or when not serving.
  std::vector<std::string> listeners() const { return listener_names_; }
  std::vector<std::string> listener_problems() const;

 private:
  struct SocketFile {
    dev_t dev;
    ino_t ino;
    std::string problem;  // last reported; empty = still ours
  };

  void accept_from(size_t listener);
  void read_from(JrcpConnection& c);
  void check_socket_files();
  void remove_socket_files();
  bool flush(JrcpConnection& c);

  JrcpHandler& handler_;
  JrcpServerOptions opt_;
  std::vector<Fd> listeners_;
  std::vector<std::string> unix_paths_;
  std::vector<SocketFile> unix_files_;  // parallel to unix_paths_
  std::vector<std::string> listener_names_;
  std::vector<bool> listener_unix_;
  Fd wake_;
  std::thread thread_;
  std::mutex start_mu_;
  std::atomic<bool> stopping_{false};
  bool quit_ = false;
  std::vector<std::unique_ptr<JrcpConnection>> conns_;
  uint64_t next_id_ = 1;
};

}  // namespace sx::link
