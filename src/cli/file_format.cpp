#include "cli/file_format.h"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "crypto/libctx.h"
#include "crypto/ossl.h"
#include "crypto/x509_fields.h"

namespace sx::cli {
namespace {

using ossl::BioPtr;

BioPtr mem_bio(ByteView b) {
  return BioPtr(BIO_new_mem_buf(b.data(), static_cast<int>(b.size())));
}

Error malformed(std::string m) {
  ERR_clear_error();
  return make_error(Errc::Malformed, std::move(m));
}
Error wrong_password() {
  ERR_clear_error();
  return make_error(Errc::Crypto, "wrong password (or the file is corrupt)");
}

bool contains(ByteView data, std::string_view what) {
  const std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
  return s.find(what) != std::string_view::npos;
}

struct PwState {
  const PasswordFn* fn;
  std::optional<Error> err;
  bool asked = false;
  std::string pw;
};

int pem_pw_cb(char* buf, int size, int, void* u) {
  auto* st = static_cast<PwState*>(u);
  if (!st->asked) {
    st->asked = true;
    auto r = (*st->fn)();
    if (!r) { st->err = r.error(); return -1; }
    st->pw = std::move(*r);
  }
  if (st->pw.size() > static_cast<size_t>(size)) return -1;
  std::memcpy(buf, st->pw.data(), st->pw.size());
  return static_cast<int>(st->pw.size());
}

// EVP_PKEY -> PKCS#8 DER -> the token's parser (the one the module uses).
Result<token::PrivateKeyMaterial> to_material(EVP_PKEY* k) {
  ossl::P8 p8(EVP_PKEY2PKCS8(k));
  if (!p8) return malformed("the key cannot be converted to PKCS#8");
  Bytes b = ossl::der_of(p8.get(), i2d_PKCS8_PRIV_KEY_INFO);
  if (b.empty()) return malformed("the key cannot be encoded");
  auto m = token::parse_private_key_der(b);
  secure_wipe(b);
  if (!m) return make_error(Errc::InvalidArgument, "key not supported by the SE05x: " + m.error().message);
  return std::move(*m);
}

Result<LoadedKey> finish(ossl::Pkey k, std::optional<Bytes> cert) {
  SX_ASSIGN(auto m, to_material(k.get()));
  LoadedKey out;
  out.pkey = std::move(k);
  out.material = std::move(m);
  out.cert_der = std::move(cert);
  return out;
}

Result<LoadedKey> load_pkcs12(ByteView data, const PasswordFn& password) {
  const unsigned char* p = data.data();
  ossl::P12 p12(d2i_PKCS12(nullptr, &p, static_cast<long>(data.size())));
  if (!p12) return malformed("corrupt PKCS#12 file");
  std::string pw;
  // A PFX without a password MAC (rare) opens with an empty password.
  if (PKCS12_mac_present(p12.get())) {
    if (PKCS12_verify_mac(p12.get(), "", 0) != 1 && PKCS12_verify_mac(p12.get(), nullptr, 0) != 1) {
      SX_ASSIGN(pw, password());
      if (PKCS12_verify_mac(p12.get(), pw.c_str(), static_cast<int>(pw.size())) != 1) {
        secure_wipe(pw.data(), pw.size());
        return wrong_password();
      }
    }
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  const int ok = PKCS12_parse(p12.get(), pw.c_str(), &key, &cert, &ca);
  secure_wipe(pw.data(), pw.size());
  ossl::Pkey k(key);
  ossl::X509Ptr c(cert);
  sk_X509_pop_free(ca, X509_free);
  if (ok != 1) return malformed("the PKCS#12 file cannot be decoded");
  if (!k) return malformed("the PKCS#12 file holds no private key");
  std::optional<Bytes> cder;
  if (Bytes der = ossl::der_of(c.get(), i2d_X509); !der.empty()) cder = std::move(der);
  return finish(std::move(k), std::move(cder));
}

Result<LoadedKey> load_pem_key(ByteView data, const PasswordFn& password) {
  auto bio = mem_bio(data);
  PwState st{&password, std::nullopt, false, {}};
  ossl::Pkey k(PEM_read_bio_PrivateKey_ex(bio.get(), nullptr, pem_pw_cb, &st, crypto::libctx(), crypto::kPropq));
  secure_wipe(st.pw.data(), st.pw.size());
  if (st.err) return *st.err;
  if (!k) {
    if (st.asked) return wrong_password();
    return malformed("no readable private key in the PEM file");
  }
  return finish(std::move(k), std::nullopt);
}

Result<LoadedKey> load_der_key(ByteView data, const PasswordFn& password) {
  const unsigned char* p = data.data();
  ossl::Pkey k(d2i_AutoPrivateKey_ex(nullptr, &p, static_cast<long>(data.size()), crypto::libctx(), crypto::kPropq));
  if (k && p == data.data() + data.size()) return finish(std::move(k), std::nullopt);
  k.reset();
  ERR_clear_error();
  // Encrypted PKCS#8 (EncryptedPrivateKeyInfo).
  p = data.data();
  ossl::X509Sig sig(d2i_X509_SIG(nullptr, &p, static_cast<long>(data.size())));
  if (!sig || p != data.data() + data.size()) return malformed("not a private key (DER)");
  SX_ASSIGN(std::string pw, password());
  ossl::P8 p8(PKCS8_decrypt_ex(sig.get(), pw.c_str(), static_cast<int>(pw.size()), crypto::libctx(), crypto::kPropq));
  secure_wipe(pw.data(), pw.size());
  if (!p8) return wrong_password();
  k.reset(EVP_PKCS82PKEY_ex(p8.get(), crypto::libctx(), crypto::kPropq));
  if (!k) return malformed("the decrypted key cannot be decoded");
  return finish(std::move(k), std::nullopt);
}

}  // namespace

FileFormat detect_format(ByteView data) {
  if (contains(data, "-----BEGIN ")) return FileFormat::Pem;
  if (data.size() < 2 || data[0] != 0x30) return FileFormat::Unknown;
  const unsigned char* p = data.data();
  ossl::P12 p12(d2i_PKCS12(nullptr, &p, static_cast<long>(data.size())));
  ERR_clear_error();
  if (p12 && p == data.data() + data.size()) return FileFormat::Pkcs12;
  return FileFormat::Der;
}

Result<Bytes> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::Io, "cannot open " + path + ": " + std::strerror(errno));
  Bytes out;
  uint8_t buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      return make_error(Errc::Io, "cannot read " + path + ": " + std::strerror(e));
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
    if (out.size() > (1u << 20)) {
      ::close(fd);
      secure_wipe(out);
      return make_error(Errc::Io, path + " is larger than 1 MiB");
    }
  }
  ::close(fd);
  secure_wipe(buf, sizeof buf);
  if (out.empty()) return make_error(Errc::Io, path + " is empty");
  return out;
}

Status write_file(const std::string& path, ByteView data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(Errc::Io, "cannot create " + path + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      return make_error(Errc::Io, "cannot write " + path + ": " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return make_error(Errc::Io, "cannot write " + path + ": " + std::strerror(errno));
  return {};
}

Result<ossl::X509Ptr> x509_from_der(ByteView der) {
  auto x = crypto::x509_from_der(der);
  if (!x) return malformed("not an X.509 certificate");
  return std::move(*x);
}

Result<Bytes> load_certificate(ByteView data) {
  const FileFormat f = detect_format(data);
  if (f == FileFormat::Pem) {
    auto bio = mem_bio(data);
    ossl::X509Ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!x) return malformed("no readable CERTIFICATE block in the PEM file");
    Bytes out = ossl::der_of(x.get(), i2d_X509);
    if (out.empty()) return malformed("the certificate cannot be encoded");
    return out;
  }
  if (f == FileFormat::Der) {
    SX_TRY(x509_from_der(data));
    return Bytes(data.begin(), data.end());
  }
  if (f == FileFormat::Pkcs12) return malformed("a PKCS#12 file; use `se05x import --key FILE.p12`");
  return malformed("neither PEM nor DER");
}

std::string pem_certificate(ByteView der) {
  auto x = x509_from_der(der);
  if (!x) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), x->get());
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &p);
  return std::string(p, static_cast<size_t>(n));
}

Result<LoadedKey> load_private_key(ByteView data, const PasswordFn& password) {
  switch (detect_format(data)) {
    case FileFormat::Pem: return load_pem_key(data, password);
    case FileFormat::Pkcs12: return load_pkcs12(data, password);
    case FileFormat::Der: return load_der_key(data, password);
    default: return malformed("neither PEM, DER nor PKCS#12");
  }
}

}  // namespace sx::cli
