// The token object model: every object on the chip, merged with our on-chip
// metadata, cached in RAM; and the operations that change it, each ordered so
// that a power cut at any chip write leaves the old or the new state
// (docs/token-store.md). Not thread-safe: the PKCS#11 layer serialises calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "device/chip_lock.h"
#include "device/user_session.h"
#include "link/apdu_channel.h"
#include "se05x/client.h"
#include "token/chip_scan.h"
#include "token/key_material.h"
#include "token/metadata.h"
#include "token/object.h"
#include "token/pin.h"
#include "token/store.h"

namespace sx::token {

struct TokenOptions {
  // Chip lock file (device/chip_lock.h); empty: none. Only links on which the host
  // drives the I2C bus itself need one (i2c:, vi2c:): a broker or JRCP server
  // serialises its clients.
  std::string lock_path;
  // How long to wait for the lock file before giving up (Errc::Timeout).
  std::chrono::milliseconds lock_wait = device::kDefaultLockWait;
  uint32_t pin_iterations = kDefaultPinIterations;
  // The link delivers each APDU whole and alone (a broker: JRCP over TCP or a
  // Unix socket), so a single-APDU operation needs neither the lock file nor
  // the broker lock (hold_single()). False for I2C links, where the host runs
  // T=1 itself and another process's frames could interleave with ours.
  bool atomic_apdus = false;
  // C_InitToken of an uninitialised token makes a chip-PIN token (docs/chip-pin.md):
  // the configuration's `pin_storage: chip`.
  bool chip_pin = false;
  // Maximum attempts of the chip's UserIDs (user and SO), 1..255 (docs/chip-pin.md §1).
  uint16_t pin_max_attempts = 10;
  // Layer 2b of the device stack (device/user_session.h), stacked under the chip
  // lock by device::open_device when chip_pin is set; null otherwise. Needed to log
  // in to a chip-PIN token.
  device::UserSession* session = nullptr;
};

enum class UserType { So, User };
enum class PinResult { Ok, Incorrect, Locked, NotSet };

struct TokenInfo {
  std::string label;
  bool initialized = false;
  bool user_pin_set = false;
  uint8_t user_failures = 0, so_failures = 0;
  bool user_locked = false, so_locked = false;
  // The failures at which a PIN locks: kMaxPinFailures (host PINs) or the
  // UserID's maximum (chip PINs; counters from the chip, read_pin_counters()).
  uint8_t user_max = kMaxPinFailures, so_max = kMaxPinFailures;
  bool chip_pin = false;
  uint32_t generation = 0;
  StoreState store_state = StoreState::Empty;
  std::string store_problem;
};

class Token {
 public:
  // The channel must already be open; it must outlive the token. Selects the
  // applet, lists the chip, loads the metadata and cleans leftovers of
  // interrupted operations (under the lock).
  static Result<std::unique_ptr<Token>> open(link::ApduChannel& ch, TokenOptions opt = {});

  // Cheap version check: one small read when nothing changed; otherwise
  // reads the object index again (the whole token only when it cannot be used).
  Status refresh();
  // refresh(), unless the last successful check is younger than `window`:
  // several freshness checks of one burst of calls cost one version read.
  Status refresh_within(std::chrono::steady_clock::duration window);
  // The next refresh_within() reads the version whatever the window -- unless the
  // last check is the token's open, younger than `open_trust`, and no search or
  // update ran since (searched()): a process's first session and login trust the
  // read its open just made (docs/pkcs11-module.md §9a).
  void expire_freshness(std::chrono::steady_clock::duration open_trust = std::chrono::steady_clock::duration::zero()) {
    if (open_check_ && checked_ && std::chrono::steady_clock::now() - checked_done_ < open_trust) return;
    checked_ = false;
  }

  // The chip lacked an object the token shows (another tool deleted it): the next
  // refresh lists the chip again.
  void chip_changed() { need_rescan_ = true; }
  // The application searched the token: from now on sessions and logins check again.
  void searched() { open_check_ = false; }

  // Compares the chip's object list (ReadIDList) with the index and describes what
  // other tools added since (docs/token-store.md §2.4), unless the chip was listed
  // within `window` (every update lists it too). The module calls it for a search
  // the index cannot answer alone.
  Status list_chip(std::chrono::steady_clock::duration window = std::chrono::steady_clock::duration::zero());
  // Reads what an object's description from the index left out (public key,
  // modulus, certificate or data bytes); nothing when already read. Objects stay
  // where they are (references into objects() remain valid).
  Status load_bytes(uint32_t chip_id);
  // Every object's bytes (the CLI shows and exports them).
  Status load_all_bytes();
  // The chip's unique ID (0x7FFF0206): from the index, else read once.
  Result<Bytes> unique_id();

  const std::vector<Object>& objects() const { return objects_; }
  const Object* find(ObjectRef r) const;
  std::vector<const Object*> find_label(std::string_view label) const;
  TokenInfo info() const;
  // Changes whenever objects() is rebuilt (metadata or chip objects changed);
  // unique across Token instances, so caches keyed on it survive a reopen.
  uint64_t epoch() const { return epoch_; }

  Result<ObjectRef> generate_key_pair(const KeySpec& spec, const NewObject& attrs);
  // The material is wiped whether or not the import succeeds.
  Result<ObjectRef> import_private_key(PrivateKeyMaterial key, const NewObject& attrs);
  // A private key and its certificate under one label and CKA_ID (the
  // certificate takes the key's), made visible together by one metadata
  // commit: a cut or failure anywhere leaves neither (docs/token-store.md
  // section 4). Returns {private key, certificate}. The material is wiped
  // whether or not the import succeeds.
  Result<std::pair<ObjectRef, ObjectRef>> import_private_key_with_certificate(PrivateKeyMaterial key, ByteView cert_der,
                                                                             const NewObject& attrs);
  Result<ObjectRef> create_certificate(ByteView der, const NewObject& attrs);
  // Certificate renewal: the new certificate (same label and CKA_ID as
  // `old_chip_id`'s, which attrs should carry) is written, then one metadata
  // commit makes it visible and turns the old one into a leftover (Pending),
  // which is deleted right away or, after a cut, the next time the token is
  // opened. A cut before that commit leaves the old certificate alone.
  // Factory certificates cannot be replaced (Errc::Unsupported).
  Result<ObjectRef> replace_certificate(uint32_t old_chip_id, ByteView der, const NewObject& attrs);
  Result<ObjectRef> create_data(ByteView value, const NewObject& attrs);
  // Metadata only; works on adopted and factory objects too.
  Status set_attributes(ObjectRef r, const AttributeUpdate& u);
  // Several objects at once (a key and its certificate): one metadata commit,
  // all or nothing; uniqueness is checked against the state after all of them.
  Status set_attributes(const std::vector<std::pair<ObjectRef, AttributeUpdate>>& updates);
  // Private key / certificate / data: deletes the chip object (a key pair's
  // public view goes with it). Public view of a pair: hidden in metadata only.
  // Factory objects: Errc::Unsupported (use forget() / set_attributes()).
  Status destroy(ObjectRef r);
  // Drops our metadata for a chip object: it reverts to the adoption defaults.
  Status forget(uint32_t chip_id);

  Status set_token_label(std::string_view label);
  Status set_pin(UserType who, std::string_view pin);
  // Counts failures on the chip (kMaxPinFailures then Locked); a success resets them.
  Result<PinResult> check_pin(UserType who, std::string_view pin);
  // Starts the token over without the old SO PIN (the way out of a locked
  // one): deletes every chip object this module created (keys, certificates,
  // data; nobody may use them without the SO who consented to them), then one
  // commit drops all other metadata (adopted objects revert to their
  // defaults; factory and other tools' objects stay on the chip) and sets the
  // label and a new SO PIN; no user PIN. Keys first: a cut in between leaves
  // the old, locked PINs over fewer keys (run it again), never a new PIN over
  // old keys. Returns how many chip objects were deleted.
  Result<size_t> reset(std::string_view label, std::string_view so_pin);

  // Chip-PIN tokens (docs/chip-pin.md §1-§3; token_chip_pin.cpp). The PIN values
  // sent to the chip are derived from the PIN (chip_pin_value), never stored.
  bool chip_pin() const { return (store_.metadata().token.flags & tokflag::kChipPin) != 0; }
  bool logged_in() const { return opt_.session && opt_.session->logged_in(); }
  // Uninitialised token: creates the SO UserID, then commits the token record
  // (label, kInitialized | kChipPin) inside an SO session, which makes the
  // metadata slots with their policy (§2). Ends logged out.
  Status init_chip_token(std::string_view label, std::string_view so_pin);
  // Opens the chip session of `who` (C_Login). Incorrect / Locked are answers;
  // errors are link or chip failures (Errc::Busy: no session slot).
  Result<PinResult> login(UserType who, std::string_view pin);
  // Closes the chip session (C_Logout); nothing when not logged in.
  Status logout();
  // C_Login(CKU_CONTEXT_SPECIFIC) while `who` is logged in (token.cpp): the PIN proven
  // again, counted like a login -- host-PIN tokens by check_pin(), chip-PIN tokens by
  // the chip (VerifySessionUserID inside the open session).
  Result<PinResult> verify_again(UserType who, std::string_view pin);
  // Who holds the chip session and its UserID value (a copy: the caller wipes it),
  // so that the module can log in again after it re-opened the link
  // (docs/pkcs11-module.md §5a, "After a device error"). False when not logged in.
  bool session_credentials(UserType& who, Bytes& value) const;
  // login() with a value session_credentials() gave on the same chip: opens the
  // session again and lists again, like login().
  Result<PinResult> relogin(UserType who, ByteView value);
  // C_InitPIN in the SO session: writes the user UserID (created, or rewritten,
  // which resets its counter: the SO's unlock) and sets kUserPinSet.
  Status init_chip_user_pin(std::string_view pin);
  // C_SetPIN: rewrites the UserID of the logged-in user (or SO) inside its session
  // after checking the old PIN against it; the session is re-opened with the new one.
  Result<PinResult> change_chip_pin(UserType who, std::string_view old_pin, std::string_view new_pin);
  // Reads the attempt counters of both UserIDs (2 ReadObjectAttributes) unless the
  // last read is younger than `window`; info() reports them.
  Status read_pin_counters(std::chrono::steady_clock::duration window);
  // This process has a reason to show the chip's counters: it tried a PIN (login,
  // C_SetPIN, C_InitPIN) or read them before. A process that did neither reports
  // none, so that a cold C_GetTokenInfo costs no counter reads (docs/pkcs11-module.md §9b).
  bool pin_counters_wanted() const { return counters_.wanted; }
  // The policy a new object of this class gets on a chip-PIN token (§2); empty otherwise.
  // `withheld`: se05x::policy rights left out of the user's entry (withheld_rights()).
  Bytes creation_policy(ObjectClass cls, bool is_private, uint32_t withheld = 0) const {
    return chip_pin() ? chip_policy(cls, is_private, false, withheld) : Bytes{};
  }
  // The §2 table: per class, or for the metadata slots and pointer (store_slot).
  static Bytes chip_policy(ObjectClass cls, bool is_private, bool store_slot, uint32_t withheld = 0);
  // The uses a new private key is denied by its attributes (CKA_SIGN / CKA_DECRYPT /
  // CKA_DERIVE = FALSE) as se05x::policy rights (SIGN, DECRYPT, KA); token_keys.cpp.
  static uint32_t withheld_rights(const NewObject& a, KeyType kt);
  // The uses a new key of this type may be given (Errc::InvalidArgument otherwise).
  static Status check_usage(const NewObject& a, KeyType kt);

  // --- session keys (h-sess; token_session_keys.cpp, docs/pkcs11-module.md "Session objects")
  // A key pair generated as a TRANSIENT chip object (docs/se05x-protocol.md §4.3) in the
  // session-key ID range (id_range.h): no metadata record, no NVM, gone at chip reset,
  // never listed. The ID is checked free on the chip under the chip lock (other processes
  // hold session keys too). The key gets the policy a token private key gets. Returns the
  // chip's description of the new object (ID, public point / modulus).
  Result<ChipObject> generate_session_key(const KeySpec& spec, const NewObject& attrs);
  // Deletes a session key; one the chip no longer has counts as deleted.
  Status delete_session_key(uint32_t chip_id);
  // --- end of session keys

  // Objects whose chip policy lets a session other than the user's (or no session
  // at all) use them (token_upgrade.cpp): keys another session may sign, decrypt
  // or derive with, private data another session may read, module objects anybody
  // may rewrite or delete. On a host-PIN token that is every object; on a chip-PIN
  // token the keys made before its upgrade from host PINs, adopted and factory
  // keys. One ReadObjectAttributes per object the first time (the chip never
  // changes a policy; cached by chip ID), under the chip lock it takes itself; no
  // login needed. For `se05x info` / `se05x policy show` ("not PIN-protected by the chip").
  struct UnprotectedObject {
    uint32_t chip_id = 0;
    ObjectClass cls = ObjectClass::Data;  // the main view (PrivateKey for pairs)
    std::string label;
    std::string why;  // English, e.g. "any session or none may sign with it"
  };
  Result<std::vector<UnprotectedObject>> unprotected_objects();

  // Upgrade state of a token written with host PINs and opened with chip_pin set
  // (docs/chip-pin.md §5): Host before the SO's first login, UserPending after it
  // until the user's UserID exists (the user verifier is still in the metadata),
  // Done for a chip-PIN token without leftovers, None for a host-PIN token opened
  // without chip_pin (no upgrade is made).
  enum class Upgrade { None, Host, UserPending, Done };
  Upgrade upgrade_state() const;

  // For the crypto operations of upper layers; hold() around multi-APDU sequences.
  se05x::Client& client() { return client_; }
  Result<device::ChipLock> hold() { return take_lock(); }
  // Around an operation that is exactly one APDU (sign, decrypt, ECDH, read):
  // on a broker link nothing (the broker never splits or interleaves an
  // APDU; an empty ChipLock is returned), on an I2C link the same as hold().
  Result<device::ChipLock> hold_single() {
    if (opt_.atomic_apdus) return device::ChipLock();
    return hold();
  }

 private:
  Token(link::ApduChannel& ch, TokenOptions opt);
  // The chip lock (device/chip_lock.h): lock file + link lock, nested holds count.
  Result<device::ChipLock> take_lock() {
    device::ChipLock l(chan_);
    SX_TRY(l.status());
    return l;
  }
  Status full_reload_locked();
  // The token from the head's object index (store_.load_head()); false when the
  // head cannot stand for it (the caller reloads in full).
  Result<bool> load_index_locked();
  // The index rule of the store: every described chip object and the metadata.
  Result<Bytes> index_bytes(const Metadata& md, size_t slot_len) const;
  void mark_checked(std::chrono::steady_clock::time_point started);
  Status sync_locked();
  // take_lock() then sync_locked(): how every update starts.
  Result<device::ChipLock> lock_synced() {
    SX_ASSIGN(auto l, take_lock());
    SX_TRY(sync_locked());
    return l;
  }
  Status scan_locked();
  Status cleanup_locked();
  // A record whose chip object is gone or was replaced: cleanup_locked() drops it.
  bool record_stale(const ObjectRecord& r) const;
  // cleanup_locked() would change something (Pending records or stale ones).
  bool has_leftovers() const;
  // This process may commit now: a host-PIN token, or a chip-PIN token in a session.
  bool writable() const { return !chip_pin() || logged_in(); }
  // After the chip accepted a login: re-reads what the public listing could not read.
  Status after_login_locked();
  void merge();
  // The next free chip ID given the metadata about to be committed.
  Result<uint32_t> allocate_id(const Metadata& md);
  // No object of `classes` outside `exclude` has this label / CKA_ID.
  Status check_unique(std::string_view label, ByteView ckid, const std::set<ObjectClass>& classes,
                      const std::set<uint32_t>& exclude) const;
  Result<ObjectRecord> new_record(uint32_t chip_id, ObjectClass cls, KeyType kt, const NewObject& a,
                                  uint32_t flags) const;
  // One chip object to create.
  struct Creation {
    ObjectClass cls = ObjectClass::Data;
    KeyType kt = KeyType::None;
    NewObject attrs;
    uint32_t flags = 0;  // objflag bits beside the defaults (kLocal for generated keys)
    std::function<Status(uint32_t)> write;
    bool ckid_of_first = false;  // CKA_ID: the first creation's (a certificate next to its key)
  };
  // The common create sequence for one or more objects: one commit with a
  // Pending record each, the chip writes, one commit making all of them Committed.
  // `retire`: a chip object (not 0) that the final commit turns Pending (a
  // replaced certificate); its label and CKA_ID do not count as taken.
  Result<std::vector<ObjectRef>> create_objects(std::vector<Creation> list, uint32_t retire = 0);
  Result<ObjectRef> create_object(Creation c);
  // The Creation for a private key (EC: curve made first, outside the intent).
  Result<Creation> key_creation(PrivateKeyMaterial& key, const NewObject& attrs);
  // After a failed creation: deletes what was written and drops the Pending
  // records; true when nothing is left (else the next cleanup finishes it).
  bool undo_creation(Metadata md, const std::vector<uint32_t>& ids);
  // Adds a Pending record per creation to md (IDs allocated, uniqueness checked); returns the IDs.
  Result<std::vector<uint32_t>> plan_creations(Metadata& md, const std::vector<Creation>& list, uint32_t retire);
  // Deletes the retired object after the commit that replaced it (else the next open does).
  void delete_retired(Metadata& md, uint32_t retire);
  Status commit(Metadata next);
  // commit() then merge() into the object list: how a metadata-only update ends.
  Status commit_merge(Metadata next) {
    SX_TRY(commit(std::move(next)));
    merge();
    return {};
  }
  // Deletes one chip object and forgets it in the caches; a refusal names it
  // (a lost link is passed on as it is) and asks for a rescan.
  Status delete_chip_object(uint32_t id);
  // The 16-byte UserID value for a PIN (docs/chip-pin.md §1).
  Result<Bytes> chip_pin_value(std::string_view pin);
  Status write_user_pin_locked(ByteView value);
  Result<PinResult> session_login(UserType who, ByteView value);
  // The value proven again inside the open session of `who` (C_SetPIN's old PIN).
  Result<PinResult> reverify(UserType who, ByteView value);
  // The upgrade from host PINs (token_upgrade.cpp, docs/chip-pin.md §5).
  // check_pin(So) of a host-PIN token with chip_pin set: after the verifier matched,
  // makes it a chip-PIN token and ends logged in as the SO.
  Result<PinResult> upgrade_at_so_login(std::string_view pin);
  Status upgrade_switch_locked();
  Status upgrade_finish_locked();
  // login(User) while the user's verifier is still in the metadata.
  Result<PinResult> upgrade_at_user_login(std::string_view pin);
  // The UserID `id` exists: its policy must be the one this module writes (a UserID
  // someone else made there first would hold a value they know).
  Status check_own_user_id(uint32_t id, ByteView want_policy);
  // The policy of the SO's / the user's UserID (docs/chip-pin.md §1).
  static Bytes user_id_policy(UserType who);

  device::ChipLockChannel chan_;
  se05x::Client client_;
  MetadataStore store_;
  TokenOptions opt_;
  bool applet7_ = false;
  bool need_rescan_ = true;
  std::vector<uint32_t> all_ids_;         // last ReadIDList (everything the chip listed)
  std::map<uint32_t, ChipObject> chip_;   // cached descriptions of listed objects
  std::vector<Object> objects_;
  uint64_t epoch_ = 0;
  bool checked_ = false;  // checked_at_ is valid
  std::chrono::steady_clock::time_point checked_at_;    // when the last check started
  std::chrono::steady_clock::time_point checked_done_;  // ... and ended
  bool open_check_ = false;  // the last check is the one the open made
  bool listed_ = false;  // listed_at_ is valid
  std::chrono::steady_clock::time_point listed_at_;
  Bytes unique_id_;  // the chip's (0x7FFF0206), read once for chip_pin_value()
  std::map<uint32_t, std::string> unprotected_cache_;  // chip ID -> why ("" = protected)
  // The SO session an upgrade left open from check_pin() (its caller may be a
  // C_InitToken that never logs out): the next login() closes it first.
  bool implicit_so_ = false;
  // A PIN was tried or changed: the counters read before are stale and worth reading.
  void pin_event() {
    counters_.read = false;
    counters_.wanted = true;
  }
  struct PinCounters {
    uint16_t user = 0, so = 0, user_max = 0, so_max = 0;
    bool read = false;
    bool wanted = false;
    std::chrono::steady_clock::time_point at;
  } counters_;
};

}  // namespace sx::token
