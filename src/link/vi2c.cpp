#include "link/vi2c.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "link/socket.h"
#include "link/vi2c_wire.h"

namespace sx::link {

namespace {

Status send_response(int fd, uint8_t status, std::span<const uint8_t> payload) {
  Bytes out;
  out.reserve(vi2c::kHeader + payload.size());
  out.push_back(status);
  put_u16(out, static_cast<uint16_t>(payload.size()));
  append(out, payload);
  return write_all(fd, out);
}

Status send_error(int fd, const Error& e) {
  std::string text = e.message.substr(0, vi2c::kMaxText);
  uint8_t st = e.code == Errc::Nack ? vi2c::ST_NACK : vi2c::ST_IO;
  return send_response(fd, st, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

// One thread each; a bus has few masters, so this only stops runaway clients.
constexpr size_t kMaxConnections = 64;

std::string addr_text(unsigned a) {
  static const char* d = "0123456789abcdef";
  return std::string("0x") + d[(a >> 4) & 0xF] + d[a & 0xF];
}

}  // namespace

Vi2cServer::Vi2cServer(I2cBus& bus, uint8_t address)
    : bus_(bus), address_(address), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Vi2cServer::~Vi2cServer() {
  stop();
  if (!path_.empty()) ::unlink(path_.c_str());
}

Status Vi2cServer::listen(const std::string& path) {
  SX_ASSIGN(listener_, unix_listen(path));
  path_ = path;
  return {};
}

Status Vi2cServer::start() {
  if (!listener_) return make_error(Errc::InvalidArgument, "vi2c-server: listen() first");
  if (!wake_) return make_error(Errc::Io, "vi2c-server: eventfd failed");
  if (acceptor_.joinable()) return make_error(Errc::InvalidArgument, "vi2c-server: already started");
  stopping_ = false;
  try {
    acceptor_ = std::thread([this] { accept_loop(); });
  } catch (const std::exception& e) {
    return make_error(Errc::Io, std::string("vi2c-server: cannot start thread: ") + e.what());
  }
  return {};
}

void Vi2cServer::stop() {
  stopping_ = true;
  if (wake_) {
    uint64_t one = 1;
    ssize_t n = ::write(wake_.get(), &one, sizeof one);
    (void)n;
  }
  if (acceptor_.joinable()) acceptor_.join();
  // New clients must fail at connect rather than wait in a dead backlog.
  listener_.reset();
  if (!path_.empty()) ::unlink(path_.c_str());
  path_.clear();
  std::list<Conn> conns;
  {
    std::lock_guard<std::mutex> g(conns_mu_);
    // shutdown() wakes a thread blocked in recv() without racing a close().
    for (auto& c : conns_) ::shutdown(c.fd.get(), SHUT_RDWR);
    conns.splice(conns.end(), conns_);
  }
  for (auto& c : conns)
    if (c.th.joinable()) c.th.join();
}

void Vi2cServer::accept_loop() {
  while (!stopping_.load()) {
    pollfd p[2] = {{wake_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
    int n = ::poll(p, 2, -1);
    if (n < 0) continue;  // EINTR
    if (stopping_.load()) break;
    if (!(p[1].revents & POLLIN)) continue;
    int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> g(conns_mu_);
    // Reap finished connections so a long-lived server does not accumulate threads.
    for (auto it = conns_.begin(); it != conns_.end();) {
      if (it->done) {
        it->th.join();
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
    if (conns_.size() >= kMaxConnections) {
      if (log) log("vi2c-server: too many connections, refusing one");
      ::close(fd);
      continue;
    }
    conns_.emplace_back();
    Conn& c = conns_.back();
    c.fd.reset(fd);
    try {
      c.th = std::thread([this, fd, &c] {
        serve(fd);
        // The peer sees EOF now; the fd itself is closed when reaped.
        ::shutdown(fd, SHUT_RDWR);
        std::lock_guard<std::mutex> g2(conns_mu_);
        c.done = true;
      });
    } catch (...) {
      conns_.pop_back();
    }
  }
}

void Vi2cServer::serve(int fd) {
  unsigned addr = vi2c::kDefaultAddr;
  std::vector<uint8_t> data;
  for (;;) {
    uint8_t h[vi2c::kHeader];
    if (!read_exact(fd, h)) return;
    uint8_t op = h[0];
    size_t arg = get_u16(ByteView(h), 1);
    Status s;
    if (op == vi2c::OP_SET_ADDR) {
      if (arg > 0x7F) {
        (void)send_response(fd, vi2c::ST_BAD, {});
        return;
      }
      addr = static_cast<unsigned>(arg);
      s = send_response(fd, vi2c::ST_OK, {});
    } else if (op == vi2c::OP_WRITE || op == vi2c::OP_READ) {
      if (arg == 0 || arg > vi2c::kMaxData) {
        (void)send_response(fd, vi2c::ST_BAD, {});
        return;
      }
      data.assign(arg, 0);
      if (op == vi2c::OP_WRITE && !read_exact(fd, data)) return;
      if (addr != address_) {
        s = send_error(fd, make_error(Errc::Nack, "vi2c: no device at address " + addr_text(addr)));
      } else {
        Status r;
        {
          std::lock_guard<std::mutex> g(bus_mu_);
          r = op == vi2c::OP_WRITE ? bus_.write(data) : bus_.read(data);
        }
        if (!r) s = send_error(fd, r.error());
        else s = send_response(fd, vi2c::ST_OK, op == vi2c::OP_READ ? std::span<const uint8_t>(data) : std::span<const uint8_t>());
      }
    } else {
      if (log) log("vi2c-server: bad request op " + addr_text(op));
      (void)send_response(fd, vi2c::ST_BAD, {});
      return;
    }
    if (!s) return;
  }
}

Result<std::unique_ptr<Vi2cClient>> Vi2cClient::connect(const std::string& path, uint8_t address, int timeout_ms) {
  if (address > 0x7F) return make_error(Errc::InvalidArgument, "vi2c: address " + addr_text(address) + " is not 7-bit");
  SX_ASSIGN(Fd fd, unix_connect(path));
  std::unique_ptr<Vi2cClient> c(new Vi2cClient(std::move(fd), path, timeout_ms));
  SX_TRY(c->request(vi2c::OP_SET_ADDR, address, {}, {}));
  return c;
}

Status Vi2cClient::request(uint8_t op, uint16_t arg, std::span<const uint8_t> data, std::span<uint8_t> out) {
  if (!fd_) return make_error(Errc::Closed, "vi2c: " + path_ + ": connection lost");
  auto fail = [&](Error e) -> Error {
    fd_.reset();  // the stream may be out of step now
    e.message = "vi2c: " + path_ + ": " + e.message;
    return e;
  };
  Bytes req{op};
  put_u16(req, arg);
  append(req, data);
  if (Status s = write_all(fd_.get(), req, timeout_ms_); !s) return fail(s.take_error());
  uint8_t h[vi2c::kHeader];
  if (Status s = read_exact(fd_.get(), h, timeout_ms_); !s) return fail(s.take_error());
  size_t len = get_u16(ByteView(h), 1);
  if (h[0] == vi2c::ST_OK) {
    if (len != out.size()) return fail(make_error(Errc::Protocol, "response length mismatch"));
    if (Status s = read_exact(fd_.get(), out, timeout_ms_); !s) return fail(s.take_error());
    return {};
  }
  if (len > vi2c::kMaxText) return fail(make_error(Errc::Protocol, "oversized error text"));
  std::string text(len, '\0');
  if (Status s = read_exact(fd_.get(), std::span(reinterpret_cast<uint8_t*>(text.data()), len), timeout_ms_); !s)
    return fail(s.take_error());
  if (h[0] == vi2c::ST_NACK) return make_error(Errc::Nack, text);
  if (h[0] == vi2c::ST_IO) return make_error(Errc::Io, text);
  return fail(make_error(Errc::Protocol, "server rejected the request"));
}

Status Vi2cClient::write(std::span<const uint8_t> data) {
  if (data.empty() || data.size() > vi2c::kMaxData)
    return make_error(Errc::InvalidArgument, "vi2c: write of " + std::to_string(data.size()) + " bytes");
  return request(vi2c::OP_WRITE, static_cast<uint16_t>(data.size()), data, {});
}

Status Vi2cClient::read(std::span<uint8_t> out) {
  if (out.empty() || out.size() > vi2c::kMaxData)
    return make_error(Errc::InvalidArgument, "vi2c: read of " + std::to_string(out.size()) + " bytes");
  return request(vi2c::OP_READ, static_cast<uint16_t>(out.size()), {}, out);
}

std::string Vi2cClient::describe() const { return "vi2c:" + path_; }

}  // namespace sx::link
