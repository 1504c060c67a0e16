// Token: opening, the cheap version check, listing the chip, cleaning
// leftovers, and merging chip objects with metadata into PKCS#11 objects.
#include "token/token.h"

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "crypto/ec.h"
#include "se05x/curves.h"
#include "token/id_range.h"
#include "token/key_usage.h"

namespace sx::token {

namespace {

// Kinds the token shows; others (symmetric keys, counters, ...) are left alone.
bool shown(se05x::ObjectKind k) { return se05x::is_ec(k) || se05x::is_rsa(k) || k == se05x::ObjectKind::Binary; }

ObjectClass main_class(const ChipObject& co) {
  if (se05x::is_ec(co.kind) || se05x::is_rsa(co.kind))
    return se05x::has_private(co.kind) ? ObjectClass::PrivateKey : ObjectClass::PublicKey;
  return co.kind == se05x::ObjectKind::Binary && co.cert ? ObjectClass::Certificate : ObjectClass::Data;
}

KeyType key_type_of(se05x::ObjectKind k) {
  if (se05x::is_ec(k)) return KeyType::Ec;
  if (se05x::is_rsa(k)) return KeyType::Rsa;
  return KeyType::None;
}

// A record describes this chip object only if the classes agree: anything else
// is metadata of an object that was replaced behind our back (ignored, cleaned).
bool compatible(const ObjectRecord& r, const ChipObject& co) {
  if (!shown(co.kind)) return false;
  return r.cls == main_class(co) || (main_class(co) == ObjectClass::Certificate && r.cls == ObjectClass::Data);
}

}  // namespace

std::string default_label(uint32_t chip_id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "sss:%08X", static_cast<unsigned>(chip_id));
  return buf;
}

Bytes default_ckid(uint32_t chip_id) {
  Bytes b;
  put_u32(b, chip_id);
  return b;
}

Token::Token(link::ApduChannel& ch, TokenOptions opt)
    : chan_(ch, device::LockSettings{opt.lock_path, opt.lock_wait}),
      client_(chan_),
      store_(client_),
      opt_(std::move(opt)) {
  // A chip-PIN image's slots and pointer are created with the §2 policy, also when
  // a load repairs a missing pointer (docs/chip-pin.md §5).
  store_.set_policy_rule([](const Metadata& md) {
    return (md.token.flags & tokflag::kChipPin) ? chip_policy(ObjectClass::Data, false, true) : Bytes{};
  });
}

Result<std::unique_ptr<Token>> Token::open(link::ApduChannel& ch, TokenOptions opt) {
  std::unique_ptr<Token> t(new Token(ch, std::move(opt)));
  SX_ASSIGN(auto lock, t->take_lock());
  SX_ASSIGN(se05x::VersionInfo v, t->client_.select());
  t->applet7_ = v.at_least(7, 2);
  SX_TRY(t->full_reload_locked());
  return t;
}

Status Token::full_reload_locked() {
  SX_TRY(scan_locked());
  SX_TRY(store_.load(true));
  SX_TRY(cleanup_locked());
  merge();
  return {};
}

Status Token::refresh() {
  checked_ = false;
  const auto now = std::chrono::steady_clock::now();
  SX_ASSIGN(bool current, store_.is_current());
  if (!current || need_rescan_) {
    SX_ASSIGN(auto lock, take_lock());
    SX_TRY(full_reload_locked());
  }
  // The start of the check: whatever was committed before it is now seen.
  checked_at_ = now;
  checked_ = true;
  return {};
}

Status Token::refresh_within(std::chrono::steady_clock::duration window) {
  if (checked_ && !need_rescan_ && std::chrono::steady_clock::now() - checked_at_ < window) return {};
  return refresh();
}

// Before every update: the full metadata (never trust the cheap check for a
// write: a writer killed between slot and pointer leaves a newer slot behind
// an unchanged pointer), and a re-list when someone else committed meanwhile.
Status Token::sync_locked() {
  const uint32_t before = store_.generation();
  const bool was_loaded = store_.loaded();
  SX_TRY(store_.load(true));
  if (need_rescan_ || !was_loaded || store_.generation() != before) SX_TRY(scan_locked());
  SX_TRY(cleanup_locked());
  merge();
  return {};
}

Status Token::scan_locked() {
  need_rescan_ = true;
  SX_ASSIGN(std::vector<uint32_t> ids, client_.read_all_ids());
  std::map<uint32_t, ChipObject> next;
  for (uint32_t id : ids) {
    // Session keys belong to the process that made them (any process): never shown.
    if (ids::is_applet_reserved(id) || ids::is_store_object(id) || ids::is_session_key(id)) continue;
    if (auto it = chip_.find(id); it != chip_.end()) {
      next.emplace(id, std::move(it->second));
      continue;
    }
    SX_ASSIGN(ChipObject o, describe_object(client_, id, applet7_));
    next.emplace(id, std::move(o));
  }
  chip_ = std::move(next);
  all_ids_ = std::move(ids);
  need_rescan_ = false;
  return {};
}

// Deletes the chip objects of interrupted creations (Pending records) and drops
// records whose chip object is gone or was replaced. Only with a valid image:
// with corrupt or newer-format metadata nothing is known to be ours.
Status Token::cleanup_locked() {
  if (store_.state() != StoreState::Loaded) return {};
  // A chip-PIN token's slots accept writes only in a session: at the first login (login()).
  if (chip_pin() && !logged_in()) return {};
  Metadata md = store_.metadata();
  bool changed = false;
  std::vector<uint32_t> drop;
  for (const auto& r : md.objects) {
    if (r.state == RecordState::Pending) {
      // Never trust a cache for this: the interrupted writer may have been us.
      SX_ASSIGN(bool exists, client_.check_object_exists(r.chip_id));
      if (exists) {
        auto del = client_.delete_object(r.chip_id);
        if (!del.ok()) {
          if (is_link_error(del.error())) return del.take_error();
          continue;  // the chip refuses: keep the record, the object stays hidden
        }
      }
      chip_.erase(r.chip_id);
      std::erase(all_ids_, r.chip_id);
      drop.push_back(r.chip_id);
      continue;
    }
    if (record_stale(r)) drop.push_back(r.chip_id);
  }
  for (uint32_t id : drop) {
    md.erase(id);
    changed = true;
  }
  if (changed) SX_TRY(store_.commit(std::move(md)));
  return {};
}

bool Token::record_stale(const ObjectRecord& r) const {
  auto it = chip_.find(r.chip_id);
  const bool listed = std::find(all_ids_.begin(), all_ids_.end(), r.chip_id) != all_ids_.end();
  return !listed || (it != chip_.end() && !compatible(r, it->second));
}

bool Token::has_leftovers() const {
  if (store_.state() != StoreState::Loaded) return false;
  const Metadata& md = store_.metadata();
  return std::any_of(md.objects.begin(), md.objects.end(),
                     [&](const ObjectRecord& r) { return r.state == RecordState::Pending || record_stale(r); });
}

void Token::merge() {
  static std::atomic<uint64_t> next_epoch{1};
  epoch_ = next_epoch.fetch_add(1, std::memory_order_relaxed);
  objects_.clear();
  const Metadata& md = store_.metadata();
  for (const auto& [id, co] : chip_) {
    if (!shown(co.kind)) continue;
    const ObjectRecord* rec = md.find(id);
    if (rec && rec->state == RecordState::Pending) continue;  // leftover of an interrupted creation
    if (rec && !compatible(*rec, co)) rec = nullptr;
    Object base;
    base.chip_id = id;
    base.chip_kind = co.kind;
    base.chip_cert = co.cert.has_value();
    base.key_type = key_type_of(co.kind);
    base.has_metadata = rec != nullptr;
    base.adopted = !rec || (rec->flags & objflag::kAdopted);
    base.factory = ids::is_factory(id);
    base.label = rec ? rec->label : default_label(id);
    base.id = rec ? rec->ckid : default_ckid(id);
    base.modifiable = rec ? (rec->flags & objflag::kModifiable) != 0 : true;
    base.local = rec && (rec->flags & objflag::kLocal) != 0;
    resolve_usage(rec ? rec->flags : 0, base.key_type, base);
    base.curve = co.curve;
    if (co.curve != se05x::Curve::None) {
      if (auto p = se05x::ec_params_for_curve(co.curve); p.ok()) base.ec_params = std::move(*p);
    }
    base.ec_point = co.public_point;
    base.modulus = co.modulus;
    base.public_exponent = co.public_exponent;
    base.modulus_bits = static_cast<uint32_t>(bit_length(co.modulus));

    auto emit = [&](ObjectClass cls) {
      Object o = base;
      o.cls = cls;
      o.is_private = rec ? (rec->flags & objflag::kPrivate) != 0 : cls == ObjectClass::PrivateKey;
      if (cls == ObjectClass::PrivateKey || cls == ObjectClass::PublicKey) {
        if (rec) o.subject = rec->subject;
      } else if (cls == ObjectClass::Certificate && co.cert) {
        o.subject = co.cert->subject;
        o.issuer = co.cert->issuer;
        o.serial = co.cert->serial;
        o.value = co.value;
      } else if (cls == ObjectClass::Data) {
        o.value = co.value;
        if (rec) {
          o.application = rec->application;
          o.object_id = rec->object_id;
        }
      }
      // A public view is never private, whatever the pair's record says.
      if (cls == ObjectClass::PublicKey && is_pair(co.kind)) o.is_private = false;
      objects_.push_back(std::move(o));
    };
    const ObjectClass main = rec ? rec->cls : main_class(co);
    emit(main);
    if (is_pair(co.kind) && !(rec && (rec->flags & objflag::kPublicHidden))) emit(ObjectClass::PublicKey);
  }
}

const Object* Token::find(ObjectRef r) const {
  for (const auto& o : objects_)
    if (o.ref() == r) return &o;
  return nullptr;
}

std::vector<const Object*> Token::find_label(std::string_view label) const {
  std::vector<const Object*> out;
  for (const auto& o : objects_)
    if (o.label == label) out.push_back(&o);
  return out;
}

TokenInfo Token::info() const {
  const TokenRecord& t = store_.metadata().token;
  TokenInfo i;
  i.label = t.label;
  i.initialized = (t.flags & tokflag::kInitialized) != 0;
  i.user_pin_set = (t.flags & tokflag::kUserPinSet) != 0;
  i.user_failures = t.user_failures;
  i.so_failures = t.so_failures;
  i.user_locked = t.user_failures >= kMaxPinFailures;
  i.so_locked = t.so_failures >= kMaxPinFailures;
  i.chip_pin = (t.flags & tokflag::kChipPin) != 0;
  if (i.chip_pin) {
    // The chip's counters (read_pin_counters()); a maximum of 0 never locks.
    const auto clamp = [](uint16_t v) { return static_cast<uint8_t>(v > 255 ? 255 : v); };
    i.user_failures = clamp(counters_.user);
    i.so_failures = clamp(counters_.so);
    i.user_max = clamp(counters_.user_max);
    i.so_max = clamp(counters_.so_max);
    i.user_locked = i.user_max != 0 && i.user_failures >= i.user_max;
    i.so_locked = i.so_max != 0 && i.so_failures >= i.so_max;
  }
  i.generation = store_.generation();
  i.store_state = store_.state();
  i.store_problem = store_.problem();
  return i;
}

}  // namespace sx::token

namespace sx::token {

bool Token::session_credentials(UserType& who, Bytes& value) const {
  if (!logged_in() || !opt_.session || opt_.session->accepted_value().empty()) return false;
  who = opt_.session->auth_id() == ids::kSoUserId ? UserType::So : UserType::User;
  value = opt_.session->accepted_value();
  return true;
}

Result<PinResult> Token::verify_again(UserType who, std::string_view pin) {
  if (!chip_pin()) return check_pin(who, pin);
  if (!logged_in()) return make_error(Errc::NotLoggedIn, "no chip session to prove the PIN in");
  SX_ASSIGN(Bytes v, chip_pin_value(pin));
  auto r = reverify(who, v);
  secure_wipe(v);
  return r;
}

// The same steps as login() after the value is derived: the module's re-open
// has no PIN, only the value the chip accepted before (never written anywhere).
Result<PinResult> Token::relogin(UserType who, ByteView value) {
  if (!opt_.session) return make_error(Errc::Unsupported, "re-login: the user-session layer is not stacked");
  if (opt_.session->logged_in()) return make_error(Errc::InvalidArgument, "already logged in");
  SX_ASSIGN(auto lock, take_lock());
  SX_ASSIGN(PinResult r, session_login(who, value));
  if (r != PinResult::Ok) return r;
  // Listed while public: private data and leftovers need the session (see login()).
  if (auto st = after_login_locked(); !st) {
    (void)logout();
    return st.take_error();
  }
  return r;
}

}  // namespace sx::token
