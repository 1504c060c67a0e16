// PlatformSCP03 (docs/scp03.md) on hostile bytes: arbitrary R-APDUs through the
// host's unwrap (after a genuine handshake, so the MAC check is passed only by
// luck and the decryption/padding paths still run on forged MAC-valid data
// built below), arbitrary C-APDUs through the card's unwrap, the INITIALIZE
// UPDATE answer, PUT KEY and the configuration read-out parsers. Nothing may
// crash, over-read or accept a forged MAC.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "se05x/scp03.h"
#include "se05x/scp03_defaults.h"

namespace {

using namespace sx;
using namespace sx::se05x::scp03;

StaticKeys keys() {
  Bytes k(16, 0x40);
  return StaticKeys(k, k, k);
}

struct Pair {
  HostChannel host;
  CardChannel card;
};

Pair open_pair(CounterRule rule) {
  const Bytes hc(8, 0x11), cc(8, 0x22);
  Bytes iu;
  auto card = CardChannel::on_initialize_update(keys(), hc, cc, Bytes(10, 0), rule, &iu);
  iu.push_back(0x90);
  iu.push_back(0x00);
  Bytes ea;
  auto host = HostChannel::begin(keys(), hc, *parse_initialize_update_reply(iu), rule, &ea);
  if (!card || !host || !card->on_external_authenticate(ea)) std::abort();
  return Pair{std::move(*host), std::move(*card)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in(data, size);
  const CounterRule rule = (size & 1) ? CounterRule::Applet43 : CounterRule::Applet3;
  (void)parse_initialize_update_reply(in);
  (void)parse_oef_id(in);
  (void)parse_put_key(in, keys());

  Pair p = open_pair(rule);
  // Host: a forged response must never pass the R-MAC check.
  if (p.host.wrap(Bytes{0x80, 0x04, 0x00, 0x20}).ok()) {
    auto r = p.host.unwrap(in);
    // Only a bare error status word may pass without a MAC.
    if (r && !(size == 2 && get_u16(in) != 0x9000)) std::abort();
  }
  // Card: arbitrary C-APDUs; a forged one must never unwrap.
  if (p.card.unwrap(in).ok()) std::abort();

  // MAC-valid but arbitrary plaintext both ways: wrap the input as a command
  // body and as response data, and check the round trip.
  Pair q = open_pair(rule);
  Bytes cmd{0x80, 0x01, 0x02, 0x03};
  if (size > 0 && size < 0x10000 - 64) {
    if (size > 0xFF) {
      cmd.push_back(0x00);
      cmd.push_back(static_cast<uint8_t>(size >> 8));
    }
    cmd.push_back(static_cast<uint8_t>(size));
    cmd.insert(cmd.end(), in.begin(), in.end());
  }
  auto wrapped = q.host.wrap(cmd);
  if (wrapped) {
    auto back = q.card.unwrap(*wrapped);
    if (!back || *back != cmd) std::abort();
    Bytes answer(in.begin(), in.end());
    answer.push_back(0x90);
    answer.push_back(0x00);
    auto w = q.card.wrap(answer);
    if (!w) std::abort();
    auto plain = q.host.unwrap(*w);
    if (!plain || *plain != answer) std::abort();
  }
  return 0;
}
