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

Result<ChipObject> describe_object(se05x::Client& c, uint32_t id, bool applet7) {
  ChipObject o;
  o.id = id;
  auto type = c.read_type(id);
  if (!soft_fail(type, o, "ReadType")) return type.take_error();
  if (!type.ok()) return o;  // kind Other: not shown
  o.type_code = type->type;
  auto kk = se05x::normalize_type(type->type);
  if (!kk.ok()) {
    o.problem += "unknown type code; ";
    return o;
  }
  o.kind = se05x::kind_of(kk->type);
  o.curve = kk->curve;
  switch (o.kind) {
    case se05x::ObjectKind::EcPair:
    case se05x::ObjectKind::EcPrivate:
    case se05x::ObjectKind::EcPublic: {
      if (o.curve == se05x::Curve::None && !applet7) {
        auto cv = c.get_ec_curve_id(id);
        if (!soft_fail(cv, o, "GetECCurveId")) return cv.take_error();
        if (cv.ok()) o.curve = *cv;
      }
      if (o.kind != se05x::ObjectKind::EcPrivate) {
        auto pub = c.read_object(id);
        if (!soft_fail(pub, o, "ReadObject")) return pub.take_error();
        if (pub.ok()) o.public_point = std::move(*pub);
      }
      break;
    }
    case se05x::ObjectKind::RsaPair:
    case se05x::ObjectKind::RsaPrivate:
    case se05x::ObjectKind::RsaPublic: {
      auto n = c.read_rsa_component(id, se05x::RsaComponent::Modulus);
      if (!soft_fail(n, o, "read modulus")) return n.take_error();
      if (n.ok()) o.modulus = std::move(*n);
      auto e = c.read_rsa_component(id, se05x::RsaComponent::PublicExponent);
      if (!soft_fail(e, o, "read exponent")) return e.take_error();
      if (e.ok()) o.public_exponent = std::move(*e);
      break;
    }
    case se05x::ObjectKind::Binary: {
      auto v = c.read_binary(id);
      if (!soft_fail(v, o, "read file")) return v.take_error();
      if (v.ok()) {
        o.value = std::move(*v);
        if (auto x = crypto::parse_x509(o.value); x.ok()) o.cert = std::move(*x);
      }
      break;
    }
    default: break;
  }
  return o;
}

}  // namespace sx::token
