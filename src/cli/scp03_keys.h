// Which PlatformSCP03 key set opens the chip, for `se05x scp03 ...`: the key
// file and a pending `.next` (device/scp03_key_file.h), and the published
// keys of the variant only when the command was told to use them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/scp03_link.h"
#include "device/scp03_key_file.h"

namespace sx::cli {

// The key file when neither --key-file nor SE05X_SCP03_KEY_FILE names one.
inline constexpr const char* kDefaultScp03KeyFile = "/etc/se05x/scp03.keys";
std::string scp03_key_file_path(const std::string& option);

struct KeySource {
  se05x::scp03::StaticKeys keys;
  std::optional<device::KeyCandidate> file;  // set for the key file and its .next
  std::string variant;                       // set for published keys ("SE050C1")

  // "key file PATH", "pending PATH.next", "published keys of SE050C1".
  std::string describe() const;
};

// The key file's candidates (current, then .next); none when there is no
// file, an error for a file that is unusable (its message).
Result<std::vector<KeySource>> file_sources(const std::string& path);
// The published sets to try: the variant's when the OEF ID is known, else all.
std::vector<KeySource> default_sources(std::optional<uint16_t> oef_id);

// Selects `aid` and tries each source in turn. The index of the one that
// opened a channel (left open on `link`), nullopt when none did;
// Errc::Unsupported when the chip answers no INITIALIZE UPDATE.
Result<std::optional<size_t>> open_with_any(ScpLink& link, ByteView aid, const std::vector<KeySource>& sources,
                                            se05x::scp03::CounterRule rule);

}  // namespace sx::cli
