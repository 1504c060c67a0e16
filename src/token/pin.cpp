#include "token/pin.h"

#include <openssl/crypto.h>

#include "crypto/digest.h"

namespace sx::token {

namespace {

bool derive(std::string_view pin, const Bytes& salt, uint32_t iterations, Bytes& out) {
  out.assign(kPinHashLen, 0);
  if (iterations > 0x7FFFFFFF || pin.size() > 0x7FFFFFFF) return false;
  return crypto::pbkdf2_sha256(pin, salt, iterations, out.data(), out.size());
}

}  // namespace

bool pin_acceptable(std::string_view pin) { return pin.find('\0') == std::string_view::npos; }

Result<PinVerifier> make_pin_verifier(std::string_view pin, uint32_t iterations) {
  if (iterations < kMinPinIterations || iterations > kMaxPinIterations)
    return make_error(Errc::InvalidArgument, "PIN verifier: iterations must be " + std::to_string(kMinPinIterations) +
                                                 " to " + std::to_string(kMaxPinIterations));
  if (!pin_acceptable(pin)) return make_error(Errc::InvalidArgument, "a PIN must not contain a NUL byte");
  if (pin.size() > kMaxPinBytes) return make_error(Errc::InvalidArgument, "a PIN must be at most 64 bytes");
  PinVerifier v;
  v.iterations = iterations;
  v.salt.assign(kPinSaltLen, 0);
  if (!crypto::random_bytes(v.salt.data(), v.salt.size()))
    return make_error(Errc::Crypto, "PIN verifier: no random salt");
  if (!derive(pin, v.salt, iterations, v.hash)) return make_error(Errc::Crypto, "PIN verifier: PBKDF2 failed");
  return v;
}

bool check_pin(const PinVerifier& v, std::string_view pin) {
  if (!v.set() || v.hash.size() != kPinHashLen || !pin_acceptable(pin)) return false;
  Bytes h;
  if (!derive(pin, v.salt, v.iterations, h)) return false;
  const bool ok = CRYPTO_memcmp(h.data(), v.hash.data(), h.size()) == 0;
  secure_wipe(h);
  return ok;
}

}  // namespace sx::token
