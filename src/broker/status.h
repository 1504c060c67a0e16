// The broker status query: a JRCP message of the broker's own type
// (kStatusMty, `53 00 00 00`) answered with `53 00 LL LL <JSON>` (see
// docs/broker.md for the fields). It never touches the chip and needs no
// WAIT_FOR_CARD first, so `se05x info` can show who holds the chip and who
// waits even while the chip is busy or unreachable.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace sx::broker {

inline constexpr uint8_t kStatusMty = 0x53;

struct ClientStatus {
  uint64_t id = 0;
  std::string transport;  // "unix" or "tcp"
  std::string name;
  int64_t pid = -1, uid = -1, gid = -1;  // -1 = unknown (TCP)
  bool holds_lock = false;
  bool waiting = false;   // has a request waiting for the lock
  size_t queued = 0;
  uint64_t requests = 0;
  size_t sessions = 0;    // virtual SE05x sessions it holds (docs/chip-pin.md §4)
  uint64_t connected_ms = 0;
  bool is_self = false;   // the connection that asked
};

// The broker's chip session of one auth object (counts only, never IDs or values).
struct AuthSessionStatus {
  std::string auth_object;  // hex object ID
  bool chip_session = false;
  size_t virtual_sessions = 0, verified = 0;
};

struct BrokerStatus {
  std::string version;
  int64_t pid = 0;
  std::vector<std::string> listeners;
  std::string chip_connection;
  bool chip_up = false;
  std::string chip_last_error;
  uint64_t chip_opens = 0, chip_failed_opens = 0, apdus = 0, failed_apdus = 0, sessions_closed = 0;
  uint64_t lock_holder = 0;  // client id, 0 = free
  uint64_t lock_held_ms = 0, lock_hold_max_ms = 0;
  uint64_t refused = 0, cut_off = 0;
  uint64_t over_limit = 0, timed_out = 0;   // turned away by connection limits; closed by timeouts
  std::vector<std::string> listener_problems;  // e.g. the socket file was replaced
  std::vector<ClientStatus> clients;
  std::vector<AuthSessionStatus> auth_sessions;
  uint64_t session_resets = 0;  // times the chip lost the broker's sessions
  std::string json;  // the raw reply
};

// Asks the broker at `connection` ("unix:PATH", "jrcp:HOST:PORT", a bare path
// counts as unix:); empty = the default socket (se05x::broker_socket_path()).
Result<BrokerStatus> query_status(const std::string& connection = {}, int timeout_ms = 5000);
Result<BrokerStatus> parse_status(const std::string& json);
// The name of the client holding the chip ("client#N (pid P uid U gid G)");
// "" when the chip is free.
std::string holder_name(const BrokerStatus& s);
// Human-readable multi-line summary (for `se05x info`).
std::string format_status(const BrokerStatus& s);

}  // namespace sx::broker
