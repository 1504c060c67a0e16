// Stand-in for device/scp03_key_file.cpp while it is being written on another
// branch: every key-file operation refuses. Removed when the real one lands.
#include "device/scp03_key_file.h"

namespace sx::device {

Result<std::vector<KeyCandidate>> key_candidates(const std::string& path) {
  return make_error(Errc::Unsupported, path + ": key files are not supported by this build yet");
}

Status settle_key_file(const std::string&, const KeyCandidate&) { return {}; }

}  // namespace sx::device
