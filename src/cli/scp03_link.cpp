#include "cli/scp03_link.h"

#include "crypto/digest.h"
#include "se05x/constants.h"
#include "se05x/scp03_defaults.h"

namespace sx::cli {

namespace scp = se05x::scp03;

uint16_t sw_of(ByteView rapdu) { return rapdu.size() < 2 ? 0 : get_u16(rapdu, rapdu.size() - 2); }

std::string sw_text(ByteView rapdu) { return rapdu.size() < 2 ? "no status word" : "SW " + to_hex(rapdu.last(2)); }

Result<Bytes> ScpLink::select(ByteView aid) {
  chan_.reset();  // a SELECT resets the card's channel (docs/scp03.md §9)
  Bytes apdu{0x00, 0xA4, 0x04, 0x00};
  if (!aid.empty()) {
    apdu.push_back(static_cast<uint8_t>(aid.size()));
    append(apdu, aid);
  }
  apdu.push_back(0x00);
  return raw_.transceive(apdu);
}

Result<Bytes> ScpLink::select_applet() { return select(se05x::kAppletAid); }

Status ScpLink::authenticate(const scp::StaticKeys& keys, scp::CounterRule rule) {
  chan_.reset();
  Bytes challenge(scp::kChallengeSize);
  if (!crypto::random_bytes(challenge.data(), challenge.size()))
    return make_error(Errc::Crypto, "no random host challenge");
  SX_ASSIGN(Bytes iu, raw_.transceive(scp::initialize_update(challenge)));
  if (sw_of(iu) != 0x9000)
    return Error{Errc::Unsupported, "INITIALIZE UPDATE refused (" + sw_text(iu) + ")",
                 sw_of(iu)};
  SX_ASSIGN(auto reply, scp::parse_initialize_update_reply(iu));
  if (reply.kvn != scp::kPlatformKvn)
    return make_error(Errc::SecureChannel, "the card answered for key version " + to_hex(Bytes{reply.kvn}));
  Bytes ea;
  SX_ASSIGN(auto chan, scp::HostChannel::begin(keys, challenge, reply, rule, &ea));
  SX_ASSIGN(Bytes r, raw_.transceive(ea));
  if (sw_of(r) != 0x9000)
    return Error{Errc::SecureChannel, "EXTERNAL AUTHENTICATE refused (" + sw_text(r) + ")",
                 sw_of(r)};
  chan_.emplace(std::move(chan));
  return {};
}

Result<Bytes> ScpLink::plain(ByteView capdu) {
  chan_.reset();
  return raw_.transceive(capdu);
}

Result<Bytes> ScpLink::transceive(std::span<const uint8_t> capdu) {
  if (!chan_) return raw_.transceive(capdu);
  auto wrapped = chan_->wrap(capdu);
  if (!wrapped) {
    chan_.reset();
    return wrapped.take_error();
  }
  auto r = raw_.transceive(*wrapped);
  if (!r) {
    chan_.reset();
    return r.take_error();
  }
  // 6982 to a wrapped command: the card dropped the channel (docs/scp03.md §7).
  if (sw_of(*r) == scp::kSwSecurityStatus) {
    chan_.reset();
    return Error{Errc::SecureChannel, "the chip dropped the secure channel (SW 6982)", scp::kSwSecurityStatus};
  }
  auto plain = chan_->unwrap(*r);
  if (!plain) chan_.reset();
  return plain;
}

Result<uint16_t> read_oef_id(ScpLink& link) {
  SX_ASSIGN(Bytes sel, link.select({}));
  if (sw_of(sel) != 0x9000) return Error{Errc::StatusWord, "the issuer security domain was not selected", sw_of(sel)};
  SX_ASSIGN(Bytes r, link.plain(scp::get_data_config()));
  if (sw_of(r) != 0x9000) return Error{Errc::StatusWord, "GET DATA DF28 refused", sw_of(r)};
  return scp::parse_oef_id(r);
}

}  // namespace sx::cli
