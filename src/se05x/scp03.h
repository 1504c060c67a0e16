// GlobalPlatform SCP03 as the SE05x uses it on the platform link
// ("PlatformSCP03", docs/scp03.md): key derivation, cryptograms, the
// INITIALIZE UPDATE / EXTERNAL AUTHENTICATE exchange, command wrapping
// (C-DEC + C-MAC) and response unwrapping (R-MAC + R-ENC) at security level 33,
// the encryption-counter rule by applet version, and PUT KEY. Pure functions
// and two small state machines, one per side: the host's device stack
// (device/scp03_channel.h) and the simulator's card side (sim/) both use this
// file, so the two can never disagree on a byte.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/result.h"

namespace sx::se05x::scp03 {

inline constexpr uint8_t kPlatformKvn = 0x0B;       // key version of the platform key set (docs/scp03.md §1)
inline constexpr uint8_t kSecurityLevelFull = 0x33;  // C-MAC, C-DEC, R-MAC, R-ENC
inline constexpr size_t kChallengeSize = 8;
// SW of the card when a wrapped command fails its C-MAC, or arrives with no
// channel open, or a plain applet command arrives while SCP is required [U]
// (docs/scp03.md §7).
inline constexpr uint16_t kSwSecurityStatus = 0x6982;

// Which APDUs advance the encryption counter (docs/scp03.md §5).
enum class CounterRule : uint8_t {
  Applet3,   // SE050 (applet < 4.3): only commands that carry data
  Applet43,  // applet >= 4.3: every command
};
// From the applet version as GetVersion / SELECT report it: major, minor.
CounterRule counter_rule_for(uint8_t major, uint8_t minor);

// The static key set (ENC, MAC, DEK): all three 16 bytes (AES-128) or all
// three 32 bytes (AES-256). Wiped on destruction.
struct StaticKeys {
  Bytes enc, mac, dek;
  ~StaticKeys();
  StaticKeys() = default;
  StaticKeys(Bytes e, Bytes m, Bytes d) : enc(std::move(e)), mac(std::move(m)), dek(std::move(d)) {}
  StaticKeys(const StaticKeys&) = default;
  StaticKeys(StaticKeys&&) = default;
  StaticKeys& operator=(const StaticKeys&) = default;
  StaticKeys& operator=(StaticKeys&&) = default;
  bool operator==(const StaticKeys&) const = default;
  // Errc::InvalidArgument unless the three have the same length, 16 or 32.
  Status check() const;
};

// S-ENC, S-MAC, S-RMAC of one channel (docs/scp03.md §2). Wiped on destruction.
struct SessionKeys {
  Bytes s_enc, s_mac, s_rmac;
  ~SessionKeys();
};

// NIST SP 800-108 counter-mode KDF with AES-CMAC as SCP03 defines it:
// label 11 x 00, the constant, 00, L (bits, big-endian), counter, context.
Result<Bytes> kdf(ByteView key, uint8_t constant, ByteView context, uint16_t bits);
// context = host challenge || card challenge (8 + 8 bytes).
Result<SessionKeys> derive_session_keys(const StaticKeys& keys, ByteView context);
Result<Bytes> card_cryptogram(const SessionKeys& s, ByteView context);  // 8 bytes
Result<Bytes> host_cryptogram(const SessionKeys& s, ByteView context);  // 8 bytes
// Key check value: the first 3 bytes of AES-ECB(key, 16 x 01).
Result<Bytes> key_check_value(ByteView key);

// 80 50 <kvn> 00 08 <host challenge> (no Le).
Bytes initialize_update(ByteView host_challenge, uint8_t kvn = kPlatformKvn);

// The INITIALIZE UPDATE response data (29 bytes, or 32 with a sequence counter).
struct InitUpdateReply {
  Bytes diversification;  // 10 bytes
  uint8_t kvn = 0;
  uint8_t scp_id = 0;
  uint8_t i_param = 0;
  Bytes card_challenge;   // 8
  Bytes card_cryptogram;  // 8
};
// From the whole R-APDU (data + 9000). Errc::StatusWord for another SW,
// Errc::Malformed for a wrong length.
Result<InitUpdateReply> parse_initialize_update_reply(ByteView rapdu);
Bytes encode_initialize_update_reply(const InitUpdateReply& r);  // data only, no SW

// One direction's channel state after the handshake. The counter follows the
// card's bookkeeping (docs/scp03.md §5): starts at 0, advanced before each
// command by the rule; the command ICV uses it, the response ICV uses it with
// its first byte set to 80.
struct ChannelState {
  SessionKeys keys;
  std::array<uint8_t, 16> mcv{};  // MAC chaining value
  std::array<uint8_t, 16> counter{};
  CounterRule rule = CounterRule::Applet3;
  uint8_t security_level = kSecurityLevelFull;
};

// Host side. begin() checks the card cryptogram (Errc::SecureChannel on a
// mismatch: wrong keys) and returns the EXTERNAL AUTHENTICATE C-APDU; the
// channel is open once the card answered it with 9000 (confirm()).
class HostChannel {
 public:
  static Result<HostChannel> begin(const StaticKeys& keys, ByteView host_challenge, const InitUpdateReply& reply,
                                   CounterRule rule, Bytes* external_authenticate);
  // Plain C-APDU (CLA 80 or 00, any ISO case) -> wrapped C-APDU (CLA | 04).
  Result<Bytes> wrap(ByteView plain);
  // Wrapped R-APDU -> plain R-APDU. A non-9000 SW comes back bare and is
  // passed through. Errc::SecureChannel on a bad R-MAC, length or padding.
  Result<Bytes> unwrap(ByteView rapdu);
  const ChannelState& state() const { return st_; }

 private:
  ChannelState st_;
};

// Card side (the simulator). on_initialize_update derives the session keys
// and answers; on_external_authenticate checks the host cryptogram and C-MAC.
class CardChannel {
 public:
  // Returns the channel-to-be and the IU response data (no SW).
  static Result<CardChannel> on_initialize_update(const StaticKeys& keys, ByteView host_challenge,
                                                  ByteView card_challenge, ByteView diversification,
                                                  CounterRule rule, Bytes* reply_data);
  // Errc::SecureChannel when the cryptogram or MAC is wrong; the security
  // level must be 33 (anything else: Errc::Unsupported).
  Status on_external_authenticate(ByteView capdu);
  // Wrapped C-APDU -> plain C-APDU. Errc::SecureChannel on a bad C-MAC or
  // padding (the card then drops the channel).
  Result<Bytes> unwrap(ByteView capdu);
  // Plain R-APDU -> wrapped R-APDU (only 9000 is wrapped; other SWs go bare).
  Result<Bytes> wrap(ByteView plain_rapdu);
  bool open() const { return open_; }
  const ChannelState& state() const { return st_; }

 private:
  ChannelState st_;
  Bytes context_;
  bool open_ = false;
};

// PUT KEY replacing the key set `old_kvn` by `next` under `new_kvn`
// (docs/scp03.md §6): key data encrypted with the current DEK, with KCVs.
// The plain C-APDU, to be sent through the channel.
Result<Bytes> put_key(const StaticKeys& current, const StaticKeys& next, uint8_t old_kvn = kPlatformKvn,
                      uint8_t new_kvn = kPlatformKvn);
// The response data the card answers: new KVN || KCV(ENC) || KCV(MAC) || KCV(DEK).
Result<Bytes> put_key_reply(const StaticKeys& next, uint8_t new_kvn = kPlatformKvn);
// Card side: decode and decrypt a plain PUT KEY body with the current DEK,
// checking every KCV (Errc::Malformed / Errc::SecureChannel).
struct PutKeyRequest {
  uint8_t old_kvn = 0;
  uint8_t new_kvn = 0;
  StaticKeys keys;
};
Result<PutKeyRequest> parse_put_key(ByteView plain_capdu, const StaticKeys& current);

}  // namespace sx::se05x::scp03
