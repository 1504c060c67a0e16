// The upgrade of a token written with host PINs (PBKDF2 verifiers in the metadata)
// to a chip-PIN token (docs/chip-pin.md §5), and the query of objects the chip does
// not protect with the user's PIN. Every chip write is ordered so that a power cut
// anywhere leaves the old token (usable with the old PINs) or the new one.
#include <algorithm>
#include <cstdio>

#include "se05x/constants.h"
#include "se05x/policy.h"
#include "token/id_range.h"
#include "token/token.h"

namespace sx::token {

namespace {

struct WipeValue {
  Bytes& b;
  ~WipeValue() { secure_wipe(b); }
};

std::string id_hex(uint32_t id) {
  char b[12];
  std::snprintf(b, sizeof b, "0x%08X", static_cast<unsigned>(id));
  return b;
}

// Why a policy lets somebody other than the user's session use the object; "" when
// it does not. The SO's session may read and delete (§2), never use a key.
std::string weakness(const Object& o, ByteView raw) {
  namespace pol = se05x::policy;
  auto entries = se05x::decode_policy(raw);  // docs/se05x-protocol.md §4.7
  if (!entries) return "unreadable policy";
  const bool key = o.cls == ObjectClass::PrivateKey;
  const bool secret_data = o.cls == ObjectClass::Data && o.is_private;
  // An empty policy leaves the chip's defaults: everything for everybody (§4.7).
  if (entries->empty()) return "no policy: any session or none may use it";
  for (const auto& s : se05x::rules_of_other_sessions(*entries, ids::kUserUserId)) {
    const std::string who = s.auth_id == 0 ? "any session or none" : "the session of " + id_hex(s.auth_id);
    if (key && (s.rules & pol::kAllowSign)) return who + " may sign with it";
    if (key && (s.rules & pol::kAllowDecrypt)) return who + " may decrypt with it";
    if (key && (s.rules & pol::kAllowKeyAgreement)) return who + " may derive (ECDH) with it";
    if (key && (s.rules & (pol::kAllowImportExport | pol::kAllowWrap | pol::kAllowKdf)))
      return who + " may export, wrap or derive keys with it";
    if (secret_data && (s.rules & pol::kAllowRead)) return who + " may read it";
    if (s.auth_id != ids::kSoUserId && (s.rules & (pol::kAllowWrite | pol::kAllowDelete)))
      return who + " may rewrite or delete it";
  }
  return "";
}

}  // namespace

Result<std::vector<Token::UnprotectedObject>> Token::unprotected_objects() {
  std::vector<UnprotectedObject> out;
  for (const Object& o : objects_) {
    if (o.cls == ObjectClass::PublicKey && is_pair(o.chip_kind)) continue;  // its private key speaks for it
    auto it = unprotected_cache_.find(o.chip_id);
    if (it == unprotected_cache_.end()) {
      SX_ASSIGN(auto lock, hold_single());
      SX_ASSIGN(se05x::ObjectAttributes a, client_.read_object_attributes(o.chip_id));
      it = unprotected_cache_.emplace(o.chip_id, weakness(o, a.policy)).first;
    }
    if (!it->second.empty()) out.push_back({o.chip_id, o.cls, o.label, it->second});
  }
  return out;
}

Token::Upgrade Token::upgrade_state() const {
  const TokenRecord& t = store_.metadata().token;
  if (!(t.flags & tokflag::kChipPin))
    return opt_.chip_pin && opt_.session && (t.flags & tokflag::kInitialized) && t.so_pin.set() ? Upgrade::Host
                                                                                                 : Upgrade::None;
  return t.user_pin.set() || (t.flags & tokflag::kUpgradeSlots) ? Upgrade::UserPending : Upgrade::Done;
}

Status Token::check_own_user_id(uint32_t id, ByteView want_policy) {
  SX_ASSIGN(se05x::ObjectAttributes a, client_.read_object_attributes(id));
  if (a.policy == Bytes(want_policy.begin(), want_policy.end()) && a.max_auth_attempts != 0) return {};
  return make_error(Errc::Exists, "the UserID at " + id_hex(id) +
                                      " was not written by this module (other policy or unlimited attempts): "
                                      "not using it; only `se05x token reset --factory` removes it");
}

// check_pin(So) matched the SO verifier of a host-PIN token: the SO UserID, the SO
// session, then upgrade_switch_locked() and upgrade_finish_locked(). Ends logged in
// as the SO (the caller's SO login). A token that cannot be upgraded stays as it was
// and the login succeeds as a host-PIN login.
Result<PinResult> Token::upgrade_at_so_login(std::string_view pin) {
  SX_ASSIGN(Bytes v, chip_pin_value(pin));
  WipeValue w{v};
  SX_ASSIGN(auto lock, lock_synced());
  if (upgrade_state() != Upgrade::Host || store_.state() != StoreState::Loaded) return PinResult::Ok;
  if (opt_.session->logged_in()) return make_error(Errc::InvalidArgument, "already logged in");
  // 1. The SO UserID. A cut after it leaves the old token (nothing reads it yet);
  // the next attempt finds it and checks that it is ours and takes this PIN.
  // Whatever the chip refuses here leaves the host-PIN token, and the SO's login
  // stands (the verifier matched): upgrade_state() still says Host.
  SX_ASSIGN(bool exists, client_.check_object_exists(ids::kSoUserId));
  Status made = exists ? check_own_user_id(ids::kSoUserId, user_id_policy(UserType::So))
                       : client_.write_user_id(ids::kSoUserId, v, opt_.pin_max_attempts, user_id_policy(UserType::So));
  if (!made) return is_link_error(made.error()) ? Result<PinResult>(made.take_error()) : PinResult::Ok;
  // 2. The SO session: the commits from now on need it. A UserID left by an
  // interrupted upgrade that refuses this PIN (the SO PIN was changed since) stays.
  auto r = session_login(UserType::So, v);
  if (!r) return is_link_error(r.error()) ? Result<PinResult>(r.take_error()) : PinResult::Ok;
  if (*r != PinResult::Ok) return PinResult::Ok;
  if (auto st = upgrade_switch_locked(); !st) {
    // Not switched: the old token, with the SO logged in as on a host-PIN token
    // unless the link failed (then nothing is known).
    (void)opt_.session->logout();
    need_rescan_ = true;
    if (is_link_error(st.error())) return st.take_error();
    return PinResult::Ok;
  }
  implicit_so_ = true;
  // The new token is committed; what is left is finished by any later login too.
  (void)upgrade_finish_locked();
  return PinResult::Ok;
}

// Copies of the module's certificates and data objects under new IDs with the §2
// policy (Pending -> written), then ONE commit that shows the copies, retires the
// originals (Pending: deleted by the cleanup), drops the SO verifier and sets
// kChipPin, into a slot recreated with the slot policy. Before that commit every
// cut leaves the old token; after it the new one.
Status Token::upgrade_switch_locked() {
  Metadata md = store_.metadata();
  std::vector<std::pair<uint32_t, uint32_t>> copies;  // old ID, new ID
  const std::vector<ObjectRecord> before = md.objects;
  for (const ObjectRecord& rec : before) {
    if (rec.state != RecordState::Committed || (rec.flags & objflag::kAdopted) || !ids::in_range(rec.chip_id)) continue;
    if (rec.cls != ObjectClass::Certificate && rec.cls != ObjectClass::Data) continue;
    auto co = chip_.find(rec.chip_id);
    if (co == chip_.end() || co->second.kind != se05x::ObjectKind::Binary) continue;
    SX_TRY(load_object_bytes(client_, co->second));  // a description from the index has no bytes yet
    if (co->second.value.empty()) continue;
    SX_ASSIGN(uint32_t id, allocate_id(md));
    ObjectRecord copy = rec;
    copy.chip_id = id;
    copy.state = RecordState::Pending;
    md.objects.push_back(std::move(copy));
    md.token.next_id = id + 1 > ids::kAllocLast ? ids::kAllocFirst : id + 1;
    copies.emplace_back(rec.chip_id, id);
  }
  // 1. Intent (a host-PIN commit: no policy, no session needed).
  if (!copies.empty()) SX_TRY(commit(md));
  // 2. The copies, with their policies. A refusal (chip full) is undone in the SO
  // session, the only one that may delete them; a lost link leaves them to the
  // first cleanup in a session.
  std::vector<uint32_t> new_ids;
  for (const auto& c : copies) new_ids.push_back(c.second);
  for (const auto& [old_id, new_id] : copies) {
    const ObjectRecord& rec = *md.find(old_id);
    const Bytes pol = chip_policy(rec.cls, (rec.flags & objflag::kPrivate) != 0, false);
    if (auto st = client_.create_binary(new_id, chip_.at(old_id).value, pol); !st) {
      if (!is_link_error(st.error())) (void)undo_creation(md, new_ids);
      return st;
    }
  }
  // 3. The switch.
  for (const auto& [old_id, new_id] : copies) {
    md.find(new_id)->state = RecordState::Committed;
    md.find(old_id)->state = RecordState::Pending;
  }
  md.token.flags |= tokflag::kChipPin | tokflag::kUpgradeSlots;
  md.token.so_pin = {};
  md.token.so_failures = 0;
  // The copies join the chip view first: the head this commit writes lists them.
  for (const auto& [old_id, new_id] : copies) {
    chip_[new_id] = chip_.at(old_id);
    chip_[new_id].id = new_id;
    all_ids_.push_back(new_id);
  }
  // Into the slot as it is (no policy yet): a slot created and torn here with the
  // chip policy would refuse the old token's next commit, which needs no session.
  if (auto st = store_.commit(md, {.recreate = false, .without_policy = true}); !st) {
    need_rescan_ = true;
    return st;
  }
  unprotected_cache_.clear();
  merge();
  return {};
}

// Logged in, on a chip-PIN token: deletes the retired originals (the cleanup) and
// recreates the slot still holding a host-PIN-era file without a policy (until then
// anybody could write an image of a higher generation there). Two recreating
// commits, one per slot (each commit targets the other slot), and only the second
// clears kUpgradeSlots: a cut anywhere leaves the flag set and the next login
// starts them again, whichever slot a commit in between went to.
Status Token::upgrade_finish_locked() {
  SX_TRY(cleanup_locked());
  if (store_.metadata().token.flags & tokflag::kUpgradeSlots) {
    Metadata md = store_.metadata();
    for (int i = 0; i < 2; ++i) {
      if (i == 1) md.token.flags &= ~tokflag::kUpgradeSlots;
      if (auto st = store_.commit(md, {.recreate = true, .without_policy = false}); !st) {
        need_rescan_ = true;
        return st;
      }
    }
  }
  merge();
  return {};
}

// login(User) while the user's verifier is still in the metadata: checked once more
// (not counted: no session may commit a count yet, and the verifier is readable by
// anybody until it is dropped — docs/chip-pin.md §5), then the user's UserID is made
// and the session opened, and one commit in that session drops the verifier.
Result<PinResult> Token::upgrade_at_user_login(std::string_view pin) {
  const TokenRecord& t0 = store_.metadata().token;
  if (t0.user_failures >= kMaxPinFailures) return PinResult::Locked;
  const PinVerifier used = t0.user_pin;
  if (!sx::token::check_pin(used, pin)) return PinResult::Incorrect;
  SX_ASSIGN(Bytes v, chip_pin_value(pin));
  WipeValue w{v};
  SX_ASSIGN(auto lock, lock_synced());
  if (!(store_.metadata().token.user_pin == used)) return make_error(Errc::Busy, "the user PIN changed meanwhile");
  SX_ASSIGN(bool exists, client_.check_object_exists(ids::kUserUserId));
  if (exists) SX_TRY(check_own_user_id(ids::kUserUserId, user_id_policy(UserType::User)));
  else SX_TRY(client_.write_user_id(ids::kUserUserId, v, opt_.pin_max_attempts, user_id_policy(UserType::User)));
  SX_ASSIGN(PinResult r, session_login(UserType::User, v));
  if (r != PinResult::Ok) return r;
  Metadata md = store_.metadata();
  md.token.user_pin = {};
  md.token.user_failures = 0;
  Status st = commit(std::move(md));
  chip_.clear();
  need_rescan_ = true;
  if (st) st = sync_locked();
  if (st) st = upgrade_finish_locked();
  if (!st) {
    (void)logout();
    return st.take_error();
  }
  return PinResult::Ok;
}

}  // namespace sx::token
