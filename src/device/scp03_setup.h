// What PlatformSCP03 configuration means for the device stack (docs/scp03.md
// §8-§10): the `scp03 = off | default-keys | required` setting and its key
// file, shared by the module, the broker and the CLI, turned into the channel
// layer that se05x::open_link stacks on the link (se05x/connect.h).
//
//   off           nothing is stacked: plain APDUs, as before.
//   default-keys  the published keys of the chip's variant, found by reading
//                 the OEF ID through the issuer security domain (ISD SELECT,
//                 GET DATA DF28); every published set when that read-out is
//                 refused. One warning: those keys are public.
//   required      the keys of the key file (and a pending rotation's `.next`,
//                 device/scp03_key_file.h); a missing or group/other-readable
//                 file is an error. Never falls back to plain or to defaults.
//
// SE05X_SCP03 and SE05X_SCP03_KEY_FILE (read with secure_getenv, like every
// variable the module reads) override the configured values: tests run whole
// suites with the channel on that way.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "device/scp03_channel.h"
#include "link/apdu_channel.h"
#include "se05x/connect.h"

namespace sx::device {

enum class Scp03Mode { Off, DefaultKeys, Required };

struct Scp03Settings {
  Scp03Mode mode = Scp03Mode::Off;
  std::string key_file;  // required: the key file (no default: it must be named)
};

// "off", "default-keys", "required"; Errc::InvalidArgument otherwise.
Result<Scp03Mode> parse_scp03_mode(std::string_view text);
std::string_view to_string(Scp03Mode m);
// The configured settings with SE05X_SCP03 / SE05X_SCP03_KEY_FILE applied.
Result<Scp03Settings> scp03_with_env(Scp03Settings configured);

// A line worth a warning (the default keys are public; a rotation settled).
using Scp03Warn = std::function<void(const std::string&)>;

// The key ring the settings describe; null for off. For required, the key
// file is read now, so that a missing or unsafe file is reported at start.
Result<std::shared_ptr<Scp03KeyRing>> scp03_key_ring(const Scp03Settings& s, Scp03Warn warn = {});
// Every published default key set, each named by its variant (no bytes).
std::vector<KeyCandidate> all_default_candidates();

// The connect options that stack the channel layer for these settings
// (se05x::ConnectOptions::secure_link); `base` keeps its other fields.
Result<se05x::ConnectOptions> with_scp03(se05x::ConnectOptions base, const Scp03Settings& s, Scp03Warn warn = {});
// The same with a key ring already built (null: nothing stacked). A caller
// that opens the chip more than once keeps its ring: keys loaded once, one
// warning, the working set remembered.
se05x::ConnectOptions with_scp03(se05x::ConnectOptions base, std::shared_ptr<Scp03KeyRing> ring);
// The effective settings (environment applied) and their ring, in one step.
Result<std::shared_ptr<Scp03KeyRing>> scp03_ring_for(const Scp03Settings& configured, Scp03Warn warn = {});

}  // namespace sx::device
