// Helper process for linux_i2c_preload_test: drives LinuxI2c (the real
// i2c-dev transport) while running under the vi2c LD_PRELOAD shim.
//   vi2c_probe DEVICE ADDR OP...   OP = w:HEX | r:N | raw
// Prints one line per OP: "ok", "ok HEX", or "err <Errc> <message>".
// "raw" checks plain libc pass-through and fd hygiene of the shim.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/bytes.h"
#include "link/endpoint.h"
#include "link/linux_i2c.h"

using namespace sx;

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  auto addr = link::parse_endpoint(std::string("i2c:") + argv[1] + ":" + argv[2]);
  if (!addr) {
    std::printf("err %s %s\n", errc_name(addr.error().code), addr.error().message.c_str());
    return 0;
  }
  auto bus = link::LinuxI2c::open(addr->path, addr->i2c_addr);
  if (!bus) {
    std::printf("open-err %s %s\n", errc_name(bus.error().code), bus.error().message.c_str());
    return 0;
  }
  std::printf("open %s\n", (*bus)->describe().c_str());
  for (int i = 3; i < argc; ++i) {
    std::string op = argv[i];
    Status s;
    std::string data;
    if (op.rfind("w:", 0) == 0) {
      s = (*bus)->write(sx::hex(op.substr(2)));
    } else if (op.rfind("r:", 0) == 0) {
      Bytes b(std::strtoul(op.c_str() + 2, nullptr, 10));
      s = (*bus)->read(b);
      if (s) data = " " + to_hex(b);
    } else if (op == "raw") {
      // Ordinary files must still work through the intercepted open/read/close.
      int fd = ::open("/proc/self/cmdline", O_RDONLY);
      char c = 0;
      bool ok = fd >= 0 && ::read(fd, &c, 1) == 1 && ::close(fd) == 0;
      if (!ok) s = make_error(Errc::Io, "pass-through failed");
    } else {
      return 2;
    }
    if (s) std::printf("ok%s\n", data.c_str());
    else std::printf("err %s %s\n", errc_name(s.error().code), s.error().message.c_str());
  }
  return 0;
}
