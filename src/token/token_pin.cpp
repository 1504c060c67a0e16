// Token-level records: label, PIN verifiers and failure counters.
#include <algorithm>

#include "token/token.h"

namespace sx::token {

Status Token::set_token_label(std::string_view label) {
  if (label.size() > kMaxTokenLabel || !valid_utf8(label))
    return make_error(Errc::InvalidArgument, "token label longer than 32 bytes or not UTF-8");
  SX_ASSIGN(auto lock, lock_synced());
  Metadata md = store_.metadata();
  md.token.label = std::string(label);
  return commit(std::move(md));
}

Status Token::set_pin(UserType who, std::string_view pin) {
  // The slow KDF runs before taking the chip. NUL bytes and > 64 bytes are refused there.
  SX_ASSIGN(PinVerifier v, make_pin_verifier(pin, opt_.pin_iterations));
  SX_ASSIGN(auto lock, lock_synced());
  Metadata md = store_.metadata();
  if (who == UserType::User) {
    md.token.user_pin = std::move(v);
    md.token.user_failures = 0;
    md.token.flags |= tokflag::kUserPinSet;
  } else {
    md.token.so_pin = std::move(v);
    md.token.so_failures = 0;
    md.token.flags |= tokflag::kInitialized;
  }
  return commit(std::move(md));
}

// Fails closed: the attempt is counted on the chip before the comparison is
// looked at, and reset after a success. A check whose count cannot be
// committed (chip full, link lost) returns that error and says nothing about
// the PIN — otherwise a full chip would allow unlimited guessing.
Result<PinResult> Token::check_pin(UserType who, std::string_view pin) {
  if (!pin_acceptable(pin)) return make_error(Errc::InvalidArgument, "a PIN must not contain a NUL byte");
  auto verifier = [who](const Metadata& m) -> const PinVerifier& {
    return who == UserType::User ? m.token.user_pin : m.token.so_pin;
  };
  // KDF against the cached verifier outside the lock; redone only if it changed meanwhile.
  PinVerifier used = verifier(store_.metadata());
  bool ok = sx::token::check_pin(used, pin);
  SX_ASSIGN(auto lock, lock_synced());
  Metadata md = store_.metadata();
  const PinVerifier now = verifier(md);
  if (!now.set()) return PinResult::NotSet;
  uint8_t& failures = who == UserType::User ? md.token.user_failures : md.token.so_failures;
  if (failures >= kMaxPinFailures) return PinResult::Locked;
  // 1. The attempt, on the chip, as a failure.
  ++failures;
  SX_TRY(commit(md));
  // 2. Only now the answer.
  if (!(now == used)) ok = sx::token::check_pin(now, pin);
  if (!ok) return failures >= kMaxPinFailures ? PinResult::Locked : PinResult::Incorrect;
  // 3. A success resets the counter; if that cannot be written the login is
  // refused too (the count stays, a later success resets it).
  failures = 0;
  SX_TRY(commit(std::move(md)));
  // A module set to chip PINs upgrades a host-PIN token at the SO's login (token_upgrade.cpp).
  if (who == UserType::So && upgrade_state() == Upgrade::Host) return upgrade_at_so_login(pin);
  return PinResult::Ok;
}

Result<size_t> Token::reset(std::string_view label, std::string_view so_pin) {
  if (label.size() > kMaxTokenLabel || !valid_utf8(label))
    return make_error(Errc::InvalidArgument, "token label longer than 32 bytes or not UTF-8");
  SX_ASSIGN(PinVerifier v, make_pin_verifier(so_pin, opt_.pin_iterations));
  SX_ASSIGN(auto lock, lock_synced());
  // 1. The module's chip objects (Pending ones too). Each deletion alone
  // leaves a stale record, which is ignored; the metadata is not touched yet.
  size_t deleted = 0;
  for (const auto& rec : store_.metadata().objects) {
    if ((rec.flags & objflag::kAdopted) != 0) continue;
    const uint32_t id = rec.chip_id;
    if (std::find(all_ids_.begin(), all_ids_.end(), id) == all_ids_.end()) continue;
    SX_TRY(delete_chip_object(id));
    ++deleted;
  }
  // 2. One commit: a fresh token record. The allocation high-water mark
  // stays, so a later object never takes an old one's ID.
  Metadata md = store_.metadata();
  TokenRecord fresh;
  fresh.label = std::string(label);
  fresh.so_pin = std::move(v);
  fresh.flags = tokflag::kInitialized;
  fresh.next_id = md.token.next_id;
  md.token = std::move(fresh);
  md.objects.clear();
  SX_TRY(commit(std::move(md)));
  merge();
  return deleted;
}

}  // namespace sx::token
