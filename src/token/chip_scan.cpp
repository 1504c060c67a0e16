#include "token/chip_scan.h"

namespace sx::token {

namespace {

// Records a per-object failure; false when the caller must propagate instead.
template <class T>
bool soft_fail(Result<T>& r, ChipObject& o, const char* what) {
  if (r.ok()) return true;
  if (is_link_error(r.error())) return false;
  o.problem += std::string(what) + ": " + r.error().message + "; ";
  return true;
}

}  // namespace

const char* chip_kind_name(se05x::ObjectKind k, bool certificate) {
  using K = se05x::ObjectKind;
  switch (k) {
    case K::EcPair: return "EC key pair";
    case K::EcPrivate: return "EC private key";
    case K::EcPublic: return "EC public key";
    case K::RsaPair: return "RSA key pair";
    case K::RsaPrivate: return "RSA private key";
    case K::RsaPublic: return "RSA public key";
    case K::Binary: return certificate ? "certificate" : "binary file";
    default: return "other";
  }
}

bool is_link_error(const Error& e) {
  switch (e.code) {
    case Errc::StatusWord:
    case Errc::Malformed:
    case Errc::NotFound:
    case Errc::Exists:
    case Errc::NoMemory:
    case Errc::Unsupported:
    case Errc::Crypto:
    case Errc::AccessDenied:  // 6986 through the user-session layer: a chip answer
    case Errc::InvalidArgument: return false;
    default: return true;
  }
}

namespace {

// The bytes of an object whose kind and curve are known (from the chip or the index).
Status read_bytes(se05x::Client& c, ChipObject& o) {
  switch (o.kind) {
    case se05x::ObjectKind::EcPair:
    case se05x::ObjectKind::EcPublic: {
      auto pub = c.read_object(o.id);
      if (!soft_fail(pub, o, "ReadObject")) return pub.take_error();
      if (pub.ok()) o.public_point = std::move(*pub);
      break;
    }
    case se05x::ObjectKind::RsaPair:
    case se05x::ObjectKind::RsaPrivate:
    case se05x::ObjectKind::RsaPublic: {
      auto n = c.read_rsa_component(o.id, se05x::RsaComponent::Modulus);
      if (!soft_fail(n, o, "read modulus")) return n.take_error();
      if (n.ok()) o.modulus = std::move(*n);
      auto e = c.read_rsa_component(o.id, se05x::RsaComponent::PublicExponent);
      if (!soft_fail(e, o, "read exponent")) return e.take_error();
      if (e.ok()) o.public_exponent = std::move(*e);
      o.rsa_bits = static_cast<uint32_t>(bit_length(o.modulus));
      break;
    }
    case se05x::ObjectKind::Binary: {
      // A length from the index saves the ReadSize.
      auto v = o.length ? c.read_binary(o.id, o.length) : c.read_binary(o.id);
      if (!soft_fail(v, o, "read file")) return v.take_error();
      if (v.ok()) {
        o.value = std::move(*v);
        o.length = o.value.size();
        if (auto x = crypto::parse_x509(o.value); x.ok()) o.cert = std::move(*x);
        o.certificate = o.cert.has_value();
      }
      break;
    }
    default: break;
  }
  return {};
}

}  // namespace

Result<ChipObject> describe_object(se05x::Client& c, uint32_t id, bool applet7) {
  ChipObject o;
  o.id = id;
  auto attrs = c.read_object_attributes(id);
  if (!soft_fail(attrs, o, "ReadObjectAttributes")) return attrs.take_error();
  if (!attrs.ok()) return o;  // kind Other: not shown
  o.type_code = attrs->type;
  o.provisioned = attrs->origin == se05x::Origin::Provisioned;
  auto kk = se05x::normalize_type(attrs->type);
  if (!kk.ok()) {
    o.problem += "unknown type code; ";
    return o;
  }
  o.kind = se05x::kind_of(kk->type);
  o.curve = kk->curve;
  if (se05x::is_ec(o.kind) && o.curve == se05x::Curve::None && !applet7) {
    auto cv = c.get_ec_curve_id(id);
    if (!soft_fail(cv, o, "GetECCurveId")) return cv.take_error();
    if (cv.ok()) o.curve = *cv;
  }
  SX_TRY(read_bytes(c, o));
  return o;
}

Status load_object_bytes(se05x::Client& c, ChipObject& o) {
  if (o.bytes_loaded) return {};
  o.problem.clear();
  SX_TRY(read_bytes(c, o));
  o.bytes_loaded = o.problem.empty();
  return {};
}

IndexEntry index_entry_of(const ChipObject& o) {
  IndexEntry e;
  e.chip_id = o.id;
  e.type_code = o.type_code;
  e.provisioned = o.provisioned;
  e.certificate = o.kind == se05x::ObjectKind::Binary && (o.bytes_loaded ? o.cert.has_value() : o.certificate);
  if (se05x::is_ec(o.kind)) e.info = static_cast<uint16_t>(o.curve);
  else if (se05x::is_rsa(o.kind)) e.info = static_cast<uint16_t>(o.rsa_bits);
  else if (o.kind == se05x::ObjectKind::Binary) e.info = static_cast<uint16_t>(o.length);
  return e;
}

ChipObject chip_object_of(const IndexEntry& e) {
  ChipObject o;
  o.id = e.chip_id;
  o.type_code = e.type_code;
  o.provisioned = e.provisioned;
  o.bytes_loaded = false;
  auto kk = se05x::normalize_type(e.type_code);
  if (e.type_code == 0 || !kk.ok()) return o;  // kind Other: not shown
  o.kind = se05x::kind_of(kk->type);
  o.curve = kk->curve;
  if (se05x::is_ec(o.kind) && o.curve == se05x::Curve::None) o.curve = static_cast<se05x::Curve>(e.info & 0xFF);
  if (se05x::is_rsa(o.kind)) o.rsa_bits = e.info;
  if (o.kind == se05x::ObjectKind::Binary) {
    o.length = e.info;
    o.certificate = e.certificate;
  }
  // Nothing to read for a private-only key.
  if (o.kind == se05x::ObjectKind::EcPrivate) o.bytes_loaded = true;
  return o;
}

}  // namespace sx::token
