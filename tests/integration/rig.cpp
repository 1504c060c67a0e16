#include "integration/rig.h"

#include <cstdlib>
#include <cstring>

#include "se05x/connect.h"
#include "support/test_binary.h"

#ifdef SX_VI2C_PRELOAD
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <vector>

namespace {
// LD_PRELOAD only takes effect at exec: re-execute this test binary with the shim
// before anything runs, so CTest needs no per-test environment.
struct PreloadSelf {
  PreloadSelf() {
    const char* cur = std::getenv("LD_PRELOAD");
    if (cur && std::strstr(cur, "vi2c_preload")) return;
    ::setenv("LD_PRELOAD", SX_VI2C_PRELOAD, 1);
    // Under AddressSanitizer the shim must not be refused for preceding the ASan runtime.
    std::string asan = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
    ::setenv("ASAN_OPTIONS", (asan.empty() ? asan : asan + ":").append("verify_asan_link_order=0").c_str(), 1);
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> args;
    for (size_t p = 0; p < all.size();) {
      size_t e = all.find('\0', p);
      if (e == std::string::npos) e = all.size();
      args.push_back(all.substr(p, e - p));
      p = e + 1;
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv("/proc/self/exe", argv.data());
    // exec failed: carry on without the shim; the vi2c tests then skip themselves.
  }
} preload_self;
}  // namespace
#endif

namespace sx::testing {

bool preload_active() {
  const char* p = std::getenv("LD_PRELOAD");
  return p && std::strstr(p, "vi2c_preload");
}

Status InProcessRig::start() {
  sim::Config cfg;
  cfg.nvm_path = nvm_;
  cfg.variant = variant_;
  cfg.fsync = false;
  SX_ASSIGN(sim_, sim::Simulator::open(cfg));
  card_ = std::make_unique<t1::Card>([this](ByteView c) { return sim_->process(c); }, [this] { sim_->chip_reset(); },
                                     t1::CardConfig{sim_->atr()});
  host_ = std::make_unique<t1::Host>(*card_, t1::HostTiming::immediate());
  recovering_ = std::make_unique<device::ReselectChannel>(*host_);
  SX_TRY(host_->open());
  return {};
}

Status InProcessRig::restart() {
  recovering_.reset();
  host_.reset();
  card_.reset();
  sim_.reset();
  return start();
}

namespace {

class ProcessRig : public Rig {
 public:
  ProcessRig(std::string kind, std::string variant) : kind_(std::move(kind)), variant_(std::move(variant)) {}

  Status start() {
    std::string listen;
    if (kind_ == "jrcp-tcp") listen = "jrcp:127.0.0.1:0";
    else if (kind_ == "jrcp-unix") listen = "unix:" + dir_.file("se05x.sock");
    else listen = "vi2c:" + dir_.file("i2c.sock");
    // SX_TEST_SIM: the packaged simulator in the armhf packaged suite.
    proc_ = std::make_unique<SimProcess>(sx::testing::sim_binary(),
                                         std::vector<std::string>{"--nvm", nvm_, "--variant", variant_, "--no-fsync",
                                                                  "--listen", listen});
    if (!proc_->start() || proc_->endpoints().empty())
      return make_error(Errc::Io, "se05x-sim did not start for " + kind_);
    std::string conn = proc_->endpoints().front();
    se05x::ConnectOptions opt;
    opt.timing = t1::HostTiming::immediate();
    if (kind_ == "vi2c") {
      // The unmodified i2c-dev transport opens a device path that the shim redirects.
      const std::string dev = "/dev/i2c-sx-" + std::to_string(::getpid());
      ::setenv("SX_VI2C_DEVICE", dev.c_str(), 1);
      ::setenv("SX_VI2C_SOCKET", dir_.file("i2c.sock").c_str(), 1);
      conn = "i2c:" + dev + ":0x48";
    }
    SX_ASSIGN(channel_, se05x::open_channel(conn, opt));
    return {};
  }

  link::ApduChannel& channel() override { return *channel_; }

  Status restart() override {
    if (channel_) (void)channel_->close();
    channel_.reset();
    proc_->stop();
    return start();
  }

 private:
  std::string kind_;
  std::string variant_;
  std::unique_ptr<SimProcess> proc_;
  std::unique_ptr<link::ApduChannel> channel_;
};

}  // namespace

Result<std::unique_ptr<Rig>> make_rig(const std::string& kind, const std::string& variant) {
  if (kind == "t1") {
    auto r = std::make_unique<InProcessRig>(variant);
    SX_TRY(r->start());
    return std::unique_ptr<Rig>(std::move(r));
  }
  if (kind == "vi2c" && !preload_active())
    return make_error(Errc::Unsupported, "the vi2c rig needs LD_PRELOAD=libsx_vi2c_preload.so");
  auto r = std::make_unique<ProcessRig>(kind, variant);
  SX_TRY(r->start());
  return std::unique_ptr<Rig>(std::move(r));
}

}  // namespace sx::testing
