// The scripted session of the main job: everything the host stack does for a
// Greengrass identity, step by step, printed as it happens.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "link/apdu_channel.h"

namespace sx::demo {

struct SessionOptions {
  uint32_t key_id = 0x7DE00001;   // inside NXP's "middleware demo" ID range
  uint32_t cert_id = 0x7DE00002;
  bool keep = false;              // leave the demo objects on the chip
};

// Returns 0 on success, 1 when a step failed (the failure is printed).
int run_session(link::ApduChannel& channel, const std::string& connection, const SessionOptions& opt,
                std::ostream& out);

}  // namespace sx::demo
