// Private-key material on its way into the chip. It lives only in these
// structs, which wipe themselves; the token wipes them again right after the
// chip write (constraint 6).
#pragma once

#include <cstdint>
#include <variant>

#include "base/bytes.h"
#include "base/result.h"
#include "se05x/constants.h"

namespace sx::token {

struct EcKeyMaterial {
  se05x::Curve curve = se05x::Curve::None;
  Bytes d;  // big-endian scalar, curve size
  Bytes q;  // uncompressed point 04||X||Y; derived from d when empty
  EcKeyMaterial() = default;
  ~EcKeyMaterial() { wipe(); }
  EcKeyMaterial(EcKeyMaterial&&) = default;
  EcKeyMaterial& operator=(EcKeyMaterial&&) = default;
  EcKeyMaterial(const EcKeyMaterial&) = delete;
  EcKeyMaterial& operator=(const EcKeyMaterial&) = delete;
  void wipe() { secure_wipe(d); secure_wipe(q); }
};

struct RsaKeyMaterial {
  Bytes n, e, d, p, q, dp, dq, qinv;  // big-endian, no leading zeros required
  RsaKeyMaterial() = default;
  ~RsaKeyMaterial() { wipe(); }
  RsaKeyMaterial(RsaKeyMaterial&&) = default;
  RsaKeyMaterial& operator=(RsaKeyMaterial&&) = default;
  RsaKeyMaterial(const RsaKeyMaterial&) = delete;
  RsaKeyMaterial& operator=(const RsaKeyMaterial&) = delete;
  uint16_t bits() const;
  void wipe() {
    for (Bytes* b : {&n, &e, &d, &p, &q, &dp, &dq, &qinv}) secure_wipe(*b);
  }
};

class PrivateKeyMaterial {
 public:
  PrivateKeyMaterial() = default;
  explicit PrivateKeyMaterial(EcKeyMaterial ec) : v_(std::move(ec)) {}
  explicit PrivateKeyMaterial(RsaKeyMaterial rsa) : v_(std::move(rsa)) {}
  ~PrivateKeyMaterial() { wipe(); }
  PrivateKeyMaterial(PrivateKeyMaterial&&) = default;
  PrivateKeyMaterial& operator=(PrivateKeyMaterial&&) = default;
  PrivateKeyMaterial(const PrivateKeyMaterial&) = delete;
  PrivateKeyMaterial& operator=(const PrivateKeyMaterial&) = delete;

  EcKeyMaterial* ec() { return std::get_if<EcKeyMaterial>(&v_); }
  RsaKeyMaterial* rsa() { return std::get_if<RsaKeyMaterial>(&v_); }
  void wipe() {
    if (auto* e = ec()) e->wipe();
    if (auto* r = rsa()) r->wipe();
  }

 private:
  std::variant<std::monostate, EcKeyMaterial, RsaKeyMaterial> v_;
};

// PKCS#8 or traditional (SEC1 / PKCS#1) DER private key -> components.
// EC on curves the SE05x knows, RSA 2048/3072/4096. Errc::InvalidArgument otherwise.
Result<PrivateKeyMaterial> parse_private_key_der(ByteView der);

// Fills q from d when empty and checks sizes; Errc::InvalidArgument on mismatch.
Status complete_ec_key(EcKeyMaterial& k);

}  // namespace sx::token
