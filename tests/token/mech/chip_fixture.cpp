#include "chip_fixture.h"

#include <cstdlib>
#include <cstdio>

#include "support/test_rsa_key.h"

namespace sx::token::test {

namespace {

[[noreturn]] void die(const char* what, const Error& e) {
  std::fprintf(stderr, "chip fixture: %s: %s\n", what, e.to_string().c_str());
  std::abort();
}

}  // namespace

Chip::Chip() {
  sim::Config cfg;
  cfg.variant = "SE050C";
  cfg.fsync = false;
  auto s = sim::Simulator::open(cfg);
  if (!s.ok()) die("open simulator", s.error());
  sim_ = std::move(*s);
  ch_ = std::make_unique<sx::testing::SimChannel>(*sim_);
  client_ = std::make_unique<se05x::Client>(*ch_);
  auto v = client_->select();
  if (!v.ok()) die("select", v.error());
}

const KeyRef& Chip::ec(se05x::Curve curve) {
  std::unique_ptr<KeyRef>* slot = curve == se05x::Curve::NistP256   ? &p256_
                                  : curve == se05x::Curve::NistP384 ? &p384_
                                                                    : &p521_;
  const uint32_t id = curve == se05x::Curve::NistP256 ? kP256 : curve == se05x::Curve::NistP384 ? kP384 : kP521;
  if (!*slot) {
    auto st = client_->ensure_curve(curve);
    if (!st.ok()) die("ensure_curve", st.error());
    st = client_->generate_ec_key(id, curve);
    if (!st.ok()) die("generate_ec_key", st.error());
    auto pub = client_->read_object(id);
    if (!pub.ok()) die("read public key", pub.error());
    auto k = make_ec_key_ref(id, curve, *pub);
    if (!k.ok()) die("key ref", k.error());
    *slot = std::make_unique<KeyRef>(std::move(*k));
  }
  return **slot;
}

const KeyRef& Chip::rsa() {
  if (!rsa_) {
    // Imported, not generated: tests/support's RSA test key (generation costs seconds under qemu).
    const sx::testing::RsaKeyParts key = sx::testing::test_rsa_key_parts();
    const Bytes &n = key.n, &e = key.e, &p = key.p, &q = key.q, &dp = key.dp, &dq = key.dq, &qinv = key.qinv;
    se05x::RsaKeyImport imp;
    imp.id = kRsa;
    imp.bits = 2048;
    imp.part = se05x::KeyPart::Pair;
    imp.format = se05x::RsaFormat::Crt;
    imp.p = p;
    imp.q = q;
    imp.dp = dp;
    imp.dq = dq;
    imp.qinv = qinv;
    imp.e = e;
    imp.n = n;
    auto st = client_->import_rsa_key(imp);
    if (!st.ok()) die("import_rsa_key", st.error());
    auto rn = client_->read_rsa_component(kRsa, se05x::RsaComponent::Modulus);
    auto re = client_->read_rsa_component(kRsa, se05x::RsaComponent::PublicExponent);
    if (!rn.ok()) die("read modulus", rn.error());
    if (!re.ok()) die("read exponent", re.error());
    // The chip must report the components it was given.
    if (*rn != n || *re != e) die("RSA components", make_error(Errc::Internal, "read back differs"));
    auto k = make_rsa_key_ref(kRsa, *rn, *re);
    if (!k.ok()) die("key ref", k.error());
    rsa_ = std::make_unique<KeyRef>(std::move(*k));
  }
  return *rsa_;
}

}  // namespace sx::token::test
