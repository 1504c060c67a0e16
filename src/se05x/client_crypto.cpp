// Crypto commands (docs/se05x-protocol.md §4.6.9, §4.6.10, §4.6.12): all share the
// "TAG_1 ID/algo, TAG_2 algo/data, TAG_3 data [, TAG_5 signature]" shape.
#include <array>
#include <span>
#include <string>

#include "se05x/client_internal.h"

namespace sx::se05x {

namespace {

// TAG_1 key, TAG_2 algorithm, TAG_3 data [, TAG_5 signature]: every sign/verify/crypt request.
struct KeyAlgoData {
  std::array<Arg, 4> args;
  size_t count;
  operator std::span<const Arg>() const { return {args.data(), count}; }
};

KeyAlgoData key_algo_data(uint32_t id, uint8_t algo, ByteView data, ByteView signature = {}) {
  KeyAlgoData k{{Arg::u32(tag::k1, id), Arg::u8(tag::k2, algo), Arg::bin(tag::k3, data), Arg::bin(tag::k5, signature)}, 3};
  if (!signature.empty()) k.count = 4;
  return k;
}

// The MW refuses digests of other lengths before sending (docs/se05x-protocol.md §4.6.9).
Result<EcSignAlgo> ec_algo_for(ByteView digest) {
  switch (digest.size()) {
    case 20: return EcSignAlgo::Sha1;
    case 28: return EcSignAlgo::Sha224;
    case 32: return EcSignAlgo::Sha256;
    case 48: return EcSignAlgo::Sha384;
    case 64: return EcSignAlgo::Sha512;
    default: return invalid("ECDSA", "digest must be 20, 28, 32, 48 or 64 bytes");
  }
}

size_t digest_size(DigestAlgo a) {
  switch (a) {
    case DigestAlgo::Sha1: return 20;
    case DigestAlgo::Sha224: return 28;
    case DigestAlgo::Sha256: return 32;
    case DigestAlgo::Sha384: return 48;
    case DigestAlgo::Sha512: return 64;
  }
  return 0;
}

}  // namespace

Result<Bytes> Client::ecdsa_sign(uint32_t id, ByteView digest) {
  SX_ASSIGN(EcSignAlgo algo, ec_algo_for(digest));
  SX_ASSIGN(Bytes der, run_tlv(CmdId::ECDSASign, key_algo_data(id, static_cast<uint8_t>(algo), digest)));
  if (der.size() < 8 || der[0] != 0x30) return malformed_reply(CmdId::ECDSASign, "signature is not a DER SEQUENCE");
  return der;
}

Result<bool> Client::ecdsa_verify(uint32_t id, ByteView digest, ByteView der_signature) {
  SX_ASSIGN(EcSignAlgo algo, ec_algo_for(digest));
  if (der_signature.empty()) return invalid(name_of(CmdId::ECDSAVerify), "empty signature");
  return run_result(CmdId::ECDSAVerify, key_algo_data(id, static_cast<uint8_t>(algo), digest, der_signature));
}

Result<Bytes> Client::rsa_sign(uint32_t id, RsaSignAlgo algo, ByteView message) {
  return run_tlv(CmdId::RSASign, key_algo_data(id, static_cast<uint8_t>(algo), message));
}

Result<bool> Client::rsa_verify(uint32_t id, RsaSignAlgo algo, ByteView message, ByteView signature) {
  if (signature.empty()) return invalid(name_of(CmdId::RSAVerify), "empty signature");
  return run_result(CmdId::RSAVerify, key_algo_data(id, static_cast<uint8_t>(algo), message, signature));
}

Result<Bytes> Client::rsa_encrypt(uint32_t id, RsaEncAlgo algo, ByteView data) {
  return run_tlv(CmdId::RSAEncrypt, key_algo_data(id, static_cast<uint8_t>(algo), data));
}

Result<Bytes> Client::rsa_decrypt(uint32_t id, RsaEncAlgo algo, ByteView data) {
  return run_tlv(CmdId::RSADecrypt, key_algo_data(id, static_cast<uint8_t>(algo), data));
}

Result<Bytes> Client::ecdh(uint32_t id, ByteView peer_public_point) {
  constexpr CmdId cid = CmdId::ECDHGenerateSharedSecret;
  if (peer_public_point.empty()) return invalid(name_of(cid), "empty peer public key");
  return run_tlv(cid, {Arg::u32(tag::k1, id), Arg::bin(tag::k2, peer_public_point)});
}

Result<Bytes> Client::digest(DigestAlgo algo, ByteView data) {
  constexpr CmdId cid = CmdId::DigestOneShot;
  const size_t want = digest_size(algo);
  if (want == 0) return invalid(name_of(cid), "unknown digest algorithm");
  // TAG_2 is sent even for empty data.
  SX_ASSIGN(Bytes out, run_tlv(cid, {Arg::u8(tag::k1, static_cast<uint8_t>(algo)), Arg::bin(tag::k2, data)}));
  if (out.size() != want) return malformed_reply(cid, "digest has the wrong length");
  return out;
}

}  // namespace sx::se05x
