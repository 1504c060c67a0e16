#include "broker/sessions.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "se05x/commands.h"
#include "se05x/session_wrap.h"

namespace sx::broker {

namespace {

using se05x::CmdId;
using se05x::command;

Bytes sw(uint16_t v) { return Bytes{static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)}; }
// Unknown, unverified or foreign session: the chip's "conditions not satisfied"
// (docs/se05x-protocol.md §4.9.4), and nothing reaches the chip.
Bytes refused() { return sw(0x6985); }

std::string auth_text(uint32_t a) {
  char b[9];
  std::snprintf(b, sizeof b, "%08X", a);
  return b;
}

// CreateSession 80 04 00 1B 06 41 04 <auth object ID> (docs/se05x-protocol.md §4.9.2).
std::optional<uint32_t> create_auth(ByteView c) {
  if (!is_command(CmdId::CreateSession, c) || c.size() < 11 || c[5] != 0x41 || c[6] != 4) return std::nullopt;
  return uint32_t(c[7]) << 24 | uint32_t(c[8]) << 16 | uint32_t(c[9]) << 8 | c[10];
}

Bytes create_apdu(uint32_t auth) {
  const se05x::CommandHeader h = command(CmdId::CreateSession).header;
  return Bytes{h.cla, h.ins, h.p1, h.p2, 0x06, 0x41, 0x04, static_cast<uint8_t>(auth >> 24),
               static_cast<uint8_t>(auth >> 16), static_cast<uint8_t>(auth >> 8), static_cast<uint8_t>(auth)};
}

// Where the session ID and the inner command sit in 80 05 00 00 Lc 10 08 <id> 41 L <inner>
// (docs/se05x-protocol.md §4.9.3); Lc is one byte or 00 HH LL, L one byte or 81 xx / 82 xx xx.
struct WrapLayout {
  size_t sid_at = 0;
  ByteView inner;
};
std::optional<WrapLayout> layout(ByteView c) {
  if (!se05x::is_session_wrapped(c) || c.size() < 5) return std::nullopt;
  const size_t d = c[4] != 0 ? 5 : 7;
  if (c.size() < d + 12 || c[d] != se05x::tag::kSessionId || c[d + 1] != 8 || c[d + 10] != se05x::tag::k1)
    return std::nullopt;
  size_t at = d + 12, len = c[d + 11];
  if (len == 0x81 && c.size() > at) len = c[at], at += 1;
  else if (len == 0x82 && c.size() > at + 1) len = size_t(c[at]) << 8 | c[at + 1], at += 2;
  else if (len >= 0x80) return std::nullopt;
  if (len < 4 || c.size() < at + len) return std::nullopt;
  return WrapLayout{d + 2, c.subspan(at, len)};
}

// The inner command is compared on INS and P2 (secure messaging may change its CLA).
bool inner_is(CmdId id, ByteView inner) {
  const se05x::CommandHeader h = command(id).header;
  return inner.size() >= 4 && inner[1] == h.ins && inner[3] == h.p2;
}

void put_sid(Bytes& capdu, size_t at, const SessionId& id) { std::copy(id.begin(), id.end(), capdu.begin() + at); }

}  // namespace

ByteView inner_command(ByteView capdu) {
  auto l = layout(capdu);
  return l ? l->inner : capdu;
}

VirtualSessions::~VirtualSessions() {
  for (auto& [id, a] : auths_) OPENSSL_cleanse(a.verified.data(), a.verified.size());
}

std::optional<Result<Bytes>> VirtualSessions::handle(const link::JrcpPeer& peer, ByteView capdu, const Send& send) {
  if (auto auth = create_auth(capdu)) return create(peer, *auth, send);
  if (se05x::is_session_wrapped(capdu)) return wrapped(peer, capdu, send);
  return std::nullopt;
}

Result<Bytes> VirtualSessions::create(const link::JrcpPeer& peer, uint32_t auth, const Send& send) {
  // Sessions of A lost in a reset are re-opened and re-verified first, for the
  // clients already verified; if that fails they are dropped and A starts afresh.
  if (auths_.count(auth) && !auths_[auth].chip) (void)ensure_chip_session(auth, send);
  Auth& a = auths_[auth];
  if (!a.chip) {
    const Bytes c = create_apdu(auth);
    auto r = send(c);
    auto id = r ? created_session(c, *r) : std::nullopt;
    if (!id) {  // the chip's refusal (e.g. two sessions open) goes to the client as it is
      if (std::none_of(virtual_.begin(), virtual_.end(), [&](const auto& v) { return v.second.auth == auth; }))
        auths_.erase(auth);
      return r;
    }
    auths_[auth].chip = *id;
    log(LogLevel::Info, "opened the chip session of auth object " + auth_text(auth) + " for " + peer.name);
  }
  SessionId vid;
  do {
    if (RAND_bytes(vid.data(), static_cast<int>(vid.size())) != 1) return make_error(Errc::Internal, "RAND_bytes failed");
  } while (virtual_.count(vid));
  virtual_[vid] = Virtual{peer.id, auth, false};
  log(LogLevel::Info, peer.name + " opened a virtual session on auth object " + auth_text(auth));
  Bytes out{se05x::tag::k1, 0x08};
  out.insert(out.end(), vid.begin(), vid.end());
  out.push_back(0x90);
  out.push_back(0x00);
  return out;
}

Result<Bytes> VirtualSessions::wrapped(const link::JrcpPeer& peer, ByteView capdu, const Send& send) {
  const auto l = layout(capdu);
  if (!l) return refused();
  SessionId vid;
  std::copy_n(capdu.begin() + l->sid_at, vid.size(), vid.begin());
  auto it = virtual_.find(vid);
  // A foreign or guessed ID (even the chip's real one) never reaches the chip.
  if (it == virtual_.end() || it->second.client != peer.id) return refused();
  Virtual& v = it->second;
  if (inner_is(CmdId::CloseSession, l->inner)) {
    const uint32_t auth = v.auth;
    virtual_.erase(it);
    log(LogLevel::Info, peer.name + " closed its virtual session on auth object " + auth_text(auth));
    close_if_unused(auth, send);
    return sw(0x9000);
  }
  Bytes c(capdu.begin(), capdu.end());
  if (inner_is(CmdId::VerifySessionUserID, l->inner)) return verify(v, std::move(c), l->inner, l->sid_at, send);
  if (!v.verified) return refused();
  return forward(v, std::move(c), l->sid_at, send);
}

Result<Bytes> VirtualSessions::verify(Virtual& v, Bytes capdu, ByteView inner, size_t sid_at, const Send& send) {
  const uint32_t auth = v.auth;
  Bytes kept(inner.begin(), inner.end());
  v.verified = false;
  auto r = forward(v, std::move(capdu), sid_at, send);
  auto it = auths_.find(auth);
  if (r && sw_ok(*r) && it != auths_.end()) {
    v.verified = true;
    OPENSSL_cleanse(it->second.verified.data(), it->second.verified.size());
    it->second.verified = std::move(kept);
  } else {
    if (r) log(LogLevel::Warning, "VerifySessionUserID on auth object " + auth_text(auth) + " failed: SW " +
                                      to_hex(ByteView(*r).last(std::min<size_t>(2, r->size()))));
    OPENSSL_cleanse(kept.data(), kept.size());
  }
  return r;
}

// Sends with the chip's session ID in place of the virtual one. When the chip
// lost its sessions under this very command (a reset found by the replayed
// SELECT), the command ran with a dead ID and was refused: it is sent once more
// in the re-opened session.
Result<Bytes> VirtualSessions::forward(Virtual& v, Bytes capdu, size_t sid_at, const Send& send) {
  const uint32_t auth = v.auth;
  for (int attempt = 0;; ++attempt) {
    if (!ensure_chip_session(auth, send).ok()) return refused();
    auto it = auths_.find(auth);
    if (it == auths_.end() || !it->second.chip) return refused();  // lost again while re-opening
    put_sid(capdu, sid_at, *it->second.chip);
    const uint64_t gen = generation_;
    auto r = send(capdu);
    if (gen == generation_ || attempt == 1 || !r) return r;
  }
}

Status VirtualSessions::ensure_chip_session(uint32_t auth, const Send& send) {
  auto it = auths_.find(auth);
  if (it == auths_.end()) return make_error(Errc::Closed, "no session");
  if (it->second.chip) return {};
  const Bytes c = create_apdu(auth);
  auto r = send(c);
  auto id = r ? created_session(c, *r) : std::nullopt;
  if (!id) {
    drop_auth(auth, "could not re-open its chip session");
    return make_error(Errc::Closed, "re-open failed");
  }
  it = auths_.find(auth);
  it->second.chip = *id;
  if (!it->second.verified.empty()) {
    auto w = se05x::wrap_in_session(it->second.verified, *id);
    auto vr = w ? send(*w) : Result<Bytes>(w.take_error());
    if (w) OPENSSL_cleanse(w->data(), w->size());
    if (!vr || !sw_ok(*vr)) {
      drop_auth(auth, "re-verify of its re-opened chip session failed");
      return make_error(Errc::Closed, "re-verify failed");
    }
  }
  log(LogLevel::Info, "re-opened the chip session of auth object " + auth_text(auth) + " after a chip reset");
  return {};
}

void VirtualSessions::forget_chip_session(Auth& a) {
  a.chip.reset();
  OPENSSL_cleanse(a.verified.data(), a.verified.size());
  a.verified.clear();
}

void VirtualSessions::drop_auth(uint32_t auth, const std::string& why) {
  std::erase_if(virtual_, [&](const auto& v) { return v.second.auth == auth; });
  auto it = auths_.find(auth);
  if (it != auths_.end()) forget_chip_session(it->second);
  auths_.erase(auth);
  log(LogLevel::Warning, "auth object " + auth_text(auth) + " " + why + "; its clients must log in again");
}

void VirtualSessions::close_if_unused(uint32_t auth, const Send& send) {
  if (std::any_of(virtual_.begin(), virtual_.end(), [&](const auto& v) { return v.second.auth == auth; })) return;
  auto it = auths_.find(auth);
  if (it == auths_.end()) return;
  if (it->second.chip) {
    auto r = send(close_session_apdu(*it->second.chip));
    ++closed_;
    log(r && sw_ok(*r) ? LogLevel::Info : LogLevel::Warning,
        "closed the chip session of auth object " + auth_text(auth) +
            (r ? " (SW " + to_hex(ByteView(*r).last(std::min<size_t>(2, r->size()))) + ")" : ": " + r.error().message));
  }
  forget_chip_session(it->second);
  auths_.erase(it);
}

void VirtualSessions::chip_reset() {
  ++generation_;
  bool any = false;
  for (auto& [auth, a] : auths_) any |= a.chip.has_value(), a.chip.reset();
  if (!any) return;
  ++resets_;
  log(LogLevel::Warning, "the chip lost its sessions (reset or link re-open); they are re-opened on the next use");
}

void VirtualSessions::client_gone(const link::JrcpPeer& peer, const Send& send) {
  std::set<uint32_t> auths;
  for (auto it = virtual_.begin(); it != virtual_.end();) {
    if (it->second.client != peer.id) {
      ++it;
      continue;
    }
    auths.insert(it->second.auth);
    it = virtual_.erase(it);
  }
  for (uint32_t a : auths) close_if_unused(a, send);
}

bool VirtualSessions::any_chip_session() const {
  return std::any_of(auths_.begin(), auths_.end(), [](const auto& a) { return a.second.chip.has_value(); });
}

std::vector<AuthSessionCount> VirtualSessions::per_auth() const {
  std::vector<AuthSessionCount> out;
  for (const auto& [auth, a] : auths_) {
    AuthSessionCount c{auth, a.chip.has_value(), 0, 0};
    for (const auto& [id, v] : virtual_)
      if (v.auth == auth) ++c.virtual_sessions, c.verified += v.verified;
    out.push_back(c);
  }
  return out;
}

std::map<uint64_t, size_t> VirtualSessions::per_client() const {
  std::map<uint64_t, size_t> out;
  for (const auto& [id, v] : virtual_) ++out[v.client];
  return out;
}

}  // namespace sx::broker
