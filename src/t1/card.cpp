#include "t1/card.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace sx::t1 {

namespace {
constexpr Direction kCardOut = Direction::CardToHost;
}

Card::Card(ApduHandler handler, ResetHandler on_chip_reset, CardConfig config)
    : handler_(std::move(handler)), on_chip_reset_(std::move(on_chip_reset)), config_(std::move(config)) {
  config_.ifsc = std::clamp<uint8_t>(config_.ifsc, 1, static_cast<uint8_t>(kMaxInfFromHost));
  rng_ = faults_.seed;
}

std::string Card::describe() const { return "simulated SE050 T=1oI2C slave"; }

void Card::set_faults(const CardFaults& f) {
  std::lock_guard lk(mu_);
  faults_ = f;
  rng_ = f.seed;
  fault_txn_ = 0;
  burst_left_ = 0;
}

CardFaults Card::faults() const {
  std::lock_guard lk(mu_);
  return faults_;
}

CardStats Card::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

// splitmix64: portable and deterministic, unlike the <random> distributions.
uint64_t Card::next_random() {
  uint64_t z = (rng_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

bool Card::chance(double p) {
  if (p <= 0.0) return false;
  const double u = static_cast<double>(next_random() >> 11) * 0x1.0p-53;
  return u < p;
}

bool Card::inject_nack() {
  if (burst_left_ > 0) {
    --burst_left_;
    return true;
  }
  if (faults_.nack_every == 0 || faults_.nack_burst == 0) return false;
  if (++fault_txn_ % faults_.nack_every != 0) return false;
  burst_left_ = faults_.nack_burst - 1;
  return true;
}

void Card::fresh_sequence() {
  expect_host_ns_ = 0;
  card_ns_ = 0;
  last_i_ns_ = 0;
}

void Card::drop_exchange() {
  rx_chain_.clear();
  response_.clear();
  response_off_ = 0;
  chaining_out_ = false;
  awaiting_wtx_ = false;
  wtx_left_ = 0;
}

void Card::chip_reset_locked() {
  stats_.chip_resets++;
  fresh_sequence();
  drop_exchange();
  out_.clear();
  out_pos_ = 0;
  if (on_chip_reset_) on_chip_reset_();
}

void Card::emit(const Frame& f, bool remember) {
  last_sent_ = f;
  if (remember) last_meaningful_ = f;
  auto wire = encode(f);
  if (!wire.ok()) return;  // cannot happen: INF <= IFSC
  out_ = std::move(wire).value();
  out_pos_ = 0;
  if (chance(faults_.corrupt_tx)) out_.back() ^= 0x5A;
  stats_.frames_out++;
}

void Card::resend(const std::optional<Frame>& f) {
  if (!f) return;  // a fresh chip has nothing to repeat: stay silent
  const Frame copy = *f;
  emit(copy, false);
}

void Card::send_next_chunk() {
  const size_t n = std::min<size_t>(config_.ifsc, response_.size() - response_off_);
  const bool more = response_off_ + n < response_.size();
  const Frame f = make_i(kCardOut, card_ns_, more, ByteView(response_).subspan(response_off_, n));
  last_i_ns_ = card_ns_;
  card_ns_ ^= 1;
  response_off_ += n;
  chaining_out_ = more;
  emit(f, true);
}

void Card::send_wtx() {
  --wtx_left_;
  awaiting_wtx_ = true;
  emit(make_s(kCardOut, SCode::Wtx, false, Bytes{0x01}), true);
}

Status Card::write(std::span<const uint8_t> data) {
  std::lock_guard lk(mu_);
  stats_.transactions++;
  if (inject_nack()) {
    stats_.nacks++;
    return make_error(Errc::Nack, "t1 card: write NACKed (injected)");
  }
  stats_.frames_in++;
  stats_.bytes_in += data.size();
  // Whatever was still unread is superseded by the answer to this frame.
  out_.clear();
  out_pos_ = 0;

  FrameError fe = check(data, Direction::HostToCard);
  if (fe == FrameError::None && chance(faults_.corrupt_rx)) fe = FrameError::BadCrc;
  if (fe == FrameError::BadCrc) {
    stats_.crc_errors++;
    emit(make_r(kCardOut, expect_host_ns_, RError::Crc), false);
    return {};
  }
  if (fe != FrameError::None || !pcb_valid(data[1])) {
    emit(make_r(kCardOut, expect_host_ns_, RError::Other), false);
    return {};
  }
  const size_t len = data[2];
  if (len > config_.ifsc) {
    emit(make_r(kCardOut, expect_host_ns_, RError::Other), false);
    return {};
  }
  handle(Frame{data[0], data[1], Bytes(data.begin() + kHeaderSize, data.begin() + static_cast<std::ptrdiff_t>(kHeaderSize + len))});
  return {};
}

void Card::handle(const Frame& f) {
  switch (block_kind(f.pcb)) {
    case BlockKind::I: on_i(f); break;
    case BlockKind::R: on_r(f); break;
    case BlockKind::S: on_s(f); break;
  }
}

void Card::on_i(const Frame& f) {
  if (i_ns(f.pcb) != expect_host_ns_) {
    // Already seen: the host lost our answer. Repeat it; never run a command twice.
    resend(last_meaningful_);
    return;
  }
  expect_host_ns_ ^= 1;
  const bool first = rx_chain_.empty();
  response_.clear();
  response_off_ = 0;
  chaining_out_ = false;
  awaiting_wtx_ = false;
  if (rx_chain_.size() + f.inf.size() > config_.max_capdu) {
    rx_chain_.clear();
    emit(make_r(kCardOut, expect_host_ns_, RError::Other), false);
    return;
  }
  append(rx_chain_, f.inf);

  if (i_more(f.pcb)) {
    if (first && faults_.reset_mid_apdu) {
      faults_.reset_mid_apdu = false;
      chip_reset_locked();
      last_sent_.reset();
      last_meaningful_.reset();
      reset_nacks_left_ = faults_.reset_nack_reads;
      return;
    }
    emit(make_r(kCardOut, expect_host_ns_, RError::Ack), true);
    return;
  }

  Bytes capdu = std::move(rx_chain_);
  rx_chain_.clear();
  stats_.apdus++;
  try {
    response_ = handler_ ? handler_(capdu) : Bytes{0x6D, 0x00};
  } catch (const std::exception&) {
    response_ = Bytes{0x6F, 0x00};
  } catch (...) {
    response_ = Bytes{0x6F, 0x00};
  }
  response_off_ = 0;
  wtx_left_ = faults_.wtx_count;
  if (wtx_left_ > 0) {
    send_wtx();
  } else {
    send_next_chunk();
  }
}

void Card::on_r(const Frame& f) {
  const bool ack = r_error(f.pcb) == RError::Ack;
  if (ack && chaining_out_ && !awaiting_wtx_ && r_nr(f.pcb) == (last_i_ns_ ^ 1)) {
    send_next_chunk();
    return;
  }
  // NACK: the host did not get our last frame. ACK that does not advance: it wants our last
  // real answer (our last frame may have been an R(NACK) it already acted on).
  resend(ack ? last_meaningful_ : last_sent_);
}

void Card::on_s(const Frame& f) {
  const uint8_t code = s_code_bits(f.pcb);
  if (s_is_response(f.pcb)) {
    if (code == static_cast<uint8_t>(SCode::Wtx) && awaiting_wtx_) {
      if (wtx_left_ > 0) {
        send_wtx();
      } else {
        awaiting_wtx_ = false;
        send_next_chunk();
      }
      return;
    }
    resend(last_meaningful_);
    return;
  }
  // Every request the card knows is answered by the matching response; some
  // act first, some carry INF back.
  const auto c = static_cast<SCode>(code);
  ByteView inf;
  switch (c) {
    case SCode::Resynch:
      fresh_sequence();
      drop_exchange();
      break;
    case SCode::Ifs:
      inf = f.inf;
      break;
    case SCode::Abort:
    case SCode::EndApduSession:
      drop_exchange();
      break;
    case SCode::ChipReset:
      chip_reset_locked();
      break;
    case SCode::InterfaceReset:
      fresh_sequence();
      drop_exchange();
      if (config_.interface_reset_deselects) {
        stats_.chip_resets++;
        if (on_chip_reset_) on_chip_reset_();
      }
      inf = config_.atr;
      break;
    case SCode::GetAtr:
      inf = config_.atr;
      break;
    case SCode::DeepPowerDown:
      break;
    case SCode::Wtx:  // only the SE may request WTX
    default:  // not an S-block code
      emit(make_r(kCardOut, expect_host_ns_, RError::Other), false);
      return;
  }
  emit(make_s(kCardOut, c, true, inf), true);
}

Status Card::read(std::span<uint8_t> out) {
  std::lock_guard lk(mu_);
  stats_.transactions++;
  if (reset_nacks_left_ > 0) {
    --reset_nacks_left_;
    stats_.nacks++;
    return make_error(Errc::Nack, "t1 card: rebooting");
  }
  if (inject_nack()) {
    stats_.nacks++;
    return make_error(Errc::Nack, "t1 card: read NACKed (injected)");
  }
  if (out_pos_ >= out_.size()) {
    stats_.nacks++;
    return make_error(Errc::Nack, "t1 card: nothing to send");
  }
  const size_t n = std::min(out.size(), out_.size() - out_pos_);
  std::copy_n(out_.begin() + static_cast<std::ptrdiff_t>(out_pos_), n, out.begin());
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), uint8_t{0xFF});
  out_pos_ += n;
  stats_.bytes_out += n;
  if (out_pos_ >= out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
  return {};
}

}  // namespace sx::t1
