#include "pkcs11/chip.h"

#include <cctype>

#include "base/bytes.h"
#include "link/endpoint.h"
#include "pkcs11/log.h"
#include "se05x/connect.h"
#include "se05x/constants.h"

namespace sx::p11 {

namespace {

// AppletConfig bits (protocol notes 4.1): 0x0002 EC, 0x0020 RSA_PLAIN, 0x0040 RSA_CRT.
token::ChipCapabilities capabilities(const se05x::VersionInfo& v) {
  token::ChipCapabilities c;
  if (v.applet_config != 0) {
    c.rsa = (v.applet_config & 0x0060) != 0;
    c.ecdh = (v.applet_config & 0x0002) != 0;
  }
  return c;
}

}  // namespace

Chip::~Chip() {
  token_.reset();
  if (channel_) (void)channel_->close();
}

void Chip::reset() {
  if (!token_ && !channel_) return;
  log_warn("SE05x link reset after a device error; reopening on next use");
  token_.reset();
  if (channel_) (void)channel_->close();
  channel_.reset();
}

void Chip::abandon() {
  (void)token_.release();
  (void)channel_.release();
}

CK_RV Chip::ensure() {
  if (token_) return CKR_OK;
  const std::string conn = cfg_.port.empty() ? se05x::default_connection() : cfg_.port;
  auto fail = [&](const std::string& why) {
    if (!failing_) log_error("SE05x at '" + conn + "' not reachable: " + why);
    failing_ = true;
    token_.reset();
    channel_.reset();
    return CKR_DEVICE_ERROR;
  };
  auto ch = se05x::open_channel(conn);
  if (!ch) return fail(ch.error().to_string());
  channel_ = std::move(*ch);
  token::TokenOptions opt;
  // A broker (JRCP over TCP or a Unix socket) passes each APDU whole and alone
  // and serialises its clients: no lock file there. Only where this process
  // drives the I2C bus itself (i2c:, and vi2c:, the simulator's model of the
  // same bus) must other processes' frames be kept out with the lock file.
  if (auto ep = link::parse_endpoint(conn); ep.ok()) {
    const bool broker = ep->kind == link::Endpoint::Kind::JrcpTcp || ep->kind == link::Endpoint::Kind::JrcpUnix;
    opt.atomic_apdus = broker;
    if (!broker) opt.lock_path = cfg_.lock_file;
  }
  opt.lock_wait = std::chrono::milliseconds(cfg_.lock_wait_ms);
  opt.pin_iterations = cfg_.pin_iterations;
  auto tok = token::Token::open(*channel_, opt);
  if (!tok) return fail(tok.error().to_string());
  token_ = std::move(*tok);

  ChipFacts f;
  if (const auto& v = token_->client().applet_version()) {
    f.applet_major = v->major;
    f.applet_minor = v->minor;
    f.securebox = v->securebox;
    f.caps = capabilities(*v);
    f.model = v->major >= 7 ? "SE050E" : "SE050";
  } else {
    f.model = "SE050";
  }
  // The unique ID's last 8 bytes carry the per-die part; they fill the 16-char serial.
  auto uid = token_->client().read_object(se05x::objid::kUniqueId);
  if (uid && uid->size() >= 8) {
    f.serial = to_hex(ByteView(*uid).subspan(uid->size() - 8));
    for (char& ch2 : f.serial) ch2 = static_cast<char>(std::toupper(static_cast<unsigned char>(ch2)));
  } else {
    log_warn("unique ID (0x7FFF0206) not readable; token serial left blank");
  }
  facts_ = f;
  if (failing_) log_info("SE05x at '" + conn + "' reachable again");
  failing_ = false;
  log_info("opened SE05x at '" + conn + "' (" + channel_->describe() + "), applet " +
           std::to_string(f.applet_major) + "." + std::to_string(f.applet_minor));
  return CKR_OK;
}

CK_RV rv_from_error(const Error& e, const char* what, CK_RV invalid) {
  CK_RV rv = CKR_DEVICE_ERROR;
  switch (e.code) {
    case Errc::Exists:
    case Errc::InvalidArgument:
      rv = invalid;
      break;
    case Errc::NoMemory:
      rv = CKR_DEVICE_MEMORY;
      break;
    case Errc::Unsupported:
      rv = CKR_ACTION_PROHIBITED;
      break;
    case Errc::NotFound:
      rv = CKR_OBJECT_HANDLE_INVALID;
      break;
    default:
      break;
  }
  log_line(rv == CKR_DEVICE_ERROR ? LogLevel::Error : LogLevel::Info, std::string(what) + ": " + e.to_string());
  return rv;
}

}  // namespace sx::p11
