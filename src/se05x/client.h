// Typed SE05x APDU client (plain mode: no session, no SCP) over an
// ApduChannel. Every command builds the exact bytes of
// docs/se05x-protocol.md §4.6 and parses replies strictly: the expected TLVs in order, then
// nothing but the SW; anything else is Errc::Malformed, a non-9000 SW is the
// typed error of status.h.
//
// Link resets are recovered under the client, by the channel's reset-recovery
// layer (device/reselect_channel.h); an unrecovered Errc::LinkReset is returned.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "link/apdu_channel.h"
#include "se05x/apdu.h"
#include "se05x/commands.h"
#include "se05x/constants.h"
#include "se05x/session_wrap.h"
#include "se05x/types.h"

namespace sx::se05x {

enum class KeyPart : uint8_t { Pair = p1::kKeyPair, Private = p1::kPrivate, Public = p1::kPublic };
enum class RsaFormat : uint8_t { Crt = kRsaFormatCrt, Raw = kRsaFormatRaw };

struct EcKeyWrite {
  uint32_t id = 0;
  Curve curve = Curve::None;  // required when creating, never sent for existing objects
  KeyPart part = KeyPart::Pair;
  ByteView private_key;  // raw big-endian scalar of the curve size
  ByteView public_key;   // uncompressed point 04 || X || Y
  ByteView policy;       // creation only (encode_policy)
  bool exists = false;   // update an existing object: P1 without key part, no curve
  bool transient = false;
};

struct RsaKeyImport {
  uint32_t id = 0;
  uint16_t bits = 0;
  KeyPart part = KeyPart::Pair;  // Pair or Public
  RsaFormat format = RsaFormat::Crt;
  // Pair CRT: p q dp dq qinv e n; pair RAW: e d n; public: e n. Big-endian.
  ByteView p, q, dp, dq, qinv, e, d, n;
  ByteView policy;
  bool transient = false;
};

// PIN tries the chip still allows on an auth object: max - counter from its
// attributes (docs/se05x-protocol.md §4.9.4); nullopt when unlimited (max 0).
inline std::optional<int> tries_left(const ObjectAttributes& a) {
  if (a.max_auth_attempts == 0) return std::nullopt;
  return a.auth_attempts >= a.max_auth_attempts ? 0 : a.max_auth_attempts - a.auth_attempts;
}

class Client {
 public:
  explicit Client(link::ApduChannel& ch) : ch_(ch) {}

  // --- management (client_mgmt.cpp)
  Result<VersionInfo> select();
  Result<VersionInfo> get_version();
  Result<Bytes> get_random(uint16_t length);
  Result<uint32_t> get_free_memory(MemoryType type);  // U16 or U32 reply form
  // The version from the last successful SELECT.
  const std::optional<VersionInfo>& applet_version() const { return version_; }

  // --- object queries (client_objects.cpp)
  Result<IdPage> read_id_list(uint16_t offset, uint8_t type_filter = 0xFF);
  // Pages by entry count until "no more"; Errc::Malformed if the card keeps
  // saying "more" without progress or beyond max_pages.
  Result<std::vector<uint32_t>> read_all_ids(uint8_t type_filter = 0xFF, size_t max_pages = 256);
  Result<bool> check_object_exists(uint32_t id);
  Result<TypeInfo> read_type(uint32_t id);
  Result<uint16_t> read_size(uint32_t id);
  Result<Curve> get_ec_curve_id(uint32_t id);
  // Raw attribute bytes (TAG_2 below applet 7.2, TAG_3 from 7.2; either if
  // no SELECT was seen) decoded by parse_attributes.
  Result<ObjectAttributes> read_object_attributes(uint32_t id);
  Status delete_object(uint32_t id);

  // --- reads (client_objects.cpp)
  // Whole object in one APDU: public key (04||X||Y) of EC pairs/public keys,
  // counters, PCRs, small files.
  Result<Bytes> read_object(uint32_t id);
  // One slice of a binary file (TAG_2 omitted when offset is 0, like the MW).
  Result<Bytes> read_object_part(uint32_t id, uint16_t offset, uint16_t length);
  Result<Bytes> read_rsa_component(uint32_t id, RsaComponent which);
  // ReadSize, then <= 500-byte chunks (MW quirk: first chunk TAG_3 only).
  Result<Bytes> read_binary(uint32_t id);
  Result<Bytes> read_binary(uint32_t id, size_t total);

  // --- writes (client_keys.cpp)
  // Creates a file of data.size() bytes (TAG_3 in the first APDU only).
  Status create_binary(uint32_t id, ByteView data, ByteView policy = {});
  // Writes into an existing file (no TAG_3, no policy).
  Status update_binary(uint32_t id, ByteView data, uint16_t offset = 0);
  Status write_ec_key(const EcKeyWrite& w);
  Status generate_ec_key(uint32_t id, Curve curve, ByteView policy = {});
  Status generate_rsa_key(uint32_t id, uint16_t bits, RsaFormat format, ByteView policy = {},
                          bool transient = false);
  Status import_rsa_key(const RsaKeyImport& k);

  // --- crypto (client_crypto.cpp)
  // Algo from the digest length (20/28/32/48/64); returns the DER signature.
  Result<Bytes> ecdsa_sign(uint32_t id, ByteView digest);
  Result<bool> ecdsa_verify(uint32_t id, ByteView digest, ByteView der_signature);
  Result<Bytes> rsa_sign(uint32_t id, RsaSignAlgo algo, ByteView message);
  Result<bool> rsa_verify(uint32_t id, RsaSignAlgo algo, ByteView message, ByteView signature);
  Result<Bytes> rsa_encrypt(uint32_t id, RsaEncAlgo algo, ByteView data);
  Result<Bytes> rsa_decrypt(uint32_t id, RsaEncAlgo algo, ByteView data);
  Result<Bytes> ecdh(uint32_t id, ByteView peer_public_point);
  Result<Bytes> digest(DigestAlgo algo, ByteView data);

  // --- curves (client_curves.cpp)
  Result<Bytes> read_ec_curve_list();
  Status create_ec_curve(Curve c);
  Status set_ec_curve_param(Curve c, CurveParam param, ByteView value);
  // The MW's "create if needed" sequence, every SW checked.
  Status ensure_curve(Curve c);

  // --- any command of commands.def (client_core.cpp); the methods above are built on it.
  // The request built from `args`, the reply decoded strictly; `fields` points into `data`.
  struct Answer {
    Bytes data;
    ReplyFields fields;
    Answer() = default;
    Answer(Answer&&) = default;  // moving keeps data's buffer, so fields stay valid
    Answer& operator=(Answer&&) = default;
    Answer(const Answer&) = delete;  // a copy's fields would point into the original
  };
  Result<Answer> run(CmdId id, std::span<const Arg> args, HeaderBits bits = {});
  Result<Answer> run(CmdId id, std::initializer_list<Arg> args, HeaderBits bits = {}) {
    return run(id, std::span<const Arg>(args.begin(), args.size()), bits);
  }

  // --- user sessions (client_session.cpp; docs/se05x-protocol.md §4.9). CreateSession goes
  // outside any session; the commands that act on a session are sent inside its wrapper
  // (se05x/session_wrap.h) by these methods themselves, so they work on any channel.
  // The device stack's session layer (device/user_session.h) is built on them.
  // A UserID (PIN) object, 4 to 16 bytes, max_attempts 1..255 or 0 = unlimited (§4.9.1);
  // the policy applies on creation only.
  Status write_user_id(uint32_t id, ByteView value, uint16_t max_attempts = 0, ByteView policy = {});
  // Errc::Busy (SW kept) when the chip refuses because both session slots are taken or
  // this auth object already has a session (§4.9.6: the SW is our simulator's choice).
  Result<SessionId> create_session(uint32_t auth_id);
  // 6985 -> Errc::PinIncorrect (tries unknown here), 6983 -> Errc::PinLocked (§4.9.4).
  Status verify_session_user_id(const SessionId& sid, ByteView value);
  Status exchange_session_data(const SessionId& sid, ByteView session_policy);
  Status refresh_session(const SessionId& sid, ByteView session_policy = {});
  Status close_session(const SessionId& sid);
  // Any command of commands.def inside the session's wrapper.
  Result<Answer> run_in_session(const SessionId& sid, CmdId id, std::span<const Arg> args);
  // SetPlatformSCPRequest (client_mgmt.cpp; docs/scp03.md §7): makes PlatformSCP03 mandatory
  // for every applet command, persistently (or not, with false). The chip takes it only inside
  // a session of the reserved UserID objid::kPlatformScpAuth and through a channel.
  Status set_platform_scp_required(const SessionId& sid, bool required);

 private:
  // client_core.cpp
  Result<Bytes> exchange(ByteView capdu);
  // Sends a built C-APDU (wiped afterwards) and decodes the reply strictly.
  Result<Answer> send_built(const Command& c, Bytes apdu);
  Result<VersionInfo> select_raw();
  Status run_empty(CmdId id, std::span<const Arg> args, HeaderBits bits = {});
  Status run_empty(CmdId id, std::initializer_list<Arg> args) {
    return run_empty(id, std::span<const Arg>(args.begin(), args.size()));
  }
  // The reply's TAG_1 value (commands whose reply is one TLV).
  Result<Bytes> run_tlv(CmdId id, std::span<const Arg> args);
  Result<Bytes> run_tlv(CmdId id, std::initializer_list<Arg> args) {
    return run_tlv(id, std::span<const Arg>(args.begin(), args.size()));
  }
  // The 01 / 02 result byte of CheckObjectExists and the verify commands.
  Result<bool> run_result(CmdId id, std::span<const Arg> args);
  Result<bool> run_result(CmdId id, std::initializer_list<Arg> args) {
    return run_result(id, std::span<const Arg>(args.begin(), args.size()));
  }
  Result<Bytes> read_chunks(uint32_t id, size_t total);
  Status write_chunks(uint32_t id, ByteView data, uint16_t offset, bool create, ByteView policy);

  link::ApduChannel& ch_;
  std::optional<VersionInfo> version_;
};

}  // namespace sx::se05x
