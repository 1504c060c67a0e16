// se05x-demo: one scripted session through the whole host stack (the README's main job).
#include <CLI/CLI.hpp>
#include <iostream>

#include "demo/session.h"
#include "link/endpoint.h"
#include "se05x/connect.h"

int main(int argc, char** argv) {
  CLI::App app{"se05x-demo — select the SE05x applet, generate a P-256 key inside the chip, sign,\n"
               "verify with OpenSSL, store and read back a certificate, list the chip's objects."};
  std::string port = sx::link::default_connection();
  sx::demo::SessionOptions opt;
  app.add_option("--port,-p", port,
                 "connection: i2c:/dev/i2c-1:0x48, jrcp:HOST:PORT, unix:PATH, vi2c:PATH "
                 "(default: $SE05X_PORT, $EX_SSS_BOOT_SSS_PORT, the se05xd socket if present, " +
                     std::string(sx::link::kDefaultEndpoint) + ")")
      ->capture_default_str();
  app.add_option("--key-id", opt.key_id, "object ID for the demo key")->capture_default_str();
  app.add_option("--cert-id", opt.cert_id, "object ID for the demo certificate")->capture_default_str();
  app.add_flag("--keep", opt.keep, "leave the demo key and certificate on the chip");
  CLI11_PARSE(app, argc, argv);

  std::cout << "se05x-demo: a scripted session through the host stack\n";
  auto ch = sx::se05x::open_channel(port);
  if (!ch.ok()) {
    std::cerr << "se05x-demo: cannot open " << port << ": " << ch.error().to_string() << "\n";
    return 1;
  }
  int rc = sx::demo::run_session(**ch, port, opt, std::cout);
  (void)(*ch)->close();
  std::cout << (rc == 0 ? "se05x-demo: all steps succeeded\n" : "se05x-demo: stopped at the failed step\n");
  return rc;
}
