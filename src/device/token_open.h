// Layers 4 and 5 of the device stack (device/stack.h): opening the link and
// the token the same way for the module and the CLI, and what the chip can
// do. Both read their settings from the module's configuration (lock_file,
// lock_wait_ms, pin_iterations), so the CLI waits for the same lock file as
// the module does.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"
#include "device/chip_lock.h"
#include "device/reselect_channel.h"
#include "device/scp03_setup.h"
#include "device/user_session.h"
#include "link/apdu_channel.h"
#include "se05x/client.h"
#include "token/mech/mechanism_table.h"
#include "token/token.h"

namespace sx::device {

struct TokenSettings {
  std::string connection;  // empty: se05x::default_connection()
  // Used only on links where this process drives the I2C bus (i2c:, vi2c:);
  // a broker or JRCP server serialises its clients. Empty: none.
  std::string lock_file = kDefaultLockPath;
  std::chrono::milliseconds lock_wait = kDefaultLockWait;
  uint32_t pin_iterations = token::kDefaultPinIterations;
  // pin_storage: chip (docs/chip-pin.md, the default): stack the user-session layer
  // (2b) and make C_InitToken create chip-PIN tokens. Off (pin_storage: host, the
  // legacy mode): the stack of before, byte for byte.
  bool chip_pin = true;
  uint16_t pin_max_attempts = 10;  // user_pin_max_attempts, the UserIDs' maximum
  // PlatformSCP03 (docs/scp03.md): `scp03`, `scp03_key_file`; SE05X_SCP03 and
  // SE05X_SCP03_KEY_FILE override them (device/scp03_setup.h).
  Scp03Settings scp03;
  Scp03Warn scp03_warn;  // the one warning about public default keys, a settled rotation
  // Built by a caller that opens the chip repeatedly (the module); else from scp03.
  std::shared_ptr<Scp03KeyRing> scp03_ring;
};

// Layers 1-2 with layer 2b on top: the channel open_device() returns when
// chip_pin is set. Owns the link; every call goes through the session layer.
class SessionChannel : public link::ApduChannel {
 public:
  SessionChannel(std::unique_ptr<link::ApduChannel> below, ReselectChannel& recovery)
      : below_(std::move(below)), session_(recovery) {}
  UserSession& session() { return session_; }
  Result<Bytes> open() override { return session_.open(); }
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override { return session_.transceive(capdu); }
  Status close() override { return session_.close(); }
  Status lock() override { return session_.lock(); }
  Status unlock() override { return session_.unlock(); }
  std::string describe() const override { return session_.describe(); }

 private:
  std::unique_ptr<link::ApduChannel> below_;  // declared first: outlives session_
  UserSession session_;
};

// The connection string in use: settings.connection, else the default.
std::string connection_of(const TokenSettings& s);
// Whether this process drives the chip's I2C bus itself (i2c:, vi2c:).
bool drives_i2c_bus(const std::string& connection);
// The token options for a connection: the lock file on I2C links; on broker
// links (JRCP) single APDUs need no lock (atomic_apdus).
token::TokenOptions token_options(const TokenSettings& s);

// Layers 1-2: the link with reset recovery, open (the ATR has been read); with
// chip_pin, a SessionChannel (layer 2b on top).
Result<std::unique_ptr<link::ApduChannel>> open_device(const TokenSettings& s);
// Layers 3 and 5: the token on that link (SELECT, listing, metadata), under the chip lock.
// On a SessionChannel the token gets its session layer (token::TokenOptions::session).
Result<std::unique_ptr<token::Token>> open_token(link::ApduChannel& ch, const TokenSettings& s);

// Layer 4: what the chip is and can do, from the SELECT answer (no APDU).
struct ChipFacts {
  std::string model = "SE050";  // "SE050", "SE050E" (CK_TOKEN_INFO.model)
  uint8_t applet_major = 0, applet_minor = 0;
  uint16_t securebox = 0;
  token::ChipCapabilities caps;
};
ChipFacts chip_facts(const se05x::Client& c);

// The chip's unique ID (0x7FFF0206) and the 16-character serial made of its
// last 8 bytes in upper-case hex (CK_TOKEN_INFO.serialNumber, `se05x info`).
Result<Bytes> read_unique_id(se05x::Client& c);
std::string serial_of_unique_id(ByteView uid);

}  // namespace sx::device
