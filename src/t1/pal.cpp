#include "t1/pal.h"

#include <algorithm>
#include <span>
#include <thread>

namespace sx::t1 {

void Pal::pause(Micros d) const {
  if (d.count() <= 0) return;
  if (sleep_) {
    sleep_(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

Status Pal::write_frame(ByteView wire) {
  Error last = make_error(Errc::Io, "t1: write failed");
  for (uint32_t attempt = 0; attempt <= timing_.pal_retries; ++attempt) {
    pause(timing_.poll_delay);
    Status st = bus_.write(wire);
    if (st.ok()) {
      stats_.frames_tx++;
      stats_.bytes_tx += wire.size();
      return {};
    }
    last = st.take_error();
    if (last.code == Errc::Nack) stats_.bus_nacks++;
  }
  return last;
}

bool Pal::read_more(uint8_t* dst, size_t n) {
  for (uint32_t attempt = 0; attempt <= timing_.pal_retries; ++attempt) {
    if (attempt) pause(timing_.poll_delay);
    Status st = bus_.read(std::span<uint8_t>(dst, n));
    if (st.ok()) {
      stats_.bytes_rx += n;
      return true;
    }
    if (st.error().code == Errc::Nack) stats_.bus_nacks++;
  }
  return false;
}

Rx Pal::read_frame() {
  Micros backoff{0};
  for (uint32_t poll = 0; poll < timing_.max_header_polls; ++poll) {
    pause(timing_.poll_delay);
    std::array<uint8_t, kMaxFrameSize> buf{};
    std::array<uint8_t, 2> head{};
    Status st = bus_.read(head);
    if (!st.ok()) {
      // The SE NACKs its address while busy; i2c-dev hosts back off a little more each time.
      if (st.error().code == Errc::Nack) stats_.bus_nacks++;
      backoff = std::min(backoff + timing_.nack_backoff_step, timing_.nack_backoff_max);
      pause(backoff);
      continue;
    }
    backoff = Micros{0};
    stats_.bytes_rx += 2;

    const bool nad_error_rnack = head[0] == 0x00 && (head[1] == 0x82 || head[1] == 0x92);
    if (head[0] == kNadCardToHost || nad_error_rnack) {
      buf[0] = head[0];
      buf[1] = head[1];
      if (!read_more(&buf[2], 1)) return Rx{RxStatus::Malformed, {}};
    } else if (head[1] == kNadCardToHost) {
      // The SE clocked out one junk byte before the NAD.
      buf[0] = head[1];
      if (!read_more(&buf[1], 2)) return Rx{RxStatus::Malformed, {}};
    } else {
      continue;  // no frame start: keep polling
    }
    const size_t len = buf[2];  // <= 255, so the frame fits the 260-byte buffer
    if (!read_more(&buf[kHeaderSize], len + kCrcSize)) return Rx{RxStatus::Malformed, {}};

    const ByteView wire(buf.data(), len + kMinFrameSize);
    const FrameError fe = check(wire, Direction::CardToHost);
    if (fe == FrameError::BadCrc) return Rx{RxStatus::BadCrc, {}};
    if (fe != FrameError::None) return Rx{RxStatus::Malformed, {}};
    stats_.frames_rx++;
    Frame f{buf[0], buf[1], Bytes(buf.begin() + kHeaderSize, buf.begin() + static_cast<std::ptrdiff_t>(kHeaderSize + len))};
    return Rx{RxStatus::Frame, std::move(f)};
  }
  stats_.timeouts++;
  return Rx{RxStatus::Timeout, {}};
}

void Pal::drain() {
  std::array<uint8_t, kMaxFrameSize> sink{};
  Status st = bus_.read(sink);
  if (!st.ok() && st.error().code == Errc::Nack) stats_.bus_nacks++;
}

}  // namespace sx::t1
