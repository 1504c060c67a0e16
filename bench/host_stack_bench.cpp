// Cost of the three operations a Greengrass connection needs from the host stack:
// ECDSA P-256 sign, RSA-2048 sign and reading a 1 KiB certificate.
//
// The simulator runs as a separate se05x-sim process on its virtual I2C bus, so the
// host stack here does exactly what it does on an A6E (T=1 framing, CRC, polling,
// one syscall round trip per I2C transaction) and the CPU time measured is the
// host's alone. Per operation the benchmark prints:
//   apdus, to_chip / from_chip  APDU bytes each way (simulator counters)
//   wire_bytes                  T=1 frame bytes each way on the I2C bus (host counters)
//   model_ms                    what a real SE050 would take: chip time + I2C wire time
//                               at the clock in the benchmark's argument (400 kHz / 1 MHz)
// Run: build/native/bench/host_stack_bench
#include <benchmark/benchmark.h>
#include <openssl/rand.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "link/vi2c.h"
#include "se05x/client.h"
#include "support/sim_process.h"
#include "t1/host.h"

namespace {

using namespace sx;

constexpr uint32_t kEcKey = 0x40000001;
constexpr uint32_t kRsaKey = 0x40000002;
constexpr uint32_t kCert = 0x40000003;

struct Totals {
  double count = 0, to_chip = 0, from_chip = 0, modelled_us = 0;
};

struct Rig {
  testing::TempDir dir;
  std::unique_ptr<testing::SimProcess> proc;
  std::unique_ptr<link::I2cBus> bus;
  std::unique_ptr<t1::Host> host;
  std::unique_ptr<se05x::Client> client;
  std::string error;

  explicit Rig(uint32_t hz) {
    const std::string sock = dir.file("i2c.sock");
    proc = std::make_unique<testing::SimProcess>(
        SX_SIM_BINARY, std::vector<std::string>{"--listen", "vi2c:" + sock, "--i2c-clock", std::to_string(hz)});
    if (!proc->start()) {
      error = "se05x-sim did not start";
      return;
    }
    auto b = link::Vi2cClient::connect(sock);
    if (!b.ok()) {
      error = b.error().to_string();
      return;
    }
    bus = std::move(*b);
    // The simulator answers at once: no polling delays, so the CPU figure is the stack's own.
    host = std::make_unique<t1::Host>(*bus, t1::HostTiming::immediate());
    client = std::make_unique<se05x::Client>(*host);
    if (auto s = host->open(); !s.ok()) error = s.error().to_string();
    else if (auto v = client->select(); !v.ok()) error = v.error().to_string();
    else if (auto c = client->ensure_curve(se05x::Curve::NistP256); !c.ok()) error = c.error().to_string();
    else if (auto g = client->generate_ec_key(kEcKey, se05x::Curve::NistP256); !g.ok()) error = g.error().to_string();
    else if (auto r = client->generate_rsa_key(kRsaKey, 2048, se05x::RsaFormat::Crt); !r.ok()) error = r.error().to_string();
    else {
      Bytes cert(1024);
      RAND_bytes(cert.data(), static_cast<int>(cert.size()));
      if (auto w = client->create_binary(kCert, cert); !w.ok()) error = w.error().to_string();
    }
  }

  Totals totals() {
    const uint8_t req[] = {0xFF, 0x53, 0x00, 0x00};
    Totals t;
    auto r = host->transceive(req);
    if (!r.ok() || r->size() < 2) return t;
    auto j = nlohmann::json::parse(r->begin(), r->end() - 2, nullptr, false);
    if (j.is_discarded()) return t;
    const auto& tot = j["total"];
    t.count = tot.value("count", 0.0);
    t.to_chip = tot.value("capdu_bytes", 0.0);
    t.from_chip = tot.value("rapdu_bytes", 0.0);
    t.modelled_us = tot.value("modelled_us", 0.0);
    return t;
  }
};

Rig& rig(uint32_t hz) {
  static std::map<uint32_t, std::unique_ptr<Rig>> rigs;
  auto& r = rigs[hz];
  if (!r) r = std::make_unique<Rig>(hz);
  return *r;
}

template <class Op>
void measure(benchmark::State& state, Op op) {
  Rig& r = rig(static_cast<uint32_t>(state.range(0)));
  if (!r.error.empty()) {
    state.SkipWithError(r.error.c_str());
    return;
  }
  const Totals before = r.totals();
  const t1::HostStats hs0 = r.host->stats();
  for (auto _ : state) {
    if (auto e = op(*r.client); !e.empty()) {
      state.SkipWithError(e.c_str());
      return;
    }
  }
  const t1::HostStats hs1 = r.host->stats();
  const Totals after = r.totals();
  using C = benchmark::Counter;
  state.counters["apdus"] = C(after.count - before.count, C::kAvgIterations);
  state.counters["to_chip"] = C(after.to_chip - before.to_chip, C::kAvgIterations);
  state.counters["from_chip"] = C(after.from_chip - before.from_chip, C::kAvgIterations);
  state.counters["wire_bytes"] = C(static_cast<double>((hs1.bytes_tx + hs1.bytes_rx) - (hs0.bytes_tx + hs0.bytes_rx)),
                                   C::kAvgIterations);
  state.counters["model_ms"] = C((after.modelled_us - before.modelled_us) / 1000.0, C::kAvgIterations);
}

void BM_EcdsaP256Sign(benchmark::State& state) {
  const Bytes digest(32, 0xA5);
  measure(state, [&](se05x::Client& c) {
    auto s = c.ecdsa_sign(kEcKey, digest);
    return s.ok() ? std::string() : s.error().to_string();
  });
}

void BM_Rsa2048Sign(benchmark::State& state) {
  const Bytes message(32, 0x5A);
  measure(state, [&](se05x::Client& c) {
    auto s = c.rsa_sign(kRsaKey, se05x::RsaSignAlgo::Pkcs1Sha256, message);
    return s.ok() ? std::string() : s.error().to_string();
  });
}

void BM_Read1KiBCertificate(benchmark::State& state) {
  measure(state, [&](se05x::Client& c) {
    auto s = c.read_binary(kCert);
    if (!s.ok()) return s.error().to_string();
    return s->size() == 1024 ? std::string() : std::string("short read");
  });
}

BENCHMARK(BM_EcdsaP256Sign)->ArgName("i2c_hz")->Arg(400000)->Arg(1000000);
BENCHMARK(BM_Rsa2048Sign)->ArgName("i2c_hz")->Arg(400000)->Arg(1000000);
BENCHMARK(BM_Read1KiBCertificate)->ArgName("i2c_hz")->Arg(400000)->Arg(1000000);

}  // namespace

BENCHMARK_MAIN();
