// Crypto commands (protocol notes 4.6.9, 4.6.10, DigestOneShot): all share the
// "TAG_1 ID/algo, TAG_2 algo/data, TAG_3 data [, TAG_5 signature]" shape.
#include <string>

#include "se05x/client_internal.h"

namespace sx::se05x {

namespace {

Bytes key_algo_data(uint32_t id, uint8_t algo, ByteView data, ByteView signature = {}) {
  TlvWriter w;
  w.u32(tag::k1, id).u8(tag::k2, algo).bytes(tag::k3, data).bytes_opt(tag::k5, signature);
  return w.take();
}

// The MW refuses digests of other lengths before sending (4.6.9).
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
  SX_ASSIGN(Bytes der, call_tlv(cmd::kEcdsaSign, key_algo_data(id, static_cast<uint8_t>(algo), digest)));
  if (der.size() < 8 || der[0] != 0x30)
    return make_error(Errc::Malformed, std::string(cmd::kEcdsaSign.name) + ": signature is not a DER SEQUENCE");
  return der;
}

Result<bool> Client::ecdsa_verify(uint32_t id, ByteView digest, ByteView der_signature) {
  SX_ASSIGN(EcSignAlgo algo, ec_algo_for(digest));
  if (der_signature.empty()) return invalid(cmd::kEcdsaVerify.name, "empty signature");
  return call_result(cmd::kEcdsaVerify, key_algo_data(id, static_cast<uint8_t>(algo), digest, der_signature));
}

Result<Bytes> Client::rsa_sign(uint32_t id, RsaSignAlgo algo, ByteView message) {
  return call_tlv(cmd::kRsaSign, key_algo_data(id, static_cast<uint8_t>(algo), message));
}

Result<bool> Client::rsa_verify(uint32_t id, RsaSignAlgo algo, ByteView message, ByteView signature) {
  if (signature.empty()) return invalid(cmd::kRsaVerify.name, "empty signature");
  return call_result(cmd::kRsaVerify, key_algo_data(id, static_cast<uint8_t>(algo), message, signature));
}

Result<Bytes> Client::rsa_encrypt(uint32_t id, RsaEncAlgo algo, ByteView data) {
  return call_tlv(cmd::kRsaEncrypt, key_algo_data(id, static_cast<uint8_t>(algo), data));
}

Result<Bytes> Client::rsa_decrypt(uint32_t id, RsaEncAlgo algo, ByteView data) {
  return call_tlv(cmd::kRsaDecrypt, key_algo_data(id, static_cast<uint8_t>(algo), data));
}

Result<Bytes> Client::ecdh(uint32_t id, ByteView peer_public_point) {
  if (peer_public_point.empty()) return invalid(cmd::kEcdh.name, "empty peer public key");
  TlvWriter w;
  w.u32(tag::k1, id).bytes(tag::k2, peer_public_point);
  return call_tlv(cmd::kEcdh, w.data());
}

Result<Bytes> Client::digest(DigestAlgo algo, ByteView data) {
  const auto& c = cmd::kDigestOneShot;
  const size_t want = digest_size(algo);
  if (want == 0) return invalid(c.name, "unknown digest algorithm");
  TlvWriter w;
  w.u8(tag::k1, static_cast<uint8_t>(algo)).bytes(tag::k2, data);
  SX_ASSIGN(Bytes out, call_tlv(c, w.data()));
  if (out.size() != want) return make_error(Errc::Malformed, std::string(c.name) + ": digest has the wrong length");
  return out;
}

}  // namespace sx::se05x
