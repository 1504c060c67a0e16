#include "t1/host.h"

#include <algorithm>
#include <span>
#include <thread>
#include <utility>

namespace sx::t1 {

// ---- Frame I/O on the bus (Pal) ----

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

// ---- The protocol engine (Host) ----

namespace {

constexpr Direction kHostOut = Direction::HostToCard;
// Extended APDUs top out near 64 KiB; anything longer from the SE is a runaway chain.
constexpr size_t kMaxApdu = 65536 + 16;

bool is_s_request(const Frame& f) { return block_kind(f.pcb) == BlockKind::S && !s_is_response(f.pcb); }

Error err(Errc c, std::string msg) { return make_error(c, "t1: " + std::move(msg)); }

}  // namespace

Host::Host(link::I2cBus& bus, HostTiming timing, SleepFn sleep)
    : timing_(timing), sleep_(std::move(sleep)), pal_(bus, timing_, sleep_, stats_) {}

Host::Host(std::unique_ptr<link::I2cBus> bus, HostTiming timing, SleepFn sleep)
    : owned_bus_(std::move(bus)), timing_(timing), sleep_(std::move(sleep)), pal_(*owned_bus_, timing_, sleep_, stats_) {}

std::string Host::describe() const { return "T=1oI2C over " + pal_.describe(); }

void Host::reset_sequence() {
  next_ns_ = 0;
  expect_card_ns_ = 0;
}

void Host::set_atr(ByteView atr) {
  atr_.assign(atr.begin(), atr.end());
  auto parsed = parse_atr(atr);
  if (parsed.ok()) {
    parsed_atr_ = parsed.value();
    const uint16_t ifsc = parsed->ifsc;
    ifsc_ = (ifsc >= 1 && ifsc <= kMaxInfFromHost) ? ifsc : kMaxInfFromHost;
  } else {
    // The NXP MW does not parse the ATR either; fall back to its compile-time IFSC.
    parsed_atr_.reset();
    ifsc_ = kMaxInfFromHost;
  }
}

Status Host::send(const Frame& f) {
  auto wire = encode(f);
  if (!wire.ok()) return wire.take_error();
  SX_TRY(pal_.write_frame(*wire));
  if (in_apdu_ && block_kind(f.pcb) == BlockKind::I && !i_more(f.pcb)) last_block_written_ = true;
  return {};
}

// A frame whose answer we wait for: a write the slave never took is simply written again.
Status Host::send_anchor(const Frame& f) {
  Status st = send(f);
  for (uint32_t i = 0; !st.ok() && i < timing_.frame_retry; ++i) {
    pal_.pause(timing_.error_recovery_delay);
    stats_.retransmissions++;
    st = send(f);
  }
  return st;
}

Status Host::send_rnack(RError e) {
  stats_.rnacks_sent++;
  return send_anchor(make_r(kHostOut, expect_card_ns_, e));
}

// Sends `out` and returns the first block that answers it as `want`, applying the retry
// rules of docs/se05x-protocol.md §1.5 (4-7) and §1.6 on everything in between. Every path either returns
// or increments a budget that is bounded (WTX runs are bounded and reset only by a frame
// that itself consumes another budget), so a hostile SE cannot keep us here forever.
Result<Frame> Host::exchange(const Frame& out, Want want, SCode s_code) {
  Pending p{out, want, s_code, out, {}};
  SX_TRY(send_anchor(p.anchor));
  for (;;) {
    Rx rx = pal_.read_frame();
    Step step = rx.status == RxStatus::Frame ? on_block(p, rx.frame) : on_rx_failure(p, rx.status);
    if (step) return std::move(*step);
  }
}

Status Host::bad_frame(Pending& p, RError e, const char* what) {
  if (++p.b.rnacks > timing_.rnack_retry) return err(Errc::Protocol, what);
  return send_rnack(e);
}

// Wraps a Status as a Step: an error ends the exchange, success reads on.
#define SX_STEP(expr)                                  \
  do {                                                 \
    if (Status st_ = (expr); !st_.ok()) return Result<Frame>(st_.take_error()); \
  } while (0)

Host::Step Host::on_rx_failure(Pending& p, RxStatus status) {
  if (status == RxStatus::BadCrc) {
    stats_.crc_errors++;
    SX_STEP(bad_frame(p, RError::Crc, "too many CRC errors"));
    return std::nullopt;
  }
  if (status != RxStatus::Timeout) {
    stats_.malformed++;
    SX_STEP(bad_frame(p, RError::Other, "too many malformed frames"));
    return std::nullopt;
  }
  const bool i_anchor = block_kind(p.anchor.pcb) == BlockKind::I;
  const bool nack_other_anchor = is_s(p.anchor.pcb, SCode::Wtx, true) || is_s(p.anchor.pcb, SCode::Resynch, false);
  if (i_anchor || nack_other_anchor) {
    // ISO 7816-3 rule 7.1: ask for the answer rather than resending the command.
    if (++p.b.rnacks > timing_.rnack_retry) return Result<Frame>(err(Errc::Timeout, "no answer from the SE"));
    SX_STEP(send_rnack(i_anchor ? RError::Crc : RError::Other));
  } else {
    if (++p.b.timeouts > timing_.timeout_retry) return Result<Frame>(err(Errc::Timeout, "no answer from the SE"));
    stats_.retransmissions++;
    SX_STEP(send_anchor(p.anchor));
  }
  return std::nullopt;
}

Host::Step Host::on_block(Pending& p, const Frame& f) {
  const uint8_t pcb = f.pcb;
  if (!pcb_valid(pcb)) {
    stats_.malformed++;
    SX_STEP(bad_frame(p, RError::Other, "too many frames with an invalid PCB"));
    return std::nullopt;
  }
  if (is_s(pcb, SCode::Wtx, false)) {
    stats_.wtx_seen++;
    if (++p.b.wtx > timing_.wtx_limit) return Result<Frame>(err(Errc::Timeout, "WTX limit reached"));
    pal_.pause(timing_.error_recovery_delay);
    // While another S-request is outstanding the MW repeats it instead of answering.
    if (!is_s_request(p.anchor)) p.anchor = make_s(kHostOut, SCode::Wtx, true, Bytes{0x01});
    SX_STEP(send_anchor(p.anchor));
    return std::nullopt;
  }
  p.b.wtx = 0;
  switch (block_kind(pcb)) {
    case BlockKind::R: return on_r_block(p, f);
    case BlockKind::S: return on_s_block(p, f);
    case BlockKind::I: break;
  }
  if (p.want != Want::IBlock) {
    stats_.malformed++;
    SX_STEP(bad_frame(p, RError::Other, "unexpected I-block"));
    return std::nullopt;
  }
  if (i_ns(pcb) == expect_card_ns_) return Result<Frame>(f);
  // A repeated I-block (rule 4).
  stats_.malformed++;
  if (++p.b.retrans > timing_.frame_retry) return Result<Frame>(err(Errc::Protocol, "SE keeps repeating an I-block"));
  pal_.pause(timing_.error_recovery_delay);
  SX_STEP(send_rnack(RError::Other));
  return std::nullopt;
}

Host::Step Host::on_r_block(Pending& p, const Frame& f) {
  const bool ack = r_error(f.pcb) == RError::Ack;
  if (p.want == Want::RAck && ack && f.nad == kNadCardToHost && r_nr(f.pcb) == (i_ns(p.out.pcb) ^ 1))
    return Result<Frame>(f);
  if (++p.b.retrans > timing_.frame_retry) return Result<Frame>(err(Errc::Protocol, "too many retransmission requests"));
  pal_.pause(timing_.error_recovery_delay);
  stats_.retransmissions++;
  // An ACK naming our own N(S) asks for the same I-block again (rule 2).
  if (p.want == Want::RAck && ack) p.anchor = p.out;
  SX_STEP(send_anchor(p.anchor));
  return std::nullopt;
}

Host::Step Host::on_s_block(Pending& p, const Frame& f) {
  const uint8_t code = s_code_bits(f.pcb);
  if (p.want == Want::SResponse && f.pcb == pcb_s(p.s_code, true)) return Result<Frame>(f);
  const bool atr_response = s_is_response(f.pcb) && (code == static_cast<uint8_t>(SCode::GetAtr) ||
                                                     code == static_cast<uint8_t>(SCode::InterfaceReset));
  if (atr_response) {
    // Only a freshly reset SE announces itself unasked.
    reset_sequence();
    set_atr(f.inf);
    stats_.resets++;
    return Result<Frame>(err(Errc::LinkReset, "SE sent an unsolicited ATR (it was reset)"));
  }
  stats_.malformed++;
  SX_STEP(bad_frame(p, RError::Other, "unexpected S-block"));
  return std::nullopt;
}

#undef SX_STEP

Result<Frame> Host::s_exchange(SCode code) {
  return exchange(make_s(kHostOut, code, false), Want::SResponse, code);
}

Result<Bytes> Host::open() {
  open_ = false;
  needs_recovery_ = false;
  pal_.pause(timing_.wake_up_delay);
  pal_.drain();
  reset_sequence();
  auto rs = s_exchange(SCode::Resynch);
  if (!rs.ok()) return rs.take_error();
  reset_sequence();
  const SCode code = open_mode_ == OpenMode::GetAtr ? SCode::GetAtr : SCode::InterfaceReset;
  auto ra = s_exchange(code);
  if (!ra.ok()) return ra.take_error();
  if (code == SCode::InterfaceReset) reset_sequence();
  set_atr(ra->inf);
  open_ = true;
  return atr_;
}

Result<Bytes> Host::recover() {
  stats_.resets++;
  needs_recovery_ = true;
  pal_.pause(timing_.error_recovery_delay);
  pal_.drain();
  reset_sequence();
  auto r = s_exchange(SCode::InterfaceReset);
  if (!r.ok()) {
    Error e = r.take_error();
    if (e.code == Errc::LinkReset) e.code = Errc::Protocol;  // an ATR, but not the one we asked for
    e.message = "interface reset failed: " + e.message;
    return e;
  }
  reset_sequence();
  set_atr(r->inf);
  needs_recovery_ = false;
  return atr_;
}

Result<Bytes> Host::interface_reset() { return recover(); }

Status Host::chip_reset() {
  stats_.resets++;
  auto r = s_exchange(SCode::ChipReset);
  reset_sequence();
  if (!r.ok()) return r.take_error();
  return {};
}

Status Host::close() {
  if (!open_) return {};
  open_ = false;
  auto r = s_exchange(SCode::EndApduSession);
  if (!r.ok()) return r.take_error();
  return {};
}

Result<Bytes> Host::transceive(std::span<const uint8_t> capdu) {
  if (!open_) return err(Errc::Closed, "link not open");
  if (capdu.size() > kMaxApdu) return err(Errc::InvalidArgument, "C-APDU too long");
  if (needs_recovery_) {
    auto r = recover();
    if (!r.ok()) return r.take_error();
    Error e = err(Errc::LinkReset, "link was reset before the command was sent");
    e.retry_safe = true;
    return e;
  }

  last_block_written_ = false;
  in_apdu_ = true;
  auto r = run_apdu(capdu);
  in_apdu_ = false;
  if (r.ok()) return r;

  Error e = r.take_error();
  if (e.code != Errc::LinkReset) {
    auto rec = recover();
    if (!rec.ok()) {
      Error re = rec.take_error();
      re.message = e.message + "; " + re.message;
      return re;
    }
    e = err(Errc::LinkReset, "interface reset after: " + e.message);
  }
  e.retry_safe = !last_block_written_;
  return e;
}

Result<Bytes> Host::run_apdu(ByteView capdu) {
  Frame reply;
  size_t off = 0;
  do {
    const size_t n = std::min(ifsc_, capdu.size() - off);
    const bool more = off + n < capdu.size();
    const Frame out = make_i(kHostOut, next_ns_, more, capdu.subspan(off, n));
    SX_ASSIGN(reply, exchange(out, more ? Want::RAck : Want::IBlock));
    next_ns_ ^= 1;
    off += n;
  } while (off < capdu.size());

  Bytes rapdu;
  for (;;) {
    expect_card_ns_ ^= 1;
    append(rapdu, reply.inf);
    if (rapdu.size() > kMaxApdu) return err(Errc::Protocol, "R-APDU chain too long");
    if (!i_more(reply.pcb)) break;
    SX_ASSIGN(reply, exchange(make_r(kHostOut, expect_card_ns_, RError::Ack), Want::IBlock));
  }
  return rapdu;
}

}  // namespace sx::t1
