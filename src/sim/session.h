// User sessions of the simulated applet (docs/se05x-protocol.md §4.9.2, §4.9.6): RAM state only,
// keyed by an 8-byte random ID, at most two open, one per authentication object.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>

#include "base/bytes.h"
#include "se05x/constants.h"

namespace sx::sim {

using SessionClock = std::chrono::steady_clock;
using SessionId = std::array<uint8_t, 8>;

// Session policy of ExchangeSessionData / RefreshSession (docs/se05x-protocol.md §4.9.2):
// LL | AR (2) | [max APDUs U16] | [max seconds U16].
struct SessionPolicy {
  std::optional<uint16_t> max_apdus;
  std::optional<uint16_t> max_seconds;
  bool allow_refresh = false;
};
inline constexpr uint16_t kSessionMaxApdu = 0x8000;
inline constexpr uint16_t kSessionMaxTime = 0x4000;
inline constexpr uint16_t kSessionAllowRefresh = 0x2000;
// nullopt when malformed (LL not matching, unknown AR bits, missing limit fields).
std::optional<SessionPolicy> parse_session_policy(ByteView v);

struct Session {
  SessionId id{};
  uint32_t auth_id = 0;
  bool verified = false;
  std::optional<SessionPolicy> policy;  // none: no limits
  uint32_t apdus_used = 0;              // inner APDUs since the policy was (re)armed
  SessionClock::time_point armed_at{};

  // Applies `p` and restarts its counters.
  void arm(const SessionPolicy& p, SessionClock::time_point now);
  bool expired(SessionClock::time_point now) const;
  bool exhausted() const;
};

class SessionTable {
 public:
  static constexpr size_t kMaxSessions = 2;
  // New unverified session for `auth_id`: its ID, or the SW refusing it (6985 when the auth
  // object already has one, 6A84 when the table is full).
  struct Opened {
    uint16_t sw;
    SessionId id;
  };
  Opened open(uint32_t auth_id);
  Session* find(ByteView id);
  void close(const SessionId& id);
  // Ends the sessions whose authentication object matches (e.g. it was deleted), or all of
  // them (SELECT, reset).
  void close_if(const std::function<bool(uint32_t auth_id)>& pred);
  void clear() { sessions_.clear(); }
  size_t size() const { return sessions_.size(); }

 private:
  std::list<Session> sessions_;  // a list: Session pointers stay valid while others close
};

}  // namespace sx::sim

namespace sx::sim {

// Choices for authentication behaviour the chip documentation leaves open ([U], docs/simulator.md).
struct AuthOptions {
  bool keep_count_on_success = false;  // true: a correct UserID does not reset the failure counter
  uint16_t locked_sw = se05x::sw::kAuthBlocked;       // answer of VerifySessionUserID on a locked object (or 0x6985)
};

}  // namespace sx::sim
