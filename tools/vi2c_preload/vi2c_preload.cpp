// LD_PRELOAD shim (test only): makes one i2c-dev device path reach a
// Vi2cServer, so the real LinuxI2c transport and unmodified programs that
// drive an SE050 through i2c-dev can talk to the simulator.
//
//   SX_VI2C_DEVICE  device path to emulate, e.g. /dev/i2c-1 (need not exist)
//   SX_VI2C_SOCKET  Unix socket of a Vi2cServer
//
// open() of that exact path returns a socket connected to the server; read(),
// write(), ioctl() and close() on it are translated (link/vi2c_wire.h). All
// other paths and fds go straight to libc. Both variables are read at every
// open(), so a test may set them after the process started.
//
// i2c-dev emulation: I2C_SLAVE/I2C_SLAVE_FORCE (7-bit only, else EINVAL) set
// the address on the server, which NACKs transactions to any address but its
// own; a NACK makes read()/write() return -1/ENXIO, as i2c-dev does. I2C_FUNCS
// reports I2C_FUNC_I2C only; I2C_PEC, I2C_TIMEOUT, I2C_RETRIES and
// I2C_TENBIT(0) succeed and do nothing; I2C_RDWR and I2C_SMBUS fail with
// EOPNOTSUPP; other requests with ENOTTY. Transfers over 4096 bytes: EINVAL.
// A lost server: EIO. open() without a reachable server: ENODEV.
//
// Deliberately free of the C++ runtime (no exceptions, no allocation) so it
// can run inside any process at any time.

// Plain 32-bit-offset prototypes: the shim defines open and open64 itself.
#undef _FORTIFY_SOURCE
#undef _TIME_BITS
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "link/vi2c_wire.h"

#define SX_EXPORT extern "C" __attribute__((visibility("default")))

namespace vi2c = sx::link::vi2c;

namespace {

using open_fn = int (*)(const char*, int, ...);
using openat_fn = int (*)(int, const char*, int, ...);
using close_fn = int (*)(int);
using read_fn = ssize_t (*)(int, void*, size_t);
using write_fn = ssize_t (*)(int, const void*, size_t);
using ioctl_fn = int (*)(int, unsigned long, ...);

template <class F>
F next_symbol(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

#define SX_REAL(type, name)                                            \
  static type real = nullptr;                                          \
  if (!real) real = next_symbol<type>(name);                           \
  if (!real) {                                                         \
    errno = ENOSYS;                                                    \
    return -1;                                                         \
  }

// Emulated fds, stored as fd+1 so the zero-initialised table means "empty".
constexpr int kSlots = 64;
std::atomic<int> g_fds[kSlots];
pthread_mutex_t g_io = PTHREAD_MUTEX_INITIALIZER;

bool tracked(int fd) {
  if (fd < 0) return false;
  for (auto& s : g_fds)
    if (s.load(std::memory_order_acquire) == fd + 1) return true;
  return false;
}

bool track(int fd) {
  for (auto& s : g_fds) {
    int expected = 0;
    if (s.compare_exchange_strong(expected, fd + 1)) return true;
  }
  return false;
}

void untrack(int fd) {
  for (auto& s : g_fds) {
    int expected = fd + 1;
    if (s.compare_exchange_strong(expected, 0)) return;
  }
}

ssize_t raw_read(int fd, void* buf, size_t n) {
  static read_fn real = nullptr;
  if (!real) real = next_symbol<read_fn>("read");
  return real ? real(fd, buf, n) : -1;
}

ssize_t raw_write(int fd, const void* buf, size_t n) {
  static write_fn real = nullptr;
  if (!real) real = next_symbol<write_fn>("write");
  return real ? real(fd, buf, n) : -1;
}

bool io_all(int fd, uint8_t* p, size_t n, bool reading) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = reading ? raw_read(fd, p + done, n - done)
                        : send(fd, p + done, n - done, MSG_NOSIGNAL);
    if (r > 0) {
      done += static_cast<size_t>(r);
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else {
      return false;
    }
  }
  return true;
}

// One vi2c transaction; returns 0 or -1 with errno set like i2c-dev would.
int transact(int fd, uint8_t op, size_t arg, const void* wdata, void* rdata) {
  uint8_t h[vi2c::kHeader] = {op, static_cast<uint8_t>(arg >> 8), static_cast<uint8_t>(arg)};
  pthread_mutex_lock(&g_io);
  bool ok = io_all(fd, h, sizeof h, false);
  if (ok && op == vi2c::OP_WRITE) ok = io_all(fd, static_cast<uint8_t*>(const_cast<void*>(wdata)), arg, false);
  uint8_t r[vi2c::kHeader];
  if (ok) ok = io_all(fd, r, sizeof r, true);
  size_t len = ok ? (size_t{r[1]} << 8 | r[2]) : 0;
  int result = 0;
  if (!ok) {
    errno = EIO;
    result = -1;
  } else if (r[0] == vi2c::ST_OK) {
    uint8_t sink[64];
    if (op == vi2c::OP_READ && len == arg) {
      ok = io_all(fd, static_cast<uint8_t*>(rdata), len, true);
    } else {
      for (size_t left = len; ok && left > 0; left -= (left < sizeof sink ? left : sizeof sink))
        ok = io_all(fd, sink, left < sizeof sink ? left : sizeof sink, true);
      if (op == vi2c::OP_READ) ok = false;
    }
    if (!ok) {
      errno = EIO;
      result = -1;
    }
  } else {
    uint8_t text[vi2c::kMaxText];
    if (len > sizeof text || !io_all(fd, text, len, true)) {
      errno = EIO;
    } else if (r[0] == vi2c::ST_NACK) {
      errno = ENXIO;  // what i2c-dev returns when the slave does not ACK
    } else if (r[0] == vi2c::ST_BAD) {
      errno = EINVAL;
    } else {
      errno = EIO;
    }
    result = -1;
  }
  pthread_mutex_unlock(&g_io);
  return result;
}

bool is_emulated_path(const char* path) {
  const char* dev = getenv("SX_VI2C_DEVICE");
  return path && dev && *dev && strcmp(path, dev) == 0;
}

int open_emulated() {
  const char* sock = getenv("SX_VI2C_SOCKET");
  sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  if (!sock || !*sock || strlen(sock) >= sizeof a.sun_path) {
    errno = ENODEV;
    return -1;
  }
  memcpy(a.sun_path, sock, strlen(sock));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || !track(fd)) {
    static close_fn real_close = nullptr;
    if (!real_close) real_close = next_symbol<close_fn>("close");
    if (real_close) real_close(fd);
    errno = ENODEV;  // no server: like a bus whose adapter is gone
    return -1;
  }
  return fd;
}

bool needs_mode(int flags) { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }

}  // namespace

SX_EXPORT int open(const char* path, int flags, ...) {
  if (is_emulated_path(path)) return open_emulated();
  SX_REAL(open_fn, "open");
  mode_t mode = 0;
  if (needs_mode(flags)) {
    va_list ap;
    va_start(ap, flags);
    mode = static_cast<mode_t>(va_arg(ap, unsigned int));
    va_end(ap);
  }
  return real(path, flags, mode);
}

SX_EXPORT int open64(const char* path, int flags, ...) {
  if (is_emulated_path(path)) return open_emulated();
  SX_REAL(open_fn, "open64");
  mode_t mode = 0;
  if (needs_mode(flags)) {
    va_list ap;
    va_start(ap, flags);
    mode = static_cast<mode_t>(va_arg(ap, unsigned int));
    va_end(ap);
  }
  return real(path, flags, mode);
}

SX_EXPORT int openat(int dirfd, const char* path, int flags, ...) {
  if (path[0] == '/' && is_emulated_path(path)) return open_emulated();
  SX_REAL(openat_fn, "openat");
  mode_t mode = 0;
  if (needs_mode(flags)) {
    va_list ap;
    va_start(ap, flags);
    mode = static_cast<mode_t>(va_arg(ap, unsigned int));
    va_end(ap);
  }
  return real(dirfd, path, flags, mode);
}

SX_EXPORT int openat64(int dirfd, const char* path, int flags, ...) {
  if (path[0] == '/' && is_emulated_path(path)) return open_emulated();
  SX_REAL(openat_fn, "openat64");
  mode_t mode = 0;
  if (needs_mode(flags)) {
    va_list ap;
    va_start(ap, flags);
    mode = static_cast<mode_t>(va_arg(ap, unsigned int));
    va_end(ap);
  }
  return real(dirfd, path, flags, mode);
}

// Fortified variants (_FORTIFY_SOURCE callers without a mode argument).
SX_EXPORT int __open_2(const char* path, int flags) {
  if (is_emulated_path(path)) return open_emulated();
  using fn = int (*)(const char*, int);
  SX_REAL(fn, "__open_2");
  return real(path, flags);
}

SX_EXPORT int __open64_2(const char* path, int flags) {
  if (is_emulated_path(path)) return open_emulated();
  using fn = int (*)(const char*, int);
  SX_REAL(fn, "__open64_2");
  return real(path, flags);
}

SX_EXPORT int __openat_2(int dirfd, const char* path, int flags) {
  if (path[0] == '/' && is_emulated_path(path)) return open_emulated();
  using fn = int (*)(int, const char*, int);
  SX_REAL(fn, "__openat_2");
  return real(dirfd, path, flags);
}

SX_EXPORT int __openat64_2(int dirfd, const char* path, int flags) {
  if (path[0] == '/' && is_emulated_path(path)) return open_emulated();
  using fn = int (*)(int, const char*, int);
  SX_REAL(fn, "__openat64_2");
  return real(dirfd, path, flags);
}

SX_EXPORT int close(int fd) {
  if (tracked(fd)) untrack(fd);
  SX_REAL(close_fn, "close");
  return real(fd);
}

namespace {
ssize_t emulated_read(int fd, void* buf, size_t n) {
  if (n == 0) return 0;
  if (n > vi2c::kMaxData) {
    errno = EINVAL;
    return -1;
  }
  if (transact(fd, vi2c::OP_READ, n, nullptr, buf) < 0) return -1;
  return static_cast<ssize_t>(n);
}
}  // namespace

SX_EXPORT ssize_t read(int fd, void* buf, size_t n) {
  if (tracked(fd)) return emulated_read(fd, buf, n);
  return raw_read(fd, buf, n);
}

SX_EXPORT ssize_t __read_chk(int fd, void* buf, size_t n, size_t buflen) {
  if (tracked(fd)) {
    if (n > buflen) abort();  // what glibc's checker does on overflow
    return emulated_read(fd, buf, n);
  }
  using fn = ssize_t (*)(int, void*, size_t, size_t);
  static fn real = nullptr;
  if (!real) real = next_symbol<fn>("__read_chk");
  if (!real) return raw_read(fd, buf, n);
  return real(fd, buf, n, buflen);
}

SX_EXPORT ssize_t write(int fd, const void* buf, size_t n) {
  if (!tracked(fd)) return raw_write(fd, buf, n);
  if (n == 0) return 0;
  if (n > vi2c::kMaxData) {
    errno = EINVAL;
    return -1;
  }
  if (transact(fd, vi2c::OP_WRITE, n, buf, nullptr) < 0) return -1;
  return static_cast<ssize_t>(n);
}

namespace {
int emulated_ioctl(int fd, unsigned long request, unsigned long arg) {
  switch (request) {
    case I2C_SLAVE:
    case I2C_SLAVE_FORCE:
      if (arg > 0x7F) {
        errno = EINVAL;
        return -1;
      }
      return transact(fd, vi2c::OP_SET_ADDR, arg, nullptr, nullptr);
    case I2C_FUNCS: {
      unsigned long funcs = I2C_FUNC_I2C;
      if (!arg) {
        errno = EFAULT;
        return -1;
      }
      memcpy(reinterpret_cast<void*>(arg), &funcs, sizeof funcs);
      return 0;
    }
    case I2C_PEC:
    case I2C_TIMEOUT:
    case I2C_RETRIES:
      return 0;
    case I2C_TENBIT:
      if (arg == 0) return 0;
      errno = EOPNOTSUPP;
      return -1;
    case I2C_RDWR:
    case I2C_SMBUS:
      errno = EOPNOTSUPP;
      return -1;
    default:
      errno = ENOTTY;
      return -1;
  }
}
}  // namespace

SX_EXPORT int ioctl(int fd, unsigned long request, ...) noexcept {
  va_list ap;
  va_start(ap, request);
  unsigned long arg = va_arg(ap, unsigned long);
  va_end(ap);
  if (tracked(fd)) return emulated_ioctl(fd, request, arg);
  SX_REAL(ioctl_fn, "ioctl");
  return real(fd, request, arg);
}

// 32-bit glibc >= 2.34 redirects ioctl here for programs built with
// _TIME_BITS=64 (e.g. Debian armhf from trixie on).
SX_EXPORT int __ioctl_time64(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  unsigned long arg = va_arg(ap, unsigned long);
  va_end(ap);
  if (tracked(fd)) return emulated_ioctl(fd, request, arg);
  SX_REAL(ioctl_fn, "__ioctl_time64");
  return real(fd, request, arg);
}
