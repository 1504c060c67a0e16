// The card manager in front of the simulated IoT applet: SELECT routing between the applet, the
// platform SCP security domain (SSD) and the issuer security domain (ISD), and the card side of
// PlatformSCP03 (docs/scp03.md): INITIALIZE UPDATE / EXTERNAL AUTHENTICATE, unwrapping commands
// and wrapping answers at security level 33, PUT KEY on the SSD, GET DATA DF28 on the ISD, and
// the "platform SCP required" refusal of plain applet commands.
#pragma once

#include <functional>
#include <optional>

#include "base/bytes.h"
#include "se05x/apdu.h"
#include "se05x/scp03.h"
#include "sim/applet.h"
#include "sim/variant.h"

namespace sx::sim {

// AID of the platform SCP security domain (docs/scp03.md §6).
inline constexpr std::array<uint8_t, 11> kSsdAid = {0xD2, 0x76, 0x00, 0x00, 0x85, 0x30,
                                                    0x4A, 0x43, 0x4F, 0x90, 0x03};

class SecurityDomain {
 public:
  // The card challenge of each INITIALIZE UPDATE (8 bytes); empty function = random.
  using Challenge = std::function<Bytes()>;
  SecurityDomain(const Variant& v, Challenge card_challenge);

  // One C-APDU as it came off the wire; the outcome's rapdu is what goes back on the wire.
  Outcome process(Applet& applet, ByteView capdu);
  // Chip reset or power cycle: nothing selected, no channel.
  void reset();
  bool channel_open() const { return channel_ && channel_->open(); }
  // The static key set a channel opens with now: after PUT KEY the stored one, else the
  // variant's published set (docs/scp03.md §8).
  se05x::scp03::StaticKeys current_keys(const Store& s) const;

 private:
  enum class Target { None, Applet, Ssd, Isd };

  Outcome select(Applet& a, const se05x::ParsedCommand& c, ByteView capdu);
  Outcome secured(Applet& a, ByteView capdu);
  // A plain command (from the wire, or unwrapped when `secure`).
  Outcome plain(Applet& a, const se05x::ParsedCommand& c, ByteView capdu, bool secure);
  Outcome initialize_update(const Applet& a, const se05x::ParsedCommand& c);
  Outcome external_authenticate(ByteView capdu);
  Outcome get_data(const se05x::ParsedCommand& c) const;
  Outcome put_key(Applet& a, ByteView capdu, bool secure);
  void drop() { channel_.reset(); }

  const Variant& v_;
  Challenge challenge_;
  Target target_ = Target::None;
  // Pending after INITIALIZE UPDATE, open after EXTERNAL AUTHENTICATE.
  std::optional<se05x::scp03::CardChannel> channel_;
};

}  // namespace sx::sim
