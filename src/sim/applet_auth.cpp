// UserID authentication objects: WriteUserID and VerifySessionUserID with the persistent
// attempt counter (docs/se05x-protocol.md §4.9.1, §4.9.4).
#include <openssl/crypto.h>

#include "sim/applet.h"

namespace sx::sim {

namespace t = se05x::tag;
namespace s = se05x::sw;

namespace {
constexpr size_t kMinUserId = 4, kMaxUserId = 16;
constexpr uint16_t kMaxPinAttempts = 255;  // "smaller than 256" for a UserID
}  // namespace

Applet::Reply Applet::on_WriteUserID(const Request& r) {
  op_.op = Op::WriteKey;
  const ByteView value = r.bin(t::k2);
  if (value.size() < kMinUserId || value.size() > kMaxUserId) return sw(sw_choice::kBadTlv);
  const auto max = r.opt_u16(t::kMaxAttempts);
  if (max && *max > kMaxPinAttempts) return sw(sw_choice::kBadTlv);
  if (SecureObject* o = find(r.u32(t::k1))) return update_user_id(*o, r);
  SecureObject n;
  n.id = r.u32(t::k1);
  n.kind = ObjectKind::Other;
  n.auth = AuthKind::UserId;
  n.max_attempts = max.value_or(0);
  n.data.assign(value.begin(), value.end());
  if (auto p = r.opt(t::kPolicy)) n.policy.assign(p->begin(), p->end());
  if (const uint16_t code = check_new_object(n); code != s::kOk) return sw(code);
  return sw(commit([n](Store& st) { st.objects.emplace(n.id, n); }));
}

// A new value (and, when given, a new maximum) for an existing UserID: needs WRITE for the
// current session and resets the failure counter, which is how an SO unlocks a user PIN.
// A TAG_POLICY is ignored, as on every other write to an existing object.
Applet::Reply Applet::update_user_id(SecureObject& o, const Request& r) {
  if (o.auth != AuthKind::UserId) return sw(sw_choice::kExists);
  if (o.origin == se05x::Origin::Provisioned || !may(o)) return sw(sw_choice::kDenied);
  const ByteView v = r.bin(t::k2);
  const Bytes value(v.begin(), v.end());
  const auto max = r.opt_u16(t::kMaxAttempts);
  return sw(commit([id = o.id, value, max](Store& st) {
    auto& x = st.objects.at(id);
    x.data = value;
    x.attempts = 0;
    if (max) x.max_attempts = *max;
  }));
}

Applet::Reply Applet::on_VerifySessionUserID(const Request& r) {
  op_.op = Op::Read;
  if (!session_) return sw(sw_choice::kWrongType);  // only inside the wrapper
  const SecureObject* o = find(session_->auth_id);
  if (!o || o->auth != AuthKind::UserId) return sw(sw_choice::kWrongType);
  // Locked: refused without comparing, so a blocked PIN cannot be probed.
  if (o->locked()) return sw(auth_opts_.locked_sw);
  const ByteView given = r.bin(t::k1);
  const bool match = given.size() == o->data.size() && CRYPTO_memcmp(given.data(), o->data.data(), given.size()) == 0;
  const uint32_t id = o->id;
  if (!match) {
    // The failure is counted in the NVM before the answer leaves: a power cut at this write
    // leaves the old count and no answer, never an answer without the count. The session's
    // state does not change (a verified session stays verified).
    const uint16_t st = commit([id](Store& x) {
      auto& a = x.objects.at(id).attempts;
      if (a < 0xFFFF) ++a;
    });
    return sw(st == s::kOk ? sw_choice::kWrongType : st);
  }
  if (o->attempts != 0 && !auth_opts_.keep_count_on_success) {
    const uint16_t st = commit([id](Store& x) { x.objects.at(id).attempts = 0; });
    if (st != s::kOk) return sw(st);
  }
  session_->verified = true;
  return ok();
}

}  // namespace sx::sim
