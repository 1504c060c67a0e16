// User sessions: CreateSession, the session wrapper (ProcessSessionCmd), CloseSession,
// ExchangeSessionData, RefreshSession (docs/se05x-protocol.md §4.9.2, §4.9.3, §4.9.6).
#include "sim/applet.h"

namespace sx::sim {

namespace t = se05x::tag;
namespace s = se05x::sw;
using se05x::CmdId;

Applet::Reply Applet::on_CreateSession(const Request& r) {
  if (session_) return sw(sw_choice::kWrongType);  // only outside sessions
  const SecureObject* o = find(r.u32(t::k1));
  if (!o) return sw(sw_choice::kNoObject);
  if (!o->is_auth()) return sw(sw_choice::kWrongType);
  // A locked object still opens a session: the lock shows at VerifySessionUserID.
  const SessionTable::Opened opened = sessions_.open(o->id);
  if (opened.sw != s::kOk) return sw(opened.sw);
  return ok(se05x::TlvWriter().bytes(t::k1, ByteView(opened.id.data(), opened.id.size())).take());
}

Applet::Reply Applet::on_CloseSession(const Request&) {
  if (!session_) return sw(sw_choice::kWrongType);  // only inside the wrapper
  const SessionId id = session_->id;
  session_ = nullptr;
  sessions_.close(id);
  return ok();
}

Applet::Reply Applet::on_ProcessSessionCmd(const Request& r) {
  if (session_) return sw(sw_choice::kWrongType);  // nested wrapper
  Session* sess = sessions_.find(r.bin(t::kSessionId));
  if (!sess) return sw(sw_choice::kWrongType);  // [U] unknown or closed session
  return run_in_session(*sess, r.bin(t::k1));
}

// Why an inner command may not run in `sess` (0: it may). Commands that cannot be wrapped
// (CreateSession, a nested wrapper) and, before the UserID is verified, everything but
// VerifySessionUserID and CloseSession (unknown commands included: nullopt).
uint16_t Applet::session_refusal(const Session& sess, std::optional<CmdId> inner) {
  if (inner == CmdId::CreateSession || inner == CmdId::ProcessSessionCmd || inner == CmdId::Select)
    return sw_choice::kWrongType;
  if (!sess.verified && inner != CmdId::VerifySessionUserID && inner != CmdId::CloseSession)
    return sw_choice::kWrongType;
  return 0;
}

Applet::Reply Applet::run_in_session(Session& sess, ByteView inner_bytes) {
  const SessionId id = sess.id;
  if (sess.expired(SessionClock::now()) || sess.exhausted()) {
    sessions_.close(id);
    return sw(sw_choice::kWrongType);
  }
  // The inner APDU: header, then nothing, or Lc (1 byte or 00 HH LL) and data; never an Le.
  auto inner = se05x::parse_command(inner_bytes);
  if (!inner || inner->le) return sw(sw_choice::kBadTlv);
  if (inner->header.cla != se05x::kCla || (inner->header.ins & se05x::ins::kMask) == se05x::ins::kProcess)
    return sw(sw_choice::kWrongType);
  const se05x::Matches m = se05x::find_commands(inner->header, &Applet::implemented);
  // Unknown commands in a verified session get the applet's usual answer (6D00 / 6A86).
  const std::optional<CmdId> which = m.count ? std::optional(m.items[0]->id) : std::nullopt;
  if (const uint16_t no = session_refusal(sess, which)) return sw(no);

  session_ = &sess;
  wrapped_ = true;
  Reply rep = dispatch(*inner);
  session_ = nullptr;
  // Session policy MAX_APDU counts every inner command after the policy was (re)armed.
  if (Session* after = sessions_.find(ByteView(id.data(), id.size()));
      after && which != CmdId::ExchangeSessionData && which != CmdId::RefreshSession) {
    ++after->apdus_used;
    if (after->exhausted()) sessions_.close(id);
  }
  return rep;
}

Applet::Reply Applet::on_ExchangeSessionData(const Request& r) {
  if (!session_) return sw(sw_choice::kWrongType);
  auto p = parse_session_policy(r.bin(t::k1));
  if (!p) return sw(sw_choice::kBadTlv);
  session_->arm(*p, SessionClock::now());
  return ok();
}

// [U] A session whose policy lacks ALLOW_REFRESH cannot be refreshed (6985); otherwise the
// given policy, or the current one, is armed afresh.
Applet::Reply Applet::on_RefreshSession(const Request& r) {
  if (!session_) return sw(sw_choice::kWrongType);
  if (session_->policy && !session_->policy->allow_refresh) return sw(sw_choice::kWrongType);
  std::optional<SessionPolicy> p = session_->policy;
  if (auto given = r.opt(t::kPolicy)) {
    p = parse_session_policy(*given);
    if (!p) return sw(sw_choice::kBadTlv);
  }
  if (p) session_->arm(*p, SessionClock::now());
  return ok();
}

// Deleting an authentication object ends its sessions.
void Applet::end_sessions_of_missing_objects() {
  if (session_ && !find(session_->auth_id)) session_ = nullptr;
  sessions_.close_if([this](uint32_t auth_id) { return find(auth_id) == nullptr; });
}

}  // namespace sx::sim
