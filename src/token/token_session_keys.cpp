// Session keys: C_GenerateKeyPair with CKA_TOKEN = FALSE makes the pair in the chip as
// a TRANSIENT object (docs/pkcs11-module.md "Session objects"). The metadata store is
// not involved: the PKCS#11 layer of the process that made the key tracks it and
// deletes it with its session.
#include <random>

#include "token/id_range.h"
#include "token/token.h"

namespace sx::token {

namespace {

constexpr uint32_t kSessionIds = ids::kSessionLast - ids::kSessionFirst + 1;

// Where the search for a free ID starts: spread, so that processes making keys at the
// same time rarely probe the same IDs (each probe is one CheckObjectExists).
uint32_t first_probe() {
  std::random_device rd;
  return rd() % kSessionIds;
}

}  // namespace

Result<ChipObject> Token::generate_session_key(const KeySpec& spec, const NewObject& attrs) {
  SX_TRY(check_usage(attrs, spec.type));
  if (spec.type == KeyType::Ec && !curve_allowed(spec.curve))
    return make_error(Errc::InvalidArgument, "EC key generation: P-256, P-384 or P-521 only");
  if (spec.type == KeyType::Rsa && !rsa_bits_supported(spec.rsa_bits))
    return make_error(Errc::InvalidArgument, "RSA key generation: 1024, 1152, 2048, 3072 or 4096 bits only");
  // The lock spans the search and the write: another process's free-ID check cannot
  // interleave with ours.
  SX_ASSIGN(auto lock, take_lock());
  if (spec.type == KeyType::Ec && !applet7_) SX_TRY(client_.ensure_curve(spec.curve));
  uint32_t id = 0;
  const uint32_t start = first_probe();
  for (uint32_t i = 0; i < kSessionIds && id == 0; ++i) {
    const uint32_t cand = ids::kSessionFirst + (start + i) % kSessionIds;
    SX_ASSIGN(bool exists, client_.check_object_exists(cand));
    if (!exists) id = cand;
  }
  if (id == 0) return make_error(Errc::NoMemory, "every session-key ID is in use");
  const Bytes pol = creation_policy(ObjectClass::PrivateKey, true, withheld_rights(attrs, spec.type));
  Status st;
  if (spec.type == KeyType::Ec) {
    se05x::EcKeyWrite w;
    w.id = id;
    w.curve = spec.curve;
    w.policy = pol;
    w.transient = true;
    st = client_.write_ec_key(w);
  } else {
    st = client_.generate_rsa_key(id, spec.rsa_bits, se05x::RsaFormat::Crt, pol, true);
  }
  if (!st) return st.take_error();
  auto o = describe_object(client_, id, applet7_);
  const bool usable = o.ok() && o->problem.empty() &&
                      (spec.type == KeyType::Ec ? !o->public_point.empty() : !o->modulus.empty());
  if (!usable) {
    // A key whose public half cannot be read is of no use: do not leave it behind.
    (void)client_.delete_object(id);
    if (!o.ok()) return o.take_error();
    return make_error(Errc::Malformed, "new session key " + default_label(id) + ": " + o->problem);
  }
  return o;
}

Status Token::delete_session_key(uint32_t chip_id) {
  if (!ids::is_session_key(chip_id)) return make_error(Errc::InvalidArgument, "not a session-key ID");
  SX_ASSIGN(auto lock, take_lock());
  auto del = client_.delete_object(chip_id);
  if (!del.ok() && del.error().code == Errc::StatusWord) {
    // Gone already (a chip reset): nothing to do.
    SX_ASSIGN(bool exists, client_.check_object_exists(chip_id));
    if (!exists) return {};
  }
  return del;
}

}  // namespace sx::token
