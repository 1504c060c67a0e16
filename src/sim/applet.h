// The simulated SE05x IoT applet (plus the minimal card manager around it):
// one C-APDU in, one R-APDU out. Command groups live in applet_*.cpp.
#pragma once

#include <functional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "se05x/apdu.h"
#include "se05x/tlv.h"
#include "sim/fault_plan.h"
#include "sim/latency_model.h"
#include "sim/object.h"
#include "sim/variant.h"

namespace sx::sim {

struct Outcome {
  Bytes rapdu;              // empty after a power cut
  std::string name;         // command name for the statistics
  OpParams op;              // what the latency model charges
  bool power_cut = false;
};

class Applet {
 public:
  // `persist` stores the whole persistent state (called after each persistent mutation).
  using Persist = std::function<Status(const Store&)>;
  Applet(const Variant& v, Store store, FaultPlan& faults, Persist persist);

  Outcome process(ByteView capdu);
  // Chip reset: deselect, drop transient objects and any other RAM state.
  void reset();
  const Store& store() const { return store_; }

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
  Reply dispatch_applet(const Cmd& c, const Tlvs& t);
  Reply select(const Cmd& c);

  // applet_info.cpp
  Bytes version_bytes() const;
  Reply get_version();
  Reply get_random(const Tlvs& t);
  Reply get_free_memory(const Tlvs& t);
  Reply digest_one_shot(const Tlvs& t);
  // applet_query.cpp
  Reply check_exists(const Tlvs& t);
  Reply read_type(const Tlvs& t);
  Reply read_size(const Tlvs& t);
  Reply read_id_list(const Tlvs& t);
  Reply read_object(const Tlvs& t);
  Reply read_attributes(const Tlvs& t);
  // applet_delete.cpp
  Reply delete_object(const Tlvs& t);
  Reply delete_all();
  // applet_curves.cpp
  Reply create_curve(const Tlvs& t);
  Reply set_curve_param(const Tlvs& t);
  Reply get_curve_id(const Tlvs& t);
  Reply read_curve_list();
  Reply delete_curve(const Tlvs& t);
  bool curve_usable(uint8_t id) const;
  // applet_write_binary.cpp
  Reply write_binary(const Cmd& c, const Tlvs& t);
  Reply write_symmetric(const Cmd& c, const Tlvs& t);
  // applet_write_ec.cpp
  Reply write_ec_key(const Cmd& c, const Tlvs& t);
  // applet_write_rsa.cpp
  Reply write_rsa_key(const Cmd& c, const Tlvs& t);
  // applet_crypto_ec.cpp
  Reply sign(const Tlvs& t);
  Reply verify(const Tlvs& t);
  Reply ecdsa_sign(const SecureObject& o, const Tlvs& t);
  Reply ecdsa_verify(const SecureObject& o, const Tlvs& t);
  Reply ecdh(const Tlvs& t);
  // applet_crypto_rsa.cpp
  Reply rsa_sign(const SecureObject& o, const Tlvs& t);
  Reply rsa_verify(const SecureObject& o, const Tlvs& t);
  Reply rsa_crypt(const Tlvs& t, bool encrypt);

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
  bool selected_ = false;
  bool cut_ = false;
  std::string name_;
  OpParams op_;
};

// Status-word choices for situations the protocol notes leave open ([U], docs/simulator.md).
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
