// Chip-PIN tokens (docs/chip-pin.md §1-§3): the PINs are UserID objects on the
// chip, checked and counted by the chip inside a user session (layer 2b,
// device/user_session.h). Nothing derived from a PIN is written to the metadata.
#include <string>
#include <vector>

#include "crypto/digest.h"
#include "se05x/constants.h"
#include "se05x/policy.h"
#include "token/token.h"

namespace sx::token {

namespace {

// Domain separation of the UserID value (docs/chip-pin.md §1): changing it
// changes every chip-PIN token's PIN values.
constexpr std::string_view kPinContext = "se05x-pkcs11 chip PIN v1";
constexpr size_t kUserIdValueLen = 16;  // the most a UserID holds (docs/se05x-protocol.md §4.9.1)

uint32_t auth_of(UserType who) { return who == UserType::So ? ids::kSoUserId : ids::kUserUserId; }

Error no_session_layer() {
  return make_error(Errc::Unsupported,
                    "chip-PIN token: the user-session layer is not stacked (set pin_storage: chip in the module configuration)");
}

struct WipeBytes {
  Bytes& b;
  ~WipeBytes() { secure_wipe(b); }
};

}  // namespace

Bytes Token::chip_policy(ObjectClass cls, bool is_private, bool store_slot, uint32_t withheld) {
  namespace pol = se05x::policy;
  constexpr uint32_t kRwd = pol::kAllowRead | pol::kAllowWrite | pol::kAllowDelete;
  std::vector<se05x::PolicyEntry> e;
  if (store_slot) {
    // Both sessions commit metadata; labels and IDs are public (listing without login).
    e = {{ids::kUserUserId, kRwd, {}}, {ids::kSoUserId, kRwd, {}}, {0, pol::kAllowRead, {}}};
  } else if (cls == ObjectClass::PrivateKey) {
    // READ of a key pair gives its public half only: listing needs it, in every session.
    // A use the key's attributes deny is missing even for the user's session.
    const uint32_t use = (pol::kAllowSign | pol::kAllowVerify | pol::kAllowKeyAgreement | pol::kAllowEncrypt |
                          pol::kAllowDecrypt | pol::kAllowRead | pol::kAllowDelete) &
                         ~withheld;
    e = {{ids::kUserUserId, use, {}}, {ids::kSoUserId, pol::kAllowRead | pol::kAllowDelete, {}},
         {0, pol::kAllowRead, {}}};
  } else if (is_private) {
    // A private data object: nobody reads it without the user's session.
    e = {{ids::kUserUserId, kRwd, {}}, {ids::kSoUserId, pol::kAllowDelete, {}}};
  } else {
    e = {{ids::kUserUserId, kRwd, {}}, {ids::kSoUserId, pol::kAllowRead | pol::kAllowDelete, {}},
         {0, pol::kAllowRead, {}}};
  }
  return se05x::encode_policy(e);
}

Bytes Token::user_id_policy(UserType who) {
  namespace pol = se05x::policy;
  if (who == UserType::So) {
    const se05x::PolicyEntry so{ids::kSoUserId, pol::kAllowWrite, {}};
    return se05x::encode_policy({&so, 1});
  }
  const std::vector<se05x::PolicyEntry> e = {{ids::kSoUserId, pol::kAllowWrite | pol::kAllowDelete, {}},
                                             {ids::kUserUserId, pol::kAllowWrite, {}}};
  return se05x::encode_policy(e);
}

Result<Bytes> Token::chip_pin_value(std::string_view pin) {
  if (!pin_acceptable(pin)) return make_error(Errc::InvalidArgument, "a PIN must not contain a NUL byte");
  SX_TRY(unique_id());
  Bytes input(kPinContext.begin(), kPinContext.end());
  WipeBytes w{input};
  input.insert(input.end(), unique_id_.begin(), unique_id_.end());
  input.insert(input.end(), pin.begin(), pin.end());
  auto h = crypto::hash(crypto::Digest::Sha256, input);
  if (!h) return make_error(Errc::Crypto, "SHA-256 failed");
  h->resize(kUserIdValueLen);
  return std::move(*h);
}

// Lock held. Incorrect / Locked as answers, other refusals as errors.
Result<PinResult> Token::session_login(UserType who, ByteView value) {
  pin_event();
  auto st = opt_.session->login(auth_of(who), value);
  if (st) return PinResult::Ok;
  if (st.error().code == Errc::PinIncorrect) return PinResult::Incorrect;
  if (st.error().code == Errc::PinLocked) return PinResult::Locked;
  return st.take_error();
}

Status Token::init_chip_token(std::string_view label, std::string_view so_pin) {
  if (!opt_.session) return no_session_layer();
  if (label.size() > kMaxTokenLabel || !valid_utf8(label))
    return make_error(Errc::InvalidArgument, "token label longer than 32 bytes or not UTF-8");
  SX_ASSIGN(Bytes v, chip_pin_value(so_pin));
  WipeBytes w{v};
  SX_ASSIGN(auto lock, lock_synced());
  if (store_.metadata().token.flags & tokflag::kInitialized)
    return make_error(Errc::Exists, "token already initialised");
  // An SO UserID left by a cut init keeps its value: it must be the same SO PIN.
  SX_ASSIGN(bool exists, client_.check_object_exists(ids::kSoUserId));
  if (!exists) SX_TRY(client_.write_user_id(ids::kSoUserId, v, opt_.pin_max_attempts, user_id_policy(UserType::So)));
  SX_ASSIGN(PinResult r, session_login(UserType::So, v));
  if (r != PinResult::Ok)
    return make_error(r == PinResult::Locked ? Errc::PinLocked : Errc::PinIncorrect,
                      "an SO UserID from an earlier initialisation refuses this SO PIN");
  Metadata md = store_.metadata();
  TokenRecord fresh;
  fresh.label = std::string(label);
  fresh.flags = tokflag::kInitialized | tokflag::kChipPin;
  fresh.next_id = md.token.next_id;
  fresh.extra = md.token.extra;
  md.token = std::move(fresh);
  Status st = commit(std::move(md));
  if (st) merge();
  (void)logout();
  return st;
}

// VerifySessionUserID sent plainly through the session layer, which wraps it into
// the open session (docs/se05x-protocol.md §4.9.2-§4.9.3): the chip checks the value
// again and counts a failure. The simulator keeps the session after a failed
// re-verify (docs/simulator.md); a chip that drops it is [U] (docs/chip-pin.md §3).
Result<PinResult> Token::reverify(UserType who, ByteView value) {
  SX_ASSIGN(auto lock, take_lock());
  pin_event();
  const se05x::Arg args[] = {se05x::Arg::bin(se05x::tag::k1, value)};
  auto a = client_.run(se05x::CmdId::VerifySessionUserID, args);
  if (a) return PinResult::Ok;
  Error e = a.take_error();
  const bool refused = e.code == Errc::StatusWord &&
                       (e.sw == se05x::sw::kConditionsNotSatisfied || e.sw == se05x::sw::kAuthBlocked);
  if (!refused) return e;
  SX_ASSIGN(se05x::ObjectAttributes at, client_.read_object_attributes(auth_of(who)));
  const bool locked = e.sw == se05x::sw::kAuthBlocked ||
                      (at.max_auth_attempts != 0 && at.auth_attempts >= at.max_auth_attempts);
  return locked ? PinResult::Locked : PinResult::Incorrect;
}

// Lock held, the chip session just opened (login(), relogin()). The public
// listing read all a session-less client may; the session adds only what it
// could not (private data objects, objects another tool's policy hides): those
// are described again, nothing else is listed again (docs/chip-pin.md §3).
// One read of the metadata pointer keeps the freshness rules of refresh(); a
// change behind it, or leftovers to clean (commits, allowed only now), take
// the full sync_locked() that every update starts with.
Status Token::after_login_locked() {
  for (auto& [id, co] : chip_) {
    if (co.problem.empty()) continue;
    SX_ASSIGN(ChipObject again, describe_object(client_, id, applet7_));
    co = std::move(again);
  }
  // Fresh: the caller checked the version before the login (the module's C_Login,
  // the CLI's open, a re-open), so only what the session changes is looked at.
  const bool current = checked_;
  const bool upgrading = (store_.metadata().token.flags & tokflag::kUpgradeSlots) != 0;
  if (!current || need_rescan_ || upgrading || has_leftovers()) return sync_locked();
  merge();
  return {};
}

Result<PinResult> Token::login(UserType who, std::string_view pin) {
  if (!opt_.session) return no_session_layer();
  if (implicit_so_) (void)logout();
  if (opt_.session->logged_in()) return make_error(Errc::InvalidArgument, "already logged in");
  // Upgraded from host PINs, the user's first login since (docs/chip-pin.md §5).
  if (who == UserType::User && chip_pin() && store_.metadata().token.user_pin.set()) return upgrade_at_user_login(pin);
  SX_ASSIGN(Bytes v, chip_pin_value(pin));
  WipeBytes w{v};
  SX_ASSIGN(auto lock, take_lock());
  SX_ASSIGN(PinResult r, session_login(who, v));
  if (r != PinResult::Ok) return r;
  Status st = after_login_locked();
  // An upgrade cut before its end is finished by whoever logs in next.
  if (st && (store_.metadata().token.flags & tokflag::kUpgradeSlots)) st = upgrade_finish_locked();
  if (!st) {
    (void)logout();
    return st.take_error();
  }
  return r;
}

Status Token::logout() {
  pin_event();
  implicit_so_ = false;
  if (!opt_.session || !opt_.session->logged_in()) return {};
  SX_ASSIGN(auto lock, take_lock());
  return opt_.session->logout();
}

Status Token::write_user_pin_locked(ByteView value) {
  SX_ASSIGN(bool exists, client_.check_object_exists(ids::kUserUserId));
  pin_event();
  const Bytes pol = user_id_policy(UserType::User);
  if (exists) {
    // Rewriting a UserID someone else put there first would keep their policy.
    SX_TRY(check_own_user_id(ids::kUserUserId, pol));
    return client_.write_user_id(ids::kUserUserId, value, opt_.pin_max_attempts);
  }
  return client_.write_user_id(ids::kUserUserId, value, opt_.pin_max_attempts, pol);
}

Status Token::init_chip_user_pin(std::string_view pin) {
  if (!opt_.session || !opt_.session->logged_in() || opt_.session->auth_id() != ids::kSoUserId)
    return make_error(Errc::NotLoggedIn, "C_InitPIN needs the SO session");
  SX_ASSIGN(Bytes v, chip_pin_value(pin));
  WipeBytes w{v};
  SX_ASSIGN(auto lock, lock_synced());
  SX_TRY(write_user_pin_locked(v));
  Metadata md = store_.metadata();
  // After an upgrade from host PINs the user's old verifier goes with it (§5).
  if ((md.token.flags & tokflag::kUserPinSet) && !md.token.user_pin.set()) return {};
  md.token.flags |= tokflag::kUserPinSet;
  md.token.user_pin = {};
  md.token.user_failures = 0;
  return commit_merge(std::move(md));
}

Result<PinResult> Token::change_chip_pin(UserType who, std::string_view old_pin, std::string_view new_pin) {
  if (!opt_.session) return no_session_layer();
  SX_ASSIGN(Bytes oldv, chip_pin_value(old_pin));
  WipeBytes w1{oldv};
  SX_ASSIGN(Bytes newv, chip_pin_value(new_pin));
  WipeBytes w2{newv};
  const bool was_in = opt_.session->logged_in();
  if (was_in) {
    if (opt_.session->auth_id() != auth_of(who)) return make_error(Errc::NotLoggedIn, "logged in as the other user");
    // The chip checks the old PIN and counts a wrong one: a process that is logged
    // in (it may never have known the PIN) gets no uncounted oracle here.
    SX_ASSIGN(PinResult r, reverify(who, oldv));
    if (r != PinResult::Ok) return r;
  } else {
    SX_ASSIGN(PinResult r, login(who, old_pin));
    if (r != PinResult::Ok) return r;
  }
  SX_ASSIGN(auto lock, take_lock());
  // The owner's WRITE right on its own UserID (§1); the update resets its counter.
  Status st = client_.write_user_id(auth_of(who), newv, opt_.pin_max_attempts);
  // The session layer keeps the old value for re-logins: open the session again.
  (void)opt_.session->logout();
  if (!st) return st.take_error();
  if (!was_in) return PinResult::Ok;
  SX_ASSIGN(PinResult r, session_login(who, newv));
  if (r != PinResult::Ok) return make_error(Errc::NotLoggedIn, "the chip refused the new PIN right after writing it");
  return PinResult::Ok;
}

Status Token::read_pin_counters(std::chrono::steady_clock::duration window) {
  const auto now = std::chrono::steady_clock::now();
  if (counters_.read && now - counters_.at < window) return {};
  SX_ASSIGN(auto lock, take_lock());
  PinCounters c;
  for (UserType who : {UserType::User, UserType::So}) {
    // A UserID that does not exist (no user PIN yet) is a chip answer, not an error.
    auto a = client_.read_object_attributes(auth_of(who));
    if (!a) {
      if (is_link_error(a.error())) return a.take_error();
      continue;
    }
    (who == UserType::User ? c.user : c.so) = a->auth_attempts;
    (who == UserType::User ? c.user_max : c.so_max) = a->max_auth_attempts;
  }
  c.read = true;
  c.wanted = true;
  c.at = now;
  counters_ = c;
  return {};
}

}  // namespace sx::token
