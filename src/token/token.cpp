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
  return co.kind == se05x::ObjectKind::Binary && co.certificate ? ObjectClass::Certificate : ObjectClass::Data;
}

// The chip's facts of two descriptions agree (the index entry parts that are not metadata).
bool same_facts(const IndexEntry& a, const IndexEntry& b) {
  return a.type_code == b.type_code && a.certificate == b.certificate && a.provisioned == b.provisioned &&
         a.info == b.info;
}

// What an object shows of its chip object's bytes (empty until they are read).
void fill_bytes(Object& o, const ChipObject& co) {
  o.bytes_loaded = co.bytes_loaded;
  o.ec_point = co.public_point;
  o.modulus = co.modulus;
  o.public_exponent = co.public_exponent;
  if (o.cls == ObjectClass::Certificate && co.cert) {
    o.subject = co.cert->subject;
    o.issuer = co.cert->issuer;
    o.serial = co.cert->serial;
    o.value = co.value;
  } else if (o.cls == ObjectClass::Data) {
    o.value = co.value;
  }
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
  store_.set_index_rule([this](const Metadata& md, size_t slot_len) { return index_bytes(md, slot_len); });
  // A chip-PIN image's slots and pointer are created with the §2 policy, also when
  // a load repairs a missing pointer (docs/chip-pin.md §5).
  store_.set_policy_rule([](const Metadata& md) {
    return (md.token.flags & tokflag::kChipPin) ? chip_policy(ObjectClass::Data, false, true) : Bytes{};
  });
}

// SELECT, then the head with the object index (docs/token-store.md §2.4): two APDUs
// when the index stands for the token; else the full listing.
Result<std::unique_ptr<Token>> Token::open(link::ApduChannel& ch, TokenOptions opt) {
  std::unique_ptr<Token> t(new Token(ch, std::move(opt)));
  const auto started = std::chrono::steady_clock::now();
  SX_ASSIGN(auto lock, t->take_lock());
  SX_ASSIGN(se05x::VersionInfo v, t->client_.select());
  t->applet7_ = v.at_least(7, 2);
  SX_ASSIGN(bool quick, t->load_index_locked());
  // Leftovers of an interrupted update are cleaned by the first open that may write.
  if (!quick || (t->has_leftovers() && t->writable())) SX_TRY(t->full_reload_locked());
  t->mark_checked(started);
  t->open_check_ = true;
  return t;
}

Status Token::full_reload_locked() {
  SX_TRY(scan_locked());
  // The index carries the unique ID (PIN values, the serial), so every writer has it.
  if (unique_id_.empty()) {
    auto uid = client_.read_object(se05x::objid::kUniqueId);
    if (uid.ok()) unique_id_ = std::move(*uid);
    else if (is_link_error(uid.error())) return uid.take_error();
  }
  SX_TRY(store_.load(true));
  SX_TRY(cleanup_locked());
  merge();
  return {};
}

Result<bool> Token::load_index_locked() {
  SX_ASSIGN(auto ix, store_.load_head());
  if (!ix) return false;
  std::map<uint32_t, ChipObject> next;
  std::vector<uint32_t> ids;
  for (const IndexEntry& e : ix->entries) {
    ids.push_back(e.chip_id);
    ChipObject d = chip_object_of(e);
    // A description this process already has, bytes included, stays while the chip's facts agree.
    if (auto it = chip_.find(e.chip_id); it != chip_.end() && same_facts(index_entry_of(it->second), e))
      d = std::move(it->second);
    next.emplace(e.chip_id, std::move(d));
  }
  chip_ = std::move(next);
  all_ids_ = std::move(ids);
  if (ix->unique_id.size() >= 8) unique_id_ = ix->unique_id;
  need_rescan_ = false;
  merge();
  return true;
}

Result<Bytes> Token::index_bytes(const Metadata& md, size_t slot_len) const {
  std::vector<IndexEntry> entries;
  entries.reserve(chip_.size());
  for (const auto& [id, co] : chip_) entries.push_back(index_entry_of(co));
  return encode_index(make_index(md, std::move(entries), unique_id_, slot_len));
}

void Token::mark_checked(std::chrono::steady_clock::time_point started) {
  // The start of the check: whatever was committed before it is now seen.
  checked_at_ = started;
  checked_done_ = std::chrono::steady_clock::now();
  checked_ = true;
  open_check_ = false;
}

Status Token::refresh() {
  checked_ = false;
  const auto now = std::chrono::steady_clock::now();
  SX_ASSIGN(bool current, store_.is_current());
  if (!current || need_rescan_) {
    SX_ASSIGN(auto lock, take_lock());
    bool quick = false;
    if (!need_rescan_) {
      SX_ASSIGN(quick, load_index_locked());
    }
    if (!quick) SX_TRY(full_reload_locked());
  }
  mark_checked(now);
  return {};
}

Status Token::list_chip(std::chrono::steady_clock::duration window) {
  const auto now = std::chrono::steady_clock::now();
  if (listed_ && !need_rescan_ && now - listed_at_ <= window) return {};
  SX_ASSIGN(auto lock, take_lock());
  std::vector<uint32_t> before;
  for (const auto& [id, co] : chip_) before.push_back(id);
  SX_TRY(scan_locked());
  std::vector<uint32_t> after;
  for (const auto& [id, co] : chip_) after.push_back(id);
  // Objects other tools added or deleted: the list is rebuilt (a new epoch), else kept.
  // Where this process may write the store, the index is brought up to date at once
  // (and records of vanished objects dropped), so the next cold open sees the same.
  if (before != after) {
    if (store_.state() != StoreState::Empty && writable()) SX_TRY(sync_locked());
    merge();
  }
  return {};
}

Status Token::load_bytes(uint32_t chip_id) {
  auto it = chip_.find(chip_id);
  if (it == chip_.end() || it->second.bytes_loaded) return {};
  SX_ASSIGN(auto lock, take_lock());
  SX_TRY(load_object_bytes(client_, it->second));
  for (Object& o : objects_)
    if (o.chip_id == chip_id) fill_bytes(o, it->second);
  return {};
}

Status Token::load_all_bytes() {
  for (const auto& [id, co] : chip_)
    if (!co.bytes_loaded) SX_TRY(load_bytes(id));
  return {};
}

Result<Bytes> Token::unique_id() {
  if (unique_id_.empty()) {
    SX_ASSIGN(auto lock, hold_single());
    SX_ASSIGN(Bytes uid, client_.read_object(se05x::objid::kUniqueId));
    if (uid.empty()) return make_error(Errc::Malformed, "empty unique ID");
    unique_id_ = std::move(uid);
  }
  return unique_id_;
}

Status Token::refresh_within(std::chrono::steady_clock::duration window) {
  if (checked_ && !need_rescan_ && std::chrono::steady_clock::now() - checked_at_ < window) return {};
  return refresh();
}

// Before every update: the chip's list (the head this update writes names what the
// chip holds, other tools' objects included) and the full metadata (never trust the
// cheap check for a write: a writer killed between slot and head leaves a newer
// slot behind an unchanged head).
Status Token::sync_locked() {
  open_check_ = false;  // past a process's first calls: sessions and logins check again
  SX_TRY(scan_locked());
  SX_TRY(store_.load(true));
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
  listed_ = true;
  listed_at_ = std::chrono::steady_clock::now();
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
  for (const auto& entry : chip_) {
    // Named, not structured bindings: the lambda below captures them (clang).
    const uint32_t id = entry.first;
    const ChipObject& co = entry.second;
    if (!shown(co.kind)) continue;
    const ObjectRecord* rec = md.find(id);
    if (rec && rec->state == RecordState::Pending) continue;  // leftover of an interrupted creation
    if (rec && !compatible(*rec, co)) rec = nullptr;
    Object base;
    base.chip_id = id;
    base.chip_kind = co.kind;
    base.chip_cert = co.certificate;
    base.key_type = key_type_of(co.kind);
    base.has_metadata = rec != nullptr;
    base.adopted = !rec || (rec->flags & objflag::kAdopted);
    // The chip says which objects NXP provisioned (their origin, cached in the index).
    base.factory = co.provisioned;
    base.label = rec ? rec->label : default_label(id);
    base.id = rec ? rec->ckid : default_ckid(id);
    base.modifiable = rec ? (rec->flags & objflag::kModifiable) != 0 : true;
    base.local = rec && (rec->flags & objflag::kLocal) != 0;
    resolve_usage(rec ? rec->flags : 0, base.key_type, base);
    base.curve = co.curve;
    if (co.curve != se05x::Curve::None) {
      if (auto p = se05x::ec_params_for_curve(co.curve); p.ok()) base.ec_params = std::move(*p);
    }
    base.modulus_bits = co.rsa_bits ? co.rsa_bits : static_cast<uint32_t>(bit_length(co.modulus));

    auto emit = [&](ObjectClass cls) {
      Object o = base;
      o.cls = cls;
      o.is_private = rec ? (rec->flags & objflag::kPrivate) != 0 : cls == ObjectClass::PrivateKey;
      if (cls == ObjectClass::PrivateKey || cls == ObjectClass::PublicKey) {
        if (rec) o.subject = rec->subject;
      } else if (cls == ObjectClass::Data && rec) {
        o.application = rec->application;
        o.object_id = rec->object_id;
      }
      fill_bytes(o, co);
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
