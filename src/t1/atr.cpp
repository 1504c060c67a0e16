#include "t1/atr.h"

#include <cstddef>

namespace sx::t1 {

namespace {

// Bounds-checked forward reader; every take fails once the input is exhausted.
class Reader {
 public:
  explicit Reader(ByteView b) : b_(b) {}
  bool u8(uint8_t& v) {
    if (left() < 1) return false;
    v = b_[pos_++];
    return true;
  }
  bool u16(uint16_t& v) {
    if (left() < 2) return false;
    v = get_u16(b_, pos_);
    pos_ += 2;
    return true;
  }
  bool take(ByteView& v, size_t n) {
    if (left() < n) return false;
    v = b_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  size_t left() const { return b_.size() - pos_; }

 private:
  ByteView b_;
  size_t pos_ = 0;
};

Error bad(const char* what) { return make_error(Errc::Malformed, std::string("t1: ATR: ") + what); }

}  // namespace

Result<Atr> parse_atr(ByteView bytes) {
  Reader r(bytes);
  Atr a;
  ByteView vid;
  if (!r.u8(a.pver) || !r.take(vid, 5)) return bad("truncated header");
  for (size_t i = 0; i < 5; ++i) a.vid[i] = vid[i];

  uint8_t dllp_len = 0;
  ByteView dllp;
  if (!r.u8(dllp_len) || !r.take(dllp, dllp_len)) return bad("truncated DLLP");
  if (dllp_len < 4) return bad("DLLP shorter than 4 bytes");
  Reader d(dllp);
  (void)d.u16(a.bwt_ms);
  (void)d.u16(a.ifsc);

  uint8_t plp_len = 0;
  ByteView plp;
  if (!r.u8(a.plid) || !r.u8(plp_len) || !r.take(plp, plp_len)) return bad("truncated PLP");
  if (plp_len < 11) return bad("PLP shorter than 11 bytes");
  Reader p(plp);
  ByteView rfu;
  (void)p.u16(a.mcf_khz);
  (void)p.u8(a.config);
  (void)p.u8(a.mpot_ms);
  (void)p.take(rfu, 3);
  for (size_t i = 0; i < 3; ++i) a.rfu[i] = rfu[i];
  (void)p.u16(a.segt_us);
  (void)p.u16(a.wut);

  uint8_t hist_len = 0;
  ByteView hist;
  if (!r.u8(hist_len) || !r.take(hist, hist_len)) return bad("truncated historical bytes");
  a.historical.assign(hist.begin(), hist.end());
  return a;
}

Bytes default_atr() {
  return Bytes{0x00, 0xA0, 0x00, 0x00, 0x03, 0x96, 0x04, 0x03, 0xE8, 0x00, 0xFE, 0x02,
               0x0B, 0x03, 0xE8, 0x08, 0x01, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00,
               0x0A, 0x4A, 0x43, 0x4F, 0x50, 0x34, 0x20, 0x41, 0x54, 0x50, 0x4F};
}

}  // namespace sx::t1
