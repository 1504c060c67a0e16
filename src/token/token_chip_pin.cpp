// Chip-PIN tokens (docs/chip-pin.md §1-§3): the PINs are UserID objects on the
// chip, checked and counted by the chip inside a user session (layer 2b,
// device/user_session.h). Nothing derived from a PIN is written to the metadata.
#include <openssl/crypto.h>

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

Bytes Token::chip_policy(ObjectClass cls, bool is_private, bool store_slot) {
  namespace pol = se05x::policy;
  constexpr uint32_t kRwd = pol::kAllowRead | pol::kAllowWrite | pol::kAllowDelete;
  std::vector<se05x::PolicyEntry> e;
  if (store_slot) {
    // Both sessions commit metadata; labels and IDs are public (listing without login).
    e = {{ids::kUserUserId, kRwd, {}}, {ids::kSoUserId, kRwd, {}}, {0, pol::kAllowRead, {}}};
  } else if (cls == ObjectClass::PrivateKey) {
    // READ of a key pair gives its public half only: listing needs it, in every session.
    const uint32_t use = pol::kAllowSign | pol::kAllowVerify | pol::kAllowKeyAgreement | pol::kAllowEncrypt |
                         pol::kAllowDecrypt | pol::kAllowRead | pol::kAllowDelete;
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

Result<Bytes> Token::chip_pin_value(std::string_view pin) {
  if (!pin_acceptable(pin)) return make_error(Errc::InvalidArgument, "a PIN must not contain a NUL byte");
  if (unique_id_.empty()) {
    SX_ASSIGN(auto lock, hold_single());
    SX_ASSIGN(Bytes uid, client_.read_object(se05x::objid::kUniqueId));
    if (uid.empty()) return make_error(Errc::Malformed, "empty unique ID");
    unique_id_ = std::move(uid);
  }
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
  counters_.read = false;
  auto st = opt_.session->login(auth_of(who), value);
  if (st) {
    session_value_.assign(value.begin(), value.end());
    return PinResult::Ok;
  }
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
  if (!exists) {
    const se05x::PolicyEntry so{ids::kSoUserId, se05x::policy::kAllowWrite, {}};
    SX_TRY(client_.write_user_id(ids::kSoUserId, v, opt_.pin_max_attempts, se05x::encode_policy({&so, 1})));
  }
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

Result<PinResult> Token::login(UserType who, std::string_view pin) {
  if (!opt_.session) return no_session_layer();
  if (opt_.session->logged_in()) return make_error(Errc::InvalidArgument, "already logged in");
  SX_ASSIGN(Bytes v, chip_pin_value(pin));
  WipeBytes w{v};
  SX_ASSIGN(auto lock, take_lock());
  SX_ASSIGN(PinResult r, session_login(who, v));
  if (r != PinResult::Ok) return r;
  // The public listing could not read what only the session may (private data):
  // list again, and finish interrupted operations now that commits are allowed.
  chip_.clear();
  need_rescan_ = true;
  if (auto st = sync_locked(); !st) {
    (void)logout();
    return st.take_error();
  }
  return r;
}

Status Token::logout() {
  secure_wipe(session_value_);
  session_value_.clear();
  counters_.read = false;
  if (!opt_.session || !opt_.session->logged_in()) return {};
  SX_ASSIGN(auto lock, take_lock());
  return opt_.session->logout();
}

Status Token::write_user_pin_locked(ByteView value) {
  SX_ASSIGN(bool exists, client_.check_object_exists(ids::kUserUserId));
  counters_.read = false;
  if (exists) return client_.write_user_id(ids::kUserUserId, value, opt_.pin_max_attempts);
  namespace pol = se05x::policy;
  const std::vector<se05x::PolicyEntry> e = {{ids::kSoUserId, pol::kAllowWrite | pol::kAllowDelete, {}},
                                             {ids::kUserUserId, pol::kAllowWrite, {}}};
  return client_.write_user_id(ids::kUserUserId, value, opt_.pin_max_attempts, se05x::encode_policy(e));
}

Status Token::init_chip_user_pin(std::string_view pin) {
  if (!opt_.session || !opt_.session->logged_in() || opt_.session->auth_id() != ids::kSoUserId)
    return make_error(Errc::NotLoggedIn, "C_InitPIN needs the SO session");
  SX_ASSIGN(Bytes v, chip_pin_value(pin));
  WipeBytes w{v};
  SX_ASSIGN(auto lock, lock_synced());
  SX_TRY(write_user_pin_locked(v));
  Metadata md = store_.metadata();
  if (md.token.flags & tokflag::kUserPinSet) return {};
  md.token.flags |= tokflag::kUserPinSet;
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
    // The chip checked this value at login; a wrong old PIN is refused here
    // without a chip attempt (the caller is in the session already).
    if (opt_.session->auth_id() != auth_of(who)) return make_error(Errc::NotLoggedIn, "logged in as the other user");
    if (session_value_.size() != oldv.size() || CRYPTO_memcmp(session_value_.data(), oldv.data(), oldv.size()) != 0)
      return PinResult::Incorrect;
  } else {
    SX_ASSIGN(PinResult r, login(who, old_pin));
    if (r != PinResult::Ok) return r;
  }
  SX_ASSIGN(auto lock, take_lock());
  // The owner's WRITE right on its own UserID (§1); the update resets its counter.
  Status st = client_.write_user_id(auth_of(who), newv, opt_.pin_max_attempts);
  // The session layer keeps the old value for re-logins: open the session again.
  (void)opt_.session->logout();
  secure_wipe(session_value_);
  session_value_.clear();
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
    SX_ASSIGN(bool exists, client_.check_object_exists(auth_of(who)));
    if (!exists) continue;
    SX_ASSIGN(se05x::ObjectAttributes a, client_.read_object_attributes(auth_of(who)));
    (who == UserType::User ? c.user : c.so) = a.auth_attempts;
    (who == UserType::User ? c.user_max : c.so_max) = a.max_auth_attempts;
  }
  c.read = true;
  c.at = now;
  counters_ = c;
  return {};
}

}  // namespace sx::token
