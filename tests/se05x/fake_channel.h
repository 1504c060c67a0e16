// The client tests' scripted channel is tests/support's RecordingChannel (records every
// C-APDU, replays queued replies, counts lock/unlock); plus two byte helpers of these tests.
#pragma once

#include <initializer_list>

#include "base/bytes.h"
#include "support/recording_channel.h"

namespace sx::se05x::testing {

using FakeChannel = sx::testing::RecordingChannel;

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) append(out, p);
  return out;
}
inline Bytes filled(size_t n, uint8_t v) { return Bytes(n, v); }

}  // namespace sx::se05x::testing
