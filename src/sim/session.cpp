#include "sim/session.h"

#include <algorithm>
#include <cstring>

#include <openssl/rand.h>

#include "se05x/constants.h"

namespace sx::sim {

std::optional<SessionPolicy> parse_session_policy(ByteView v) {
  if (v.size() < 3 || v[0] != v.size() - 1) return std::nullopt;
  const uint16_t ar = get_u16(v, 1);
  if (ar & ~(kSessionMaxApdu | kSessionMaxTime | kSessionAllowRefresh)) return std::nullopt;
  SessionPolicy p;
  size_t pos = 3;
  auto field = [&]() -> std::optional<uint16_t> {
    if (pos + 2 > v.size()) return std::nullopt;
    const uint16_t x = get_u16(v, pos);
    pos += 2;
    return x;
  };
  if (ar & kSessionMaxApdu) {
    p.max_apdus = field();
    if (!p.max_apdus) return std::nullopt;
  }
  if (ar & kSessionMaxTime) {
    p.max_seconds = field();
    if (!p.max_seconds) return std::nullopt;
  }
  if (pos != v.size()) return std::nullopt;
  p.allow_refresh = (ar & kSessionAllowRefresh) != 0;
  return p;
}

void Session::arm(const SessionPolicy& p, SessionClock::time_point now) {
  policy = p;
  apdus_used = 0;
  armed_at = now;
}

bool Session::expired(SessionClock::time_point now) const {
  return policy && policy->max_seconds && now - armed_at >= std::chrono::seconds(*policy->max_seconds);
}

bool Session::exhausted() const { return policy && policy->max_apdus && apdus_used >= *policy->max_apdus; }

SessionTable::Opened SessionTable::open(uint32_t auth_id) {
  namespace s = se05x::sw;
  if (std::any_of(sessions_.begin(), sessions_.end(), [&](const Session& x) { return x.auth_id == auth_id; }))
    return {s::kConditionsNotSatisfied, {}};
  if (sessions_.size() >= kMaxSessions) return {s::kFileFull, {}};
  Session n;
  n.auth_id = auth_id;
  do {  // 8 random bytes, never all zero and never the ID of another open session
    if (RAND_bytes(n.id.data(), static_cast<int>(n.id.size())) != 1) return {s::kUnknown, {}};
  } while (n.id == SessionId{} || find(n.id));
  sessions_.push_back(n);
  return {s::kOk, n.id};
}

Session* SessionTable::find(ByteView id) {
  if (id.size() != SessionId{}.size()) return nullptr;
  for (auto& x : sessions_)
    if (std::memcmp(x.id.data(), id.data(), id.size()) == 0) return &x;
  return nullptr;
}

void SessionTable::close(const SessionId& id) {
  std::erase_if(sessions_, [&](const Session& x) { return x.id == id; });
}

void SessionTable::close_if(const std::function<bool(uint32_t)>& pred) {
  std::erase_if(sessions_, [&](const Session& x) { return pred(x.auth_id); });
}

}  // namespace sx::sim
