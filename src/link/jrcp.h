// JRCP v1 ("Remote JC Terminal") framing: MTY, NAD (0), 16-bit big-endian
// payload length, payload. Used by NXP's simulator, accessManager and MW.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/result.h"

namespace sx::link::jrcp {

enum class Mty : uint8_t {
  WaitForCard = 0x00,
  ApduData = 0x01,
  Status = 0x02,
  Close = 0x03,  // also ERROR_MSG: NXP uses the same value for both
  TerminalInfo = 0x04,
  InitData = 0x05,
  InfoText = 0x06,
  DebugInfo = 0x07,
  Lock = 0x30,
  Unlock = 0x31,
  Quit = 0x50,
};
inline constexpr uint8_t kError = 0x03;

inline constexpr size_t kHeaderSize = 4;
inline constexpr size_t kMaxPayload = 0xFFFF;
// What NXP's MW sends as WAIT_FOR_CARD payload (256 ms timeout, big-endian).
inline constexpr uint8_t kWaitForCardPayload[4] = {0x00, 0x00, 0x01, 0x00};

struct Message {
  uint8_t type = 0;
  Bytes payload;
};

const char* mty_name(uint8_t type);

// InvalidArgument when the payload does not fit the 16-bit length.
Result<Bytes> encode(uint8_t type, ByteView payload);
inline Result<Bytes> encode(Mty type, ByteView payload = {}) { return encode(static_cast<uint8_t>(type), payload); }

// Reassembles messages from a byte stream cut anywhere. Errors are sticky:
// after a bad header (NAD != 0, length above max_payload) the stream cannot
// be resynchronised and the connection must be dropped.
class Decoder {
 public:
  explicit Decoder(size_t max_payload = kMaxPayload) : max_payload_(max_payload) {}

  Status feed(ByteView data);
  // The next complete message, if any.
  std::optional<Message> next();
  // True when a message is complete and waiting in next().
  bool has_message() const;
  // Bytes of an incomplete message are buffered (a peer stopped mid-message).
  bool mid_message() const { return !failed_ && buf_.size() > pos_ && !has_message(); }
  size_t buffered() const { return buf_.size() - pos_; }
  bool failed() const { return failed_; }

 private:
  Status check_header();

  size_t max_payload_;
  Bytes buf_;
  size_t pos_ = 0;  // start of the first unconsumed message in buf_
  bool failed_ = false;
  Error error_;
};

}  // namespace sx::link::jrcp
