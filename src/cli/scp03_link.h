// A PlatformSCP03 channel for the provisioning commands (`se05x scp03 ...`):
// the protocol steps of se05x/scp03.h driven one by one over a bare link, so
// that a command sees each of them — which key set the card cryptogram
// accepts, whether INITIALIZE UPDATE is answered at all, whether a plain
// command is refused — and can select the platform SCP security domain for
// PUT KEY (docs/scp03.md §6). The device stack's own channel layer
// (device/scp03_channel.h) is for everything else: it re-opens channels
// behind the caller's back, which a rotation must never have happen.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "link/apdu_channel.h"
#include "se05x/scp03.h"

namespace sx::cli {

// The platform SCP security domain, where PUT KEY goes (docs/scp03.md §6).
inline constexpr uint8_t kSsdAid[] = {0xD2, 0x76, 0x00, 0x00, 0x85, 0x30, 0x4A, 0x43, 0x4F, 0x90, 0x03};

class ScpLink final : public link::ApduChannel {
 public:
  explicit ScpLink(link::ApduChannel& raw) : raw_(raw) {}

  // SELECT by AID (empty: the issuer security domain), plain; ends any
  // channel, as on the card. The whole R-APDU, whatever its SW.
  Result<Bytes> select(ByteView aid);
  Result<Bytes> select_applet();
  // INITIALIZE UPDATE and EXTERNAL AUTHENTICATE on the current selection.
  // Errc::SecureChannel when the card cryptogram shows other keys (then no
  // EXTERNAL AUTHENTICATE is sent: one APDU per wrong set, docs/scp03.md §3);
  // Errc::Unsupported when INITIALIZE UPDATE is refused (no platform SCP).
  Status authenticate(const se05x::scp03::StaticKeys& keys, se05x::scp03::CounterRule rule);
  bool secure() const { return chan_.has_value(); }
  // Sends without the channel even while one is open (a probe of what the
  // chip does with plain APDUs); the card then drops its channel, so do we.
  Result<Bytes> plain(ByteView capdu);

  // Through the channel when one is open, else plain. A failed unwrap ends
  // the channel (Errc::SecureChannel): never retried, the command may have run.
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override;
  Result<Bytes> open() override { return raw_.open(); }
  Status close() override { return raw_.close(); }
  Status lock() override { return raw_.lock(); }
  Status unlock() override { return raw_.unlock(); }
  std::string describe() const override { return raw_.describe(); }

 private:
  link::ApduChannel& raw_;
  std::optional<se05x::scp03::HostChannel> chan_;
};

// The SW of an R-APDU (0 when it is too short to have one).
uint16_t sw_of(ByteView rapdu);
// "SW 6982" for messages ("no status word" when there is none).
std::string sw_text(ByteView rapdu);

// The variant's OEF ID (docs/scp03.md §8): SELECT of the issuer security
// domain and GET DATA DF28, plain. Leaves nothing selected.
Result<uint16_t> read_oef_id(ScpLink& link);

}  // namespace sx::cli
