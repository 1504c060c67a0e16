// Layer 2b of the device stack (device/stack.h): the user session that makes the
// chip itself enforce the PIN (docs/se05x-protocol.md §4.9). An ApduChannel
// decorator between reset recovery (layer 2, below) and the chip lock (layer 3,
// above). Not logged in it passes every APDU on. Logged in, it sends every APDU
// inside the session's wrapper (80 05 .., §4.9.3) except an applet SELECT, a
// CreateSession and an APDU that is already wrapped.
//
// login(auth, pin) = CreateSession (outside) + VerifySessionUserID (inside): 2 APDUs.
// A wrong PIN costs 2 more: CloseSession (its SW ignored: whether the chip keeps a
// half-open session is not confirmed, §4.9.4) and ReadObjectAttributes of the auth
// object, for the tries left (max - counter).
//
// The PIN stays in RAM while logged in: when the chip lost the selection (a chip
// reset or a reconnect: layer 2 replays the SELECT, and a SELECT ends every session,
// §4.9.6), the session is re-established before the next command, at the cost of
// the same 2 APDUs, so that a T=1 recovery does not log the user out under a
// running application. The command the loss interrupted is resent only when it
// provably did not run: it reached the chip only carrying the dead session's ID
// (the replay came before it). logout() and a failed re-login wipe the PIN.
//
// The layer takes no lock: a caller that logs in holds the chip lock of the layer
// above (ChipLock on the ChipLockChannel), which makes login atomic on the chip.
// Not thread-safe, like the rest of the stack.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/bytes.h"
#include "device/reselect_channel.h"
#include "link/apdu_channel.h"
#include "se05x/session_wrap.h"

namespace sx::se05x {
class Client;
}

namespace sx::device {

class UserSession : public link::ApduChannel {
 public:
  // A line worth a note in the log (never carries the PIN).
  using Note = std::function<void(const std::string&)>;

  explicit UserSession(ReselectChannel& below, Note note = {}) : below_(below), note_(std::move(note)) {}
  ~UserSession() override { forget(); }
  UserSession(const UserSession&) = delete;
  UserSession& operator=(const UserSession&) = delete;

  // Errors: Errc::PinIncorrect with Error::tries_left (-1: unlimited or unread),
  // Errc::PinLocked, Errc::Busy (no session slot, §4.9.6), InvalidArgument when
  // already logged in; link errors as they come.
  Status login(uint32_t auth_id, ByteView pin);
  // CloseSession (skipped when the chip already lost the session), then the PIN
  // is wiped. Errc::NotLoggedIn when there was no session.
  Status logout();
  bool logged_in() const { return logged_in_; }
  uint32_t auth_id() const { return auth_id_; }
  // The value the chip accepted at login (RAM only, wiped at logout): what a
  // caller that must rebuild the whole stack (the module after a device error)
  // keeps to log in again without the PIN.
  const Bytes& accepted_value() const { return pin_; }
  // How many times a lost session was re-established (tests, diagnostics).
  unsigned relogins() const { return relogins_; }

  Result<Bytes> open() override { return below_.open(); }
  // A 6986 answer becomes Errc::AccessDenied (SW kept): the object's policy refused
  // the command to this session, or to no session (§4.9.5).
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override;
  Status close() override { return below_.close(); }
  Status lock() override { return below_.lock(); }
  Status unlock() override { return below_.unlock(); }
  std::string describe() const override { return below_.describe(); }

 private:
  Result<se05x::SessionId> open_session(uint32_t auth_id, ByteView pin);
  Error failed_verify(se05x::Client& c, uint32_t auth_id, const se05x::SessionId& sid, Error e);
  Result<Bytes> denied(Result<Bytes> r) const;
  Status relogin();
  Result<Bytes> in_session(std::span<const uint8_t> capdu);
  void forget();

  ReselectChannel& below_;
  Note note_;
  bool logged_in_ = false;
  bool stale_ = false;  // the chip lost the session: re-establish before the next command
  uint32_t auth_id_ = 0;
  Bytes pin_;
  se05x::SessionId sid_{};
  uint64_t epoch_ = 0;  // below_.replays() when the session was opened
  unsigned relogins_ = 0;
};

}  // namespace sx::device
