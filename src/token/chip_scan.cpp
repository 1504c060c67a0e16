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

ChipKind kind_of(se05x::ObjectType t) {
  using T = se05x::ObjectType;
  switch (t) {
    case T::EcKeyPair: return ChipKind::EcPair;
    case T::EcPrivate: return ChipKind::EcPrivate;
    case T::EcPublic: return ChipKind::EcPublic;
    case T::RsaKeyPair:
    case T::RsaKeyPairCrt: return ChipKind::RsaPair;
    case T::RsaPrivate:
    case T::RsaPrivateCrt: return ChipKind::RsaPrivate;
    case T::RsaPublic: return ChipKind::RsaPublic;
    case T::BinaryFile: return ChipKind::Data;
    default: return ChipKind::Other;
  }
}

}  // namespace

const char* chip_kind_name(ChipKind k) {
  switch (k) {
    case ChipKind::EcPair: return "EC key pair";
    case ChipKind::EcPrivate: return "EC private key";
    case ChipKind::EcPublic: return "EC public key";
    case ChipKind::RsaPair: return "RSA key pair";
    case ChipKind::RsaPrivate: return "RSA private key";
    case ChipKind::RsaPublic: return "RSA public key";
    case ChipKind::Certificate: return "certificate";
    case ChipKind::Data: return "binary file";
    case ChipKind::Other: return "other";
  }
  return "?";
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
  o.kind = kind_of(kk->type);
  o.curve = kk->curve;
  switch (o.kind) {
    case ChipKind::EcPair:
    case ChipKind::EcPrivate:
    case ChipKind::EcPublic: {
      if (o.curve == se05x::Curve::None && !applet7) {
        auto cv = c.get_ec_curve_id(id);
        if (!soft_fail(cv, o, "GetECCurveId")) return cv.take_error();
        if (cv.ok()) o.curve = *cv;
      }
      if (o.kind != ChipKind::EcPrivate) {
        auto pub = c.read_object(id);
        if (!soft_fail(pub, o, "ReadObject")) return pub.take_error();
        if (pub.ok()) o.public_point = std::move(*pub);
      }
      break;
    }
    case ChipKind::RsaPair:
    case ChipKind::RsaPrivate:
    case ChipKind::RsaPublic: {
      auto n = c.read_rsa_component(id, se05x::RsaComponent::Modulus);
      if (!soft_fail(n, o, "read modulus")) return n.take_error();
      if (n.ok()) o.modulus = std::move(*n);
      auto e = c.read_rsa_component(id, se05x::RsaComponent::PublicExponent);
      if (!soft_fail(e, o, "read exponent")) return e.take_error();
      if (e.ok()) o.public_exponent = std::move(*e);
      break;
    }
    case ChipKind::Data: {
      auto v = c.read_binary(id);
      if (!soft_fail(v, o, "read file")) return v.take_error();
      if (v.ok()) {
        o.value = std::move(*v);
        if (auto x = crypto::parse_x509(o.value); x.ok()) o.cert = std::move(*x);
        if (o.cert) o.kind = ChipKind::Certificate;
      }
      break;
    }
    default: break;
  }
  return o;
}

}  // namespace sx::token
