// The simulated SE05x IoT applet (plus the minimal card manager around it):
// one C-APDU in, one R-APDU out. Command groups live in applet_*.cpp.
#pragma once

#include <functional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "se05x/apdu.h"
#include "se05x/commands.h"
#include "se05x/tlv.h"
#include "sim/fault_plan.h"
#include "sim/latency_model.h"
#include "sim/object.h"
#include "sim/session.h"
#include "sim/variant.h"

namespace sx::sim {

struct Outcome {
  Bytes rapdu;              // empty after a power cut
  std::string name;         // command name for the statistics
  OpParams op;              // what the latency model charges
  bool power_cut = false;
  bool wrapped = false;     // came inside the session wrapper (80 05); `name` is the inner command
  bool scp = false;         // came through the PlatformSCP03 channel; `name` is the plain command
};

// One request as a handler sees it: its row of commands.def and its TLVs, already
// checked against the row (required ones present, every one of its size).
struct Request {
  const se05x::Command& command;
  const se05x::ParsedCommand& apdu;
  const se05x::TlvSet& tlvs;

  // Required fields (present and sized: checked before the handler ran).
  uint8_t u8(uint8_t tag) const;
  uint16_t u16(uint8_t tag) const;
  uint32_t u32(uint8_t tag) const;
  ByteView bin(uint8_t tag) const { return tlvs.get(tag).value_or(ByteView{}); }
  // Optional fields.
  std::optional<uint8_t> opt_u8(uint8_t tag) const;
  std::optional<uint16_t> opt_u16(uint8_t tag) const;
  std::optional<ByteView> opt(uint8_t tag) const { return tlvs.get(tag); }
  bool transient() const { return (apdu.header.ins & se05x::ins::kTransient) != 0; }
};

class Applet {
 public:
  // `persist` stores the whole persistent state (called after each persistent mutation).
  using Persist = std::function<Status(const Store&)>;
  Applet(const Variant& v, Store store, FaultPlan& faults, Persist persist, AuthOptions auth = {});

  // `secure`: the command came through a PlatformSCP03 channel at security level 33
  // (sim/security_domain.h unwrapped it).
  Outcome process(ByteView capdu, bool secure = false);
  // Chip reset: deselect, drop transient objects and any other RAM state.
  void reset();
  // Another application (a security domain) was selected: as a SELECT of the ISD.
  void deselect() { reset(); }
  bool selected() const { return selected_; }
  const Store& store() const { return store_; }
  // A persistent change made by the card manager (PUT KEY): one atomic NVM write through the
  // same fault plan as the applet's own. Returns the SW; *power_cut tells a cut at this write.
  uint16_t persist_change(const std::function<void(Store&)>& apply, bool* power_cut);

 private:
  struct Reply {
    uint16_t sw = se05x::sw::kOk;
    Bytes data;
  };
  using Cmd = se05x::ParsedCommand;
  using Tlvs = se05x::TlvSet;
  static Reply sw(uint16_t s) { return Reply{s, {}}; }
  static Reply ok(Bytes data = {}) { return Reply{se05x::sw::kOk, std::move(data)}; }

  Reply dispatch(const Cmd& c);
  Reply run(const se05x::Matches& m, const Cmd& c, const Tlvs& t);
  // Checks the applet makes before it reads the request (variant, the key that picks
  // one of the rows sharing a header): the row to run, or the SW to answer.
  struct Admission {
    const se05x::Command* row;
    uint16_t sw;
  };
  Admission admit(const se05x::Command& c, const Cmd& apdu, const Tlvs& t) const;
  // The row filter of dispatch: every row of commands.def is implemented (kept as the one
  // place to exclude a row again).
  static bool implemented(se05x::CmdId id);

  // The simulator's semantics of every command of commands.def: a command without
  // them does not link (definitions in applet_*.cpp).
#define SX_SE05X_CMD(id, ...) Reply on_##id(const Request& r);
#include "se05x/commands.def"
#undef SX_SE05X_CMD

  // applet_session.cpp
  Reply run_in_session(Session& s, ByteView inner);
  static uint16_t session_refusal(const Session& s, std::optional<se05x::CmdId> inner);
  void end_sessions_of_missing_objects();
  // applet_auth.cpp
  Reply update_user_id(SecureObject& o, const Request& r);
  // The session a wrapped command runs in (nullptr outside the wrapper), and its auth object.
  uint32_t auth_id() const { return session_ ? session_->auth_id : 0; }
  // The policy check of the running command on `o` (policy.cpp's command -> right table,
  // evaluated for the current session's auth object; docs/se05x-protocol.md §4.9.5).
  bool may(const SecureObject& o) const;

  // applet_info.cpp
  Bytes version_bytes() const;
  // applet_curves.cpp
  bool curve_usable(uint8_t id) const;
  // applet_write_binary.cpp
  Reply write_symmetric(const Request& r, ObjectKind kind);
  // applet_crypto_ec.cpp
  using KeyOp = Reply (Applet::*)(const SecureObject&, const Request&);
  Reply with_key(const Request& r, KeyOp op);
  Reply ecdsa_sign(const SecureObject& o, const Request& r);
  Reply ecdsa_verify(const SecureObject& o, const Request& r);
  // applet_crypto_rsa.cpp
  Reply rsa_sign(const SecureObject& o, const Request& r);
  Reply rsa_verify(const SecureObject& o, const Request& r);
  Reply rsa_crypt(const Request& r, bool encrypt);

  // Shared checks for object creation (ID range, policy syntax, capacity).
  uint16_t check_new_object(const SecureObject& o) const;
  SecureObject* find(uint32_t id);
  // Applies one persistent mutation = one NVM write (fault injection point).
  // `torn` is what a torn write leaves behind (nullptr: the write is atomic).
  // Returns 9000, or 6F00 when the NVM file could not be written; sets cut_ on a power cut.
  uint16_t commit(const std::function<void(Store&)>& apply, const std::function<void(Store&)>& torn = nullptr,
                  bool persistent = true);

  const Variant& v_;
  Store store_;
  FaultPlan& faults_;
  Persist persist_;
  AuthOptions auth_opts_;
  SessionTable sessions_;
  Session* session_ = nullptr;
  se05x::CmdId cmd_ = se05x::CmdId::Select;
  bool wrapped_ = false;
  bool secure_ = false;  // the running command came through the PlatformSCP03 channel
  bool selected_ = false;
  bool cut_ = false;
  std::string name_;
  OpParams op_;
};

// Status-word choices for situations docs/se05x-protocol.md §4.5 leaves open ([U], docs/simulator.md).
namespace sw_choice {
inline constexpr uint16_t kNoObject = se05x::sw::kWrongData;           // 6A80 object does not exist
inline constexpr uint16_t kExists = se05x::sw::kWrongData;             // 6A80 exists with another type
inline constexpr uint16_t kDenied = se05x::sw::kCommandNotAllowed;     // 6986 policy / read-only
inline constexpr uint16_t kWrongType = se05x::sw::kConditionsNotSatisfied;  // 6985 wrong type/state
inline constexpr uint16_t kBadTlv = se05x::sw::kWrongData;             // 6A80 malformed / missing TLV
inline constexpr uint16_t kBadPolicy = se05x::sw::kDataInvalid;        // 6984 malformed policy
inline constexpr uint16_t kFull = se05x::sw::kFileFull;                // 6A84
inline constexpr uint16_t kNoApplet = se05x::sw::kInsNotSupported;     // 6D00 CLA 80 without applet
inline constexpr uint16_t kNoRsa = se05x::sw::kInsNotSupported;        // 6D00 RSA on a variant without RSA
inline constexpr uint16_t kWrongP1P2 = se05x::sw::kWrongP1P2;          // 6A86 known INS, unknown P1/P2
}  // namespace sw_choice

}  // namespace sx::sim
