#include "base/result.h"

#include <cstdio>

namespace sx {

const char* errc_name(Errc c) {
  switch (c) {
    case Errc::InvalidArgument: return "invalid argument";
    case Errc::Io: return "I/O error";
    case Errc::Nack: return "no acknowledge";
    case Errc::Timeout: return "timeout";
    case Errc::Protocol: return "protocol error";
    case Errc::Malformed: return "malformed response";
    case Errc::LinkReset: return "link reset";
    case Errc::Closed: return "closed";
    case Errc::StatusWord: return "status word";
    case Errc::NotFound: return "not found";
    case Errc::Exists: return "already exists";
    case Errc::NoMemory: return "memory full";
    case Errc::Unsupported: return "unsupported";
    case Errc::Crypto: return "crypto failure";
    case Errc::PowerCut: return "power cut";
    case Errc::PinIncorrect: return "PIN incorrect";
    case Errc::PinLocked: return "PIN locked";
    case Errc::NotLoggedIn: return "not logged in";
    case Errc::AccessDenied: return "access denied";
    case Errc::Busy: return "busy";
    case Errc::SecureChannel: return "secure channel failure";
    case Errc::Internal: return "internal error";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string s = errc_name(code);
  if (sw != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, " (SW %04X)", sw);
    s += buf;
  }
  if (tries_left >= 0) s += " (" + std::to_string(tries_left) + (tries_left == 1 ? " try left)" : " tries left)");
  if (!message.empty()) s += ": " + message;
  return s;
}

bool is_link_failure(Errc c) {
  switch (c) {
    case Errc::Io:
    case Errc::Nack:
    case Errc::Timeout:
    case Errc::Protocol:
    case Errc::LinkReset:
    case Errc::Closed:
    case Errc::PowerCut:
    case Errc::SecureChannel: return true;
    default: return false;
  }
}

}  // namespace sx
