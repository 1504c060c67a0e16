// User sessions and UserID (PIN) objects (docs/se05x-protocol.md §4.9): the typed
// commands, each through its row of commands.def. The commands that act on an open
// session go inside its wrapper (session_wrap.h), built here, so they are right on
// any channel; the device stack's session layer passes an already wrapped APDU on.
#include <string>
#include <vector>

#include "se05x/client_internal.h"

namespace sx::se05x {

namespace {

// UserID values the chip accepts (docs/se05x-protocol.md §4.9.1); refusing others
// here keeps a malformed value from costing a try on the chip's counter.
constexpr size_t kUserIdMin = 4, kUserIdMax = 16;
// "For PINs the maximum number of attempts must be smaller than 256" (§4.9.1).
constexpr uint16_t kMaxPinAttempts = 255;

Status check_user_id(CmdId id, ByteView value) {
  if (value.size() < kUserIdMin || value.size() > kUserIdMax)
    return invalid(name_of(id), "a UserID value has 4 to 16 bytes");
  return {};
}

// The typed error of a session command's refusal; other errors pass unchanged.
Error typed(Error e, uint16_t sw, Errc code, const char* why) {
  if (e.code == Errc::StatusWord || e.code == Errc::NoMemory) {
    if (e.sw == sw) {
      e.code = code;
      e.message += std::string(": ") + why;
    }
  }
  return e;
}

}  // namespace

Status Client::write_user_id(uint32_t id, ByteView value, uint16_t max_attempts, ByteView policy) {
  constexpr CmdId cid = CmdId::WriteUserID;
  SX_TRY(check_user_id(cid, value));
  if (max_attempts > kMaxPinAttempts) return invalid(name_of(cid), "at most 255 attempts for a PIN (0 = unlimited)");
  std::vector<Arg> args;
  if (!policy.empty()) args.push_back(Arg::bin(tag::kPolicy, policy));
  // 0 = unlimited: the TLV is left out, like the MW (§4.9.1).
  if (max_attempts != 0) args.push_back(Arg::u16(tag::kMaxAttempts, max_attempts));
  args.push_back(Arg::u32(tag::k1, id));
  args.push_back(Arg::bin(tag::k2, value));
  return run_empty(cid, args);
}

Result<SessionId> Client::create_session(uint32_t auth_id) {
  constexpr CmdId cid = CmdId::CreateSession;
  auto a = run(cid, {Arg::u32(tag::k1, auth_id)});
  if (!a) {
    // The chip's limits (§4.9.6): two sessions at once, one per auth object. Which SW
    // says so is not confirmed on hardware; both plausible ones mean "no session now".
    Error e = a.take_error();
    e = typed(std::move(e), sw::kFileFull, Errc::Busy, "no free session slot on the chip");
    return typed(std::move(e), sw::kConditionsNotSatisfied, Errc::Busy,
                 "the chip opens no session on this object (it has one already, or it is no auth object)");
  }
  const ByteView v = a->fields.bytes(tag::k1);
  SessionId sid{};
  if (v.size() != sid.size()) return malformed_reply(cid, "session ID is not 8 bytes");
  std::copy(v.begin(), v.end(), sid.begin());
  return sid;
}

Result<Client::Answer> Client::run_in_session(const SessionId& sid, CmdId id, std::span<const Arg> args) {
  const Command& c = command(id);
  SX_ASSIGN(Bytes inner, build_request(c, args));
  auto outer = wrap_in_session(inner, sid);
  secure_wipe(inner);  // may carry the PIN
  SX_ASSIGN(Bytes apdu, named(c.name, std::move(outer)));
  return send_built(c, std::move(apdu));
}

Status Client::verify_session_user_id(const SessionId& sid, ByteView value) {
  constexpr CmdId cid = CmdId::VerifySessionUserID;
  SX_TRY(check_user_id(cid, value));
  const Arg args[] = {Arg::bin(tag::k1, value)};
  auto a = run_in_session(sid, cid, args);
  if (a) return {};
  Error e = typed(a.take_error(), sw::kConditionsNotSatisfied, Errc::PinIncorrect, "wrong PIN");
  // 6983 for a blocked UserID is our simulator's choice: the chip's SW is not confirmed
  // (docs/se05x-protocol.md §4.9.4). A chip answering 6985 instead is still recognised
  // by the session layer, which reads the counter after every refusal.
  return typed(std::move(e), sw::kAuthBlocked, Errc::PinLocked, "the PIN is blocked");
}

Status Client::exchange_session_data(const SessionId& sid, ByteView session_policy) {
  const Arg args[] = {Arg::bin(tag::k1, session_policy)};
  auto a = run_in_session(sid, CmdId::ExchangeSessionData, args);
  if (!a) return a.take_error();
  return {};
}

Status Client::refresh_session(const SessionId& sid, ByteView session_policy) {
  std::vector<Arg> args;
  if (!session_policy.empty()) args.push_back(Arg::bin(tag::kPolicy, session_policy));
  auto a = run_in_session(sid, CmdId::RefreshSession, args);
  if (!a) return a.take_error();
  return {};
}

Status Client::close_session(const SessionId& sid) {
  auto a = run_in_session(sid, CmdId::CloseSession, {});
  if (!a) return a.take_error();
  return {};
}

}  // namespace sx::se05x
