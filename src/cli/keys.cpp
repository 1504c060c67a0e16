#include "cli/keys.h"

#include <openssl/pem.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <ctime>

#include "crypto/libctx.h"
#include "crypto/ossl.h"
#include "crypto/public_key.h"
#include "crypto/x509_fields.h"
#include "cli/file_format.h"
#include "cli/printable.h"
#include "se05x/public_key.h"
#include "token/mech/ecdsa_codec.h"
#include "token/mech/key_ref.h"
#include "token/mech/mechanism_table.h"
#include "token/mech/sign_operation.h"

namespace sx::cli {
namespace {

std::string bio_text(BIO* b) {
  char* p = nullptr;
  const long n = BIO_get_mem_data(b, &p);
  return n > 0 ? std::string(p, static_cast<size_t>(n)) : std::string();
}

}  // namespace

Result<ossl::Pkey> object_public_key(const token::Object& o) {
  if (o.key_type == token::KeyType::Ec) return se05x::ec_public_key(o.curve, o.ec_point);
  if (o.key_type == token::KeyType::Rsa) return crypto::rsa_public_key(o.modulus, o.public_exponent);
  return make_error(Errc::InvalidArgument, "object " + printable(o.label) + " is not a key");
}

Result<ossl::Pkey> cert_public_key(ByteView cert_der) {
  SX_ASSIGN(auto x, x509_from_der(cert_der));
  ossl::Pkey k(X509_get_pubkey(x.get()));
  if (!k) return ossl::crypto_error("certificate public key");
  return k;
}

bool same_public_key(const EVP_PKEY* a, const EVP_PKEY* b) {
  const bool eq = EVP_PKEY_eq(a, b) == 1;
  ERR_clear_error();
  return eq;
}

Result<Bytes> public_key_spki(const token::Object& o) {
  SX_ASSIGN(auto k, object_public_key(o));
  return crypto::spki_der(k.get());
}

std::string object_key_type(const token::Object& o) {
  if (o.key_type == token::KeyType::Rsa) return "rsa:" + std::to_string(o.modulus_bits);
  if (o.key_type != token::KeyType::Ec) return "";
  switch (o.curve) {
    case se05x::Curve::NistP256: return "ec:p256";
    case se05x::Curve::NistP384: return "ec:p384";
    case se05x::Curve::NistP521: return "ec:p521";
    default: return "ec:other";
  }
}

Result<Bytes> make_csr(token::Token& tok, const token::Object& priv, ByteView subject_der) {
  SX_ASSIGN(auto pub, object_public_key(priv));
  ossl::X509Req req(X509_REQ_new_ex(crypto::libctx(), crypto::kPropq));
  if (!req) return ossl::crypto_error("X509_REQ_new");
  const unsigned char* sp = subject_der.data();
  ossl::X509NamePtr name(d2i_X509_NAME(nullptr, &sp, static_cast<long>(subject_der.size())));
  if (!name) return ossl::crypto_error("subject");
  if (X509_REQ_set_version(req.get(), 0) != 1 || X509_REQ_set_subject_name(req.get(), name.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), pub.get()) != 1)
    return ossl::crypto_error("building the request");

  // Hash matched to the key's strength (what CAs expect).
  CK_MECHANISM_TYPE mech = CKM_SHA256_RSA_PKCS;
  int sig_nid = NID_sha256WithRSAEncryption;
  token::KeyRef key;
  if (priv.key_type == token::KeyType::Ec) {
    mech = priv.curve == se05x::Curve::NistP384 ? CKM_ECDSA_SHA384
           : priv.curve == se05x::Curve::NistP521 ? CKM_ECDSA_SHA512 : CKM_ECDSA_SHA256;
    sig_nid = mech == CKM_ECDSA_SHA384 ? NID_ecdsa_with_SHA384
              : mech == CKM_ECDSA_SHA512 ? NID_ecdsa_with_SHA512 : NID_ecdsa_with_SHA256;
    SX_ASSIGN(key, token::make_ec_key_ref(priv.chip_id, priv.curve, priv.ec_point));
  } else {
    SX_ASSIGN(key, token::make_rsa_key_ref(priv.chip_id, priv.modulus, priv.public_exponent));
  }
  ossl::X509Algor alg(X509_ALGOR_new());
  if (!alg || X509_ALGOR_set0(alg.get(), OBJ_nid2obj(sig_nid),
                              priv.key_type == token::KeyType::Rsa ? V_ASN1_NULL : V_ASN1_UNDEF, nullptr) != 1 ||
      X509_REQ_set1_signature_algo(req.get(), alg.get()) != 1)
    return ossl::crypto_error("signature algorithm");

  const Bytes tbs = ossl::der_of(req.get(), i2d_re_X509_REQ_tbs);
  if (tbs.empty()) return ossl::crypto_error("encoding the request");

  token::ChipCapabilities caps;
  if (const auto& v = tok.client().applet_version(); v) caps = token::capabilities_from_version(*v);
  token::SignOperation op;
  CK_MECHANISM m{mech, nullptr, 0};
  if (const CK_RV rv = op.init(caps, m, key); rv != CKR_OK)
    return make_error(Errc::Unsupported, "the chip cannot sign with this key (CK_RV " + std::to_string(rv) + ")");
  Bytes sig;
  {
    SX_ASSIGN(auto lock, tok.hold());
    if (const CK_RV rv = op.sign(tok.client(), tbs, sig); rv != CKR_OK)
      return make_error(Errc::Crypto, "the chip did not sign the request (CK_RV " + std::to_string(rv) + ")");
  }
  if (priv.key_type == token::KeyType::Ec) {
    Bytes der;
    if (!token::ecdsa_raw_to_der(sig, der)) return make_error(Errc::Crypto, "bad ECDSA signature from the chip");
    sig = std::move(der);
  }
  ASN1_BIT_STRING* bs = ASN1_BIT_STRING_new();
  if (bs == nullptr || ASN1_BIT_STRING_set(bs, sig.data(), static_cast<int>(sig.size())) != 1) {
    ASN1_BIT_STRING_free(bs);
    return ossl::crypto_error("signature");
  }
  bs->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
  bs->flags |= ASN1_STRING_FLAG_BITS_LEFT;
  X509_REQ_set0_signature(req.get(), bs);
  if (X509_REQ_verify_ex(req.get(), pub.get(), crypto::libctx(), crypto::kPropq) != 1)
    return ossl::crypto_error("the signed request does not verify");

  Bytes der = ossl::der_of(req.get(), i2d_X509_REQ);
  if (der.empty()) return ossl::crypto_error("encoding the request");
  return der;
}

std::string pem_csr(ByteView der) {
  const unsigned char* p = der.data();
  ossl::X509Req req(reinterpret_cast<X509_REQ*>(ASN1_item_d2i_ex(nullptr, &p, static_cast<long>(der.size()),
                                                                 ASN1_ITEM_rptr(X509_REQ), crypto::libctx(),
                                                                 crypto::kPropq)));
  if (!req) return {};
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  return bio_text(bio.get());
}

std::string pem_public_key(ByteView spki_der) {
  auto key = crypto::public_key_from_spki(spki_der);
  if (!key) return {};
  const ossl::Pkey& k = *key;
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), k.get());
  return bio_text(bio.get());
}

namespace {

std::string asn1_time_text(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm) == 0) return "?";
  return buf;
}

}  // namespace

std::string cert_validity_warning(ByteView cert_der) {
  auto cert = crypto::x509_from_der(cert_der);
  if (!cert) return "";
  const ossl::X509Ptr& x = *cert;
  const ASN1_TIME* nb = X509_get0_notBefore(x.get());
  const ASN1_TIME* na = X509_get0_notAfter(x.get());
  // X509_cmp_current_time: -1 earlier than now, 1 later, 0 unreadable.
  if (na != nullptr && X509_cmp_current_time(na) < 0) return "the certificate expired on " + asn1_time_text(na);
  if (nb != nullptr && X509_cmp_current_time(nb) > 0) return "the certificate is not valid before " + asn1_time_text(nb);
  return "";
}

}  // namespace sx::cli
