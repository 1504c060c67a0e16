// Management / info commands: GetVersion, GetRandom, GetFreeMemory, DigestOneShot.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sim/applet.h"

namespace sx::sim {

namespace t = se05x::tag;

Bytes Applet::version_bytes() const {
  return Bytes{v_.version[0],
               v_.version[1],
               v_.version[2],
               static_cast<uint8_t>(v_.applet_config >> 8),
               static_cast<uint8_t>(v_.applet_config),
               v_.securebox[0],
               v_.securebox[1]};
}

Applet::Reply Applet::on_GetVersion(const Request&) {
  return ok(se05x::TlvWriter().bytes(t::k1, version_bytes()).take());
}

Applet::Reply Applet::on_GetRandom(const Request& r) {
  const uint16_t n = r.u16(t::k1);
  op_ = {Op::Random, 0, n};
  if (static_cast<size_t>(n) + 8 > v_.max_apdu) return sw(se05x::sw::kWrongLength);
  Bytes out(n);
  if (!out.empty() && RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) return sw(se05x::sw::kUnknown);
  return ok(se05x::TlvWriter().bytes(t::k1, out).take());
}

Applet::Reply Applet::on_GetFreeMemory(const Request& r) {
  size_t cap = 0, used = 0;
  switch (static_cast<se05x::MemoryType>(r.u8(t::k1))) {
    case se05x::MemoryType::Persistent:
      cap = v_.user_nvm;
      used = store_.used_persistent();
      break;
    case se05x::MemoryType::TransientReset:
    case se05x::MemoryType::TransientDeselect:
      cap = v_.transient_ram;
      used = store_.used_transient();
      break;
    default: return sw(sw_choice::kBadTlv);
  }
  size_t free = used < cap ? cap - used : 0;
  free &= ~size_t{15};  // 16-byte granularity
  if (free > 0x7FFF) free = 0x7FFF;
  return ok(se05x::TlvWriter().u16(t::k1, static_cast<uint16_t>(free)).take());
}

Applet::Reply Applet::on_DigestOneShot(const Request& r) {
  const ByteView data = r.bin(t::k2);
  op_ = {Op::Digest, 0, static_cast<uint32_t>(data.size())};
  const EVP_MD* md = nullptr;
  switch (static_cast<se05x::DigestAlgo>(r.u8(t::k1))) {
    case se05x::DigestAlgo::Sha1: md = EVP_sha1(); break;
    case se05x::DigestAlgo::Sha224: md = EVP_sha224(); break;
    case se05x::DigestAlgo::Sha256: md = EVP_sha256(); break;
    case se05x::DigestAlgo::Sha384: md = EVP_sha384(); break;
    case se05x::DigestAlgo::Sha512: md = EVP_sha512(); break;
    default: return sw(sw_choice::kBadTlv);
  }
  uint8_t out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) return sw(se05x::sw::kUnknown);
  return ok(se05x::TlvWriter().bytes(t::k1, ByteView(out, len)).take());
}

}  // namespace sx::sim
