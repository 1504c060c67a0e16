#include "device/user_session.h"

#include <cstdio>

#include "se05x/client.h"

namespace sx::device {

namespace {

// Times a session is opened again when the chip keeps losing the selection meanwhile.
constexpr int kOpenTries = 3;

std::string id_hex(uint32_t id) {
  char b[12];
  std::snprintf(b, sizeof b, "0x%08X", static_cast<unsigned>(id));
  return b;
}

}  // namespace

Status UserSession::login(uint32_t auth_id, ByteView pin) {
  if (logged_in_) return make_error(Errc::InvalidArgument, "a user session is open already; log out first");
  SX_ASSIGN(se05x::SessionId sid, open_session(auth_id, pin));
  sid_ = sid;
  auth_id_ = auth_id;
  pin_.assign(pin.begin(), pin.end());
  logged_in_ = true;
  stale_ = false;
  return {};
}

Status UserSession::logout() {
  if (!logged_in_) return make_error(Errc::NotLoggedIn, "no user session to close");
  Status s;
  if (!stale_ && below_.replays() == epoch_) {
    se05x::Client c(below_);
    s = c.close_session(sid_);
    // A selection replayed on the way ended the session anyway.
    if (below_.replays() != epoch_) s = {};
  }
  forget();
  return s;
}

Result<se05x::SessionId> UserSession::open_session(uint32_t auth_id, ByteView pin) {
  se05x::Client c(below_);
  for (int attempt = 0; attempt < kOpenTries; ++attempt) {
    // A replay during CreateSession came before the command that answered (layer 2
    // replays first, then sends), so only a replay during the Verify kills the new session.
    SX_ASSIGN(se05x::SessionId sid, c.create_session(auth_id));
    const uint64_t created = below_.replays();
    auto v = c.verify_session_user_id(sid, pin);
    if (below_.replays() != created) {
      // Lost mid-Verify without an answer: it may have run and counted; no second try.
      if (!v && is_link_failure(v.error().code)) return v.take_error();
      continue;  // it was answered, carrying a dead session's ID: it did not run
    }
    if (!v) return failed_verify(c, auth_id, sid, v.take_error());
    epoch_ = created;
    return sid;
  }
  return Error{Errc::LinkReset, "the chip lost the selection each time a user session was opened", 0, true};
}

Error UserSession::failed_verify(se05x::Client& c, uint32_t auth_id, const se05x::SessionId& sid, Error e) {
  if (is_link_failure(e.code)) return e;  // the link failed, not the PIN
  // Whether the chip keeps a half-open session after a refused Verify is not
  // confirmed (docs/se05x-protocol.md §4.9.4): close it, whatever it answers.
  (void)c.close_session(sid);
  if (e.code != Errc::PinIncorrect && e.code != Errc::PinLocked) return e;
  // The counter and its maximum, outside any session (§4.9.4): tries left = max - counter.
  auto attrs = c.read_object_attributes(auth_id);
  if (!attrs) {
    if (note_) note_("attempt counter of auth object " + id_hex(auth_id) + " unreadable: " + attrs.error().to_string());
    return e;
  }
  const auto left = se05x::tries_left(*attrs);
  if (!left) return e;  // unlimited tries
  e.tries_left = *left;
  if (*left == 0 && e.code == Errc::PinIncorrect) {
    e.code = Errc::PinLocked;
    e.message += "; the attempt counter reached its maximum, the PIN is blocked";
  }
  return e;
}

Status UserSession::relogin() {
  auto sid = open_session(auth_id_, pin_);
  if (sid) {
    sid_ = *sid;
    stale_ = false;
    ++relogins_;
    if (note_) note_("user session of auth object " + id_hex(auth_id_) + " re-established after the chip lost it");
    return {};
  }
  Error e = sid.take_error();
  // A link still failing says nothing about the PIN: keep it and try again with the next command.
  if (is_link_failure(e.code)) return e;  // the link failed, not the PIN
  Error out = make_error(Errc::NotLoggedIn, "the chip lost the user session of auth object " + id_hex(auth_id_) +
                                                " and logging in again failed: " + e.to_string());
  out.sw = e.sw;
  out.tries_left = e.tries_left;
  forget();
  return out;
}

Result<Bytes> UserSession::transceive(std::span<const uint8_t> capdu) {
  const bool select = is_applet_select(capdu);
  if (!logged_in_ || select || se05x::is_create_session(capdu) || se05x::is_session_wrapped(capdu)) {
    auto r = below_.transceive(capdu);
    // A SELECT ends the chip's user sessions (docs/se05x-protocol.md §4.9.6).
    if (logged_in_ && select && r && r->size() >= 2 && (*r)[r->size() - 2] == 0x90 && r->back() == 0x00) stale_ = true;
    return denied(std::move(r));
  }
  return in_session(capdu);
}

Result<Bytes> UserSession::in_session(std::span<const uint8_t> capdu) {
  if (stale_ || below_.replays() != epoch_) SX_TRY(relogin());
  for (int attempt = 0;; ++attempt) {
    SX_ASSIGN(Bytes wrapped, se05x::wrap_in_session(capdu, sid_));
    const uint64_t before = below_.replays();
    auto r = below_.transceive(wrapped);
    secure_wipe(wrapped);
    if (below_.replays() == before) return denied(std::move(r));
    // The chip lost the selection during this command, and the session with it.
    stale_ = true;
    // An error: the command may have run (layer 2 resends only when it certainly did
    // not); the caller decides, the session is opened again before the next command.
    if (!r) return r;
    // An answer came from a send after the replay, which carried the dead session's
    // ID: the command did not run. Open the session again and send it once more.
    if (attempt > 0) return Error{Errc::LinkReset, "the chip lost the user session twice during one command", 0, true};
    SX_TRY(relogin());
  }
}

Result<Bytes> UserSession::denied(Result<Bytes> r) const {
  if (!r || r->size() < 2 || (*r)[r->size() - 2] != 0x69 || r->back() != 0x86) return r;
  std::string where = logged_in_ ? "the session of auth object " + id_hex(auth_id_) : std::string("no user session");
  return Error{Errc::AccessDenied, "the object's chip policy refuses this command to " + where + " (SW 6986)", 0x6986,
               false};
}

void UserSession::forget() {
  secure_wipe(pin_);
  pin_.clear();
  sid_.fill(0);
  logged_in_ = false;
  stale_ = false;
}

}  // namespace sx::device
