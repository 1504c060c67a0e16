#include "link/jrcp.h"

namespace sx::link::jrcp {

const char* mty_name(uint8_t type) {
  switch (type) {
    case 0x00: return "WAIT_FOR_CARD";
    case 0x01: return "APDU_DATA";
    case 0x02: return "STATUS";
    case 0x03: return "CLOSE/ERROR";
    case 0x04: return "TERMINAL_INFO";
    case 0x05: return "INIT_DATA";
    case 0x06: return "INFO_TEXT";
    case 0x07: return "DEBUG_INFO";
    case 0x30: return "LOCK";
    case 0x31: return "UNLOCK";
    case 0x50: return "QUIT";
    default: return "UNKNOWN";
  }
}

Result<Bytes> encode(uint8_t type, ByteView payload) {
  if (payload.size() > kMaxPayload)
    return make_error(Errc::InvalidArgument,
                      "jrcp: payload of " + std::to_string(payload.size()) + " bytes exceeds 65535");
  Bytes out;
  out.reserve(kHeaderSize + payload.size());
  out.push_back(type);
  out.push_back(0x00);
  put_u16(out, static_cast<uint16_t>(payload.size()));
  append(out, payload);
  return out;
}

Status Decoder::check_header() {
  // Validates every header as soon as it is complete so an oversized length
  // is rejected before its payload is buffered.
  size_t p = pos_;
  while (buf_.size() - p >= kHeaderSize) {
    ByteView h(buf_.data() + p, kHeaderSize);
    size_t len = get_u16(h, 2);
    if (h[1] != 0x00) {
      failed_ = true;
      error_ = make_error(Errc::Protocol, "jrcp: NAD byte is " + to_hex(h.subspan(1, 1)) + ", expected 00");
      return error_;
    }
    if (len > max_payload_) {
      failed_ = true;
      error_ = make_error(Errc::Protocol, std::string("jrcp: ") + mty_name(h[0]) + " payload of " +
                                              std::to_string(len) + " bytes exceeds the limit of " +
                                              std::to_string(max_payload_));
      return error_;
    }
    if (buf_.size() - p < kHeaderSize + len) break;
    p += kHeaderSize + len;
  }
  return {};
}

Status Decoder::feed(ByteView data) {
  if (failed_) return error_;
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  append(buf_, data);
  return check_header();
}

bool Decoder::has_message() const {
  if (failed_ || buf_.size() - pos_ < kHeaderSize) return false;
  size_t len = get_u16(ByteView(buf_).subspan(pos_), 2);
  return buf_.size() - pos_ >= kHeaderSize + len;
}

std::optional<Message> Decoder::next() {
  if (!has_message()) return std::nullopt;
  ByteView rest = ByteView(buf_).subspan(pos_);
  size_t len = get_u16(rest, 2);
  Message m{rest[0], Bytes(rest.begin() + kHeaderSize, rest.begin() + static_cast<std::ptrdiff_t>(kHeaderSize + len))};
  pos_ += kHeaderSize + len;
  // Compact once the consumed prefix dominates, keeping memory bounded by
  // about one message plus one read.
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 4096 && pos_ * 2 > buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  return m;
}

}  // namespace sx::link::jrcp
