// Errors as values across layers: every fallible call returns Result<T>.
// No exception crosses a layer boundary (and none may cross the PKCS#11 C ABI).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace sx {

enum class Errc {
  InvalidArgument,  // caller passed something malformed
  Io,               // OS-level failure (open/read/write/socket)
  Nack,             // I2C slave did not acknowledge (chip busy)
  Timeout,          // nothing arrived in time
  Protocol,         // peer violated the framing protocol (T=1, JRCP)
  Malformed,        // a response could not be parsed (bad TLV, bad length)
  LinkReset,        // the chip was reset during an exchange; see Error::retry_safe
  Closed,           // the link is closed / peer went away
  StatusWord,       // the applet answered with a non-9000 status word (Error::sw)
  NotFound,         // object or resource does not exist
  Exists,           // object already exists
  NoMemory,         // chip memory full
  Unsupported,      // not supported by this variant / this build
  Crypto,           // a cryptographic operation failed
  PowerCut,         // simulated power loss (fault injection)
  PinIncorrect,     // the chip refused the PIN (UserID); Error::tries_left when known
  PinLocked,        // the chip's attempt counter reached its maximum: the PIN is blocked
  NotLoggedIn,      // no user session (never opened, or lost and not re-established)
  AccessDenied,     // the chip's object policy refused the command (SW 6986 in Error::sw)
  Busy,             // the chip opens no session now: both slots taken, or one is open on this auth object
  SecureChannel,    // PlatformSCP03 failed: wrong keys, a bad MAC either way, or the card dropped the channel
  Internal,         // a bug: state that should be impossible
};

const char* errc_name(Errc c);

// The link or the secure channel failed, not the chip's judgement of the
// command: the one list of such codes (a PIN may still be right, a command may
// be tried again after the link recovers). Malformed answers are not in it:
// callers that also distrust those say so themselves.
bool is_link_failure(Errc c);

struct Error {
  Errc code = Errc::Internal;
  std::string message;
  uint16_t sw = 0;          // status word when code == StatusWord (or a typed mapping of one)
  bool retry_safe = false;  // LinkReset: the command never reached the applet, resending is safe
  int tries_left = -1;      // PinIncorrect / PinLocked: PIN tries the chip still allows; -1 unknown or unlimited

  std::string to_string() const;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message), 0, false}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error e) : v_(std::move(e)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }
  Error&& take_error() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }
  Error&& take_error() { return std::move(err_); }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace sx

// Propagate an error from a Result-returning expression.
#define SX_TRY(expr)                                   \
  do {                                                 \
    auto sx_try_r_ = (expr);                           \
    if (!sx_try_r_.ok()) return sx_try_r_.take_error(); \
  } while (0)

#define SX_CONCAT_INNER_(a, b) a##b
#define SX_CONCAT_(a, b) SX_CONCAT_INNER_(a, b)
// SX_ASSIGN(auto x, expr): assigns the value or returns the error.
#define SX_ASSIGN(decl, expr)                                             \
  auto SX_CONCAT_(sx_assign_r_, __LINE__) = (expr);                       \
  if (!SX_CONCAT_(sx_assign_r_, __LINE__).ok())                           \
    return SX_CONCAT_(sx_assign_r_, __LINE__).take_error();               \
  decl = std::move(SX_CONCAT_(sx_assign_r_, __LINE__)).value()
