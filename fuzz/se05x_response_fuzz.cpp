// Feeds arbitrary bytes as R-APDUs to every response parser of the SE05x
// client (through a channel that answers every C-APDU with the input), plus
// the TLV codec and the card-side C-APDU parser. Nothing may crash or over-read.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "link/apdu_channel.h"
#include "se05x/apdu.h"
#include "se05x/client.h"
#include "se05x/tlv.h"
#include "se05x/types.h"

namespace {

using namespace sx;
using namespace sx::se05x;

class EchoChannel : public link::ApduChannel {
 public:
  explicit EchoChannel(ByteView reply) : reply_(reply) {}
  Result<Bytes> open() override { return Bytes{}; }
  Result<Bytes> transceive(std::span<const uint8_t>) override {
    // Occasionally report a reset so the re-SELECT path is fuzzed too.
    if (++calls_ == 1 && !reply_.empty() && reply_[0] == 0xEE)
      return Error{Errc::LinkReset, "fuzz reset", 0, (reply_.size() & 1) != 0};
    return Bytes(reply_.begin(), reply_.end());
  }
  Status close() override { return {}; }
  std::string describe() const override { return "fuzz"; }
  void rearm() { calls_ = 0; }

 private:
  ByteView reply_;
  int calls_ = 0;
};

template <class R>
void touch(const R& r) {
  if (!r.ok()) (void)r.error().to_string();
}

void run_client(ByteView data) {
  EchoChannel ch(data);
  Client c(ch);
  const uint32_t id = 0x20181001;
  const Bytes d32(32, 0x11), pub(65, 0x04), blk(256, 0x22);
  auto step = [&](auto&& r) {
    touch(r);
    ch.rearm();
  };
  step(c.select());
  step(c.get_version());
  step(c.get_random(32));
  step(c.get_free_memory(MemoryType::Persistent));
  step(c.read_id_list(0));
  step(c.read_all_ids(0xFF, 8));
  step(c.check_object_exists(id));
  step(c.read_type(id));
  step(c.read_size(id));
  step(c.get_ec_curve_id(id));
  step(c.read_object_attributes(id));
  step(c.delete_object(id));
  step(c.read_object(id));
  step(c.read_object_part(id, 0, 16));
  step(c.read_rsa_component(id, RsaComponent::Modulus));
  step(c.read_binary(id));
  step(c.read_binary(id, 600));
  step(c.create_binary(id, blk));
  step(c.update_binary(id, blk, 4));
  step(c.generate_ec_key(id, Curve::NistP256));
  step(c.generate_rsa_key(id, 2048, RsaFormat::Raw));
  RsaKeyImport k;
  k.id = id;
  k.bits = 2048;
  k.format = RsaFormat::Raw;
  k.e = ByteView(d32).first(3);
  k.d = blk;
  k.n = blk;
  step(c.import_rsa_key(k));
  step(c.ecdsa_sign(id, d32));
  step(c.ecdsa_verify(id, d32, d32));
  step(c.rsa_sign(id, RsaSignAlgo::Pkcs1Sha256, d32));
  step(c.rsa_verify(id, RsaSignAlgo::PssSha256, d32, blk));
  step(c.rsa_encrypt(id, RsaEncAlgo::Pkcs1, d32));
  step(c.rsa_decrypt(id, RsaEncAlgo::NoPad, blk));
  step(c.ecdh(id, pub));
  step(c.digest(DigestAlgo::Sha256, d32));
  step(c.read_ec_curve_list());
  step(c.create_ec_curve(Curve::NistP256));
  step(c.set_ec_curve_param(Curve::NistP256, CurveParam::A, d32));
  step(c.ensure_curve(Curve::NistP256));
}

void run_codecs(ByteView data) {
  TlvReader r(data);
  while (!r.at_end()) {
    auto t = r.next();
    if (!t.ok()) break;
  }
  TlvReader r2(data);
  touch(r2.expect_u8(0x41));
  touch(r2.expect_u16(0x42));
  touch(r2.expect_u32(0x43));
  touch(r2.optional(0x44));
  auto set = TlvSet::parse(data);
  if (set.ok()) {
    touch(set->require_u32(0x41));
    touch(set->get_u16(0x42));
    touch(set->get_u8(0x43));
  }
  auto cmd = parse_command(data);
  if (cmd.ok()) (void)TlvSet::parse(cmd->body);
  touch(split_response(data));
  touch(parse_version(data));
  touch(parse_attributes(data, true));
  touch(parse_attributes(data, false));
  if (!data.empty()) touch(normalize_type(data[0]));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in(data, size);
  run_codecs(in);
  run_client(in);
  return 0;
}
