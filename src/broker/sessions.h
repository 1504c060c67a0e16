// Virtual SE05x user sessions (docs/chip-pin.md §4): the chip allows two
// sessions, one per authentication object (docs/se05x-protocol.md §4.9.6), so
// se05xd owns the one chip session per auth object and gives each client its
// own random virtual session ID on top of it. The chip still checks every
// VerifySessionUserID (and counts wrong values); the broker only decides which
// client may use the verified chip session, and re-opens it after a reset.
//
// Not thread-safe: called from the JrcpServer thread only (through Chip).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "broker/apdu_watch.h"
#include "broker/log.h"
#include "link/jrcp_server.h"

namespace sx::broker {

struct AuthSessionCount {
  uint32_t auth_id = 0;
  bool chip_session = false;  // the broker holds a chip session for it
  size_t virtual_sessions = 0;
  size_t verified = 0;
};

// The command inside a session wrapper (80 05 00 00 ..), else `capdu` itself:
// what the chip runs, for the APDU trace (log_apdus).
ByteView inner_command(ByteView capdu);

class VirtualSessions {
 public:
  // Sends one APDU to the chip (through the reset-recovery layer).
  using Send = std::function<Result<Bytes>(ByteView)>;
  explicit VirtualSessions(LogFn log) : log_(std::move(log)) {}
  ~VirtualSessions();
  VirtualSessions(const VirtualSessions&) = delete;
  VirtualSessions& operator=(const VirtualSessions&) = delete;

  // The answer to a CreateSession or a session-wrapped (80 05) APDU;
  // nullopt for any other APDU (forwarded unchanged by the caller).
  std::optional<Result<Bytes>> handle(const link::JrcpPeer& peer, ByteView capdu, const Send& send);
  // The chip lost its sessions (the SELECT was replayed after a reset or a
  // re-open of the link): re-opened before the next wrapped command.
  void chip_reset();
  // Drops the client's virtual sessions; closes chip sessions nobody uses now.
  void client_gone(const link::JrcpPeer& peer, const Send& send);

  bool any_chip_session() const;
  std::vector<AuthSessionCount> per_auth() const;
  std::map<uint64_t, size_t> per_client() const;  // client id -> virtual sessions
  uint64_t chip_sessions_closed() const { return closed_; }
  uint64_t resets() const { return resets_; }  // chip sessions lost since start

 private:
  struct Auth {
    std::optional<SessionId> chip;  // the chip's session ID (never shown to a client)
    Bytes verified;                 // the inner VerifySessionUserID that answered 90 00; wiped on close
  };
  struct Virtual {
    uint64_t client = 0;
    uint32_t auth = 0;
    bool verified = false;
  };

  Result<Bytes> create(const link::JrcpPeer& peer, uint32_t auth, const Send& send);
  Result<Bytes> wrapped(const link::JrcpPeer& peer, ByteView capdu, const Send& send);
  Result<Bytes> verify(Virtual& v, Bytes capdu, ByteView inner, size_t sid_at, const Send& send);
  Result<Bytes> forward(Virtual& v, Bytes capdu, size_t sid_at, const Send& send);
  Status ensure_chip_session(uint32_t auth, const Send& send);
  void drop_auth(uint32_t auth, const std::string& why);
  void close_if_unused(uint32_t auth, const Send& send);
  void forget_chip_session(Auth& a);
  void log(LogLevel l, const std::string& s) const {
    if (log_) log_(l, s);
  }

  LogFn log_;
  std::map<uint32_t, Auth> auths_;
  std::map<SessionId, Virtual> virtual_;
  uint64_t generation_ = 0;  // bumped by chip_reset()
  uint64_t closed_ = 0;
  uint64_t resets_ = 0;
};

}  // namespace sx::broker
