// What PlatformSCP03 costs (issue 13): the operations a Greengrass connection
// needs — ECDSA P-256 sign, RSA-2048 sign, reading a 1 KiB certificate — and a
// cold connect (T=1 open, SELECT, and with SCP03 the INITIALIZE UPDATE /
// EXTERNAL AUTHENTICATE pair), each plain and through a PlatformSCP03 channel
// at security level 33 (cli/scp03_link.h: the same se05x::scp03::HostChannel
// the device stack's channel layer wraps with, without its SELECT handling).
//
// se05x-sim runs as its own process on the virtual I2C bus, so the CPU time is
// the host stack's alone (wrapping: AES-CBC and two CMACs per APDU). Per
// operation:
//   apdus, to_chip / from_chip  APDU bytes each way as the chip sees them (simulator counters)
//   wire_bytes                  T=1 frame bytes on the bus (host counters)
//   model_ms                    a real SE050's time: chip time + I2C wire time at 400 kHz
// and at the end a table of both modes side by side.
// Run: build/native/bench/scp03_bench
#include <benchmark/benchmark.h>
#include <openssl/rand.h>

#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/scp03_link.h"
#include "link/vi2c.h"
#include "se05x/client.h"
#include "se05x/scp03_defaults.h"
#include "support/sim_process.h"
#include "t1/host.h"

namespace {

using namespace sx;

constexpr uint32_t kEcKey = 0x40000001;
constexpr uint32_t kRsaKey = 0x40000002;
constexpr uint32_t kCert = 0x40000003;
constexpr uint32_t kHz = 400000;

struct Totals {
  double count = 0, to_chip = 0, from_chip = 0, modelled_us = 0;
};

// Per benchmark and mode: the figures of one operation (averages per iteration).
struct Row {
  double apdus = 0, to_chip = 0, from_chip = 0, wire = 0, model_ms = 0, cpu_us = 0;
};
std::map<std::string, std::map<bool, Row>>& rows() {
  static std::map<std::string, std::map<bool, Row>> r;
  return r;
}

struct Rig {
  testing::TempDir dir;
  std::unique_ptr<testing::SimProcess> proc;
  std::unique_ptr<link::I2cBus> bus;
  std::unique_ptr<t1::Host> host;
  std::unique_ptr<cli::ScpLink> scp;  // null: plain
  se05x::scp03::StaticKeys keys;
  se05x::scp03::CounterRule rule = se05x::scp03::CounterRule::Applet3;
  std::unique_ptr<se05x::Client> client;
  std::string error;

  explicit Rig(bool with_scp) {
    const std::string sock = dir.file("i2c.sock");
    proc = std::make_unique<testing::SimProcess>(
        testing::sim_binary(), std::vector<std::string>{"--listen", "vi2c:" + sock, "--i2c-clock", std::to_string(kHz)});
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
    host = std::make_unique<t1::Host>(*bus, t1::HostTiming::immediate());
    if (auto s = host->open(); !s.ok()) {
      error = s.error().to_string();
      return;
    }
    link::ApduChannel* top = host.get();
    if (with_scp) {
      auto k = published_keys();
      if (!k) {
        error = k.error().to_string();
        return;
      }
      keys = std::move(*k);
      scp = std::make_unique<cli::ScpLink>(*host);
      top = scp.get();
    }
    client = std::make_unique<se05x::Client>(*top);
    error = provision();
  }

  // The simulated variant's published keys, from its OEF ID (docs/scp03.md §8).
  Result<se05x::scp03::StaticKeys> published_keys() {
    SX_TRY(host->transceive(Bytes{0x00, 0xA4, 0x04, 0x00, 0x00}));
    SX_ASSIGN(Bytes r, host->transceive(se05x::scp03::get_data_config()));
    SX_ASSIGN(uint16_t oef, se05x::scp03::parse_oef_id(r));
    const auto* d = se05x::scp03::default_keys_for_oef(oef);
    if (d == nullptr) return make_error(Errc::NotFound, "no published keys for the simulator's OEF ID");
    return d->keys();
  }

  // SELECT (plain), and with SCP03 the channel on the applet.
  std::string connect() {
    if (!scp) {
      auto v = client->select();
      return v.ok() ? std::string() : v.error().to_string();
    }
    auto sel = scp->select_applet();
    if (!sel) return sel.error().to_string();
    auto v = se05x::parse_version(ByteView(*sel).first(sel->size() < 2 ? 0 : sel->size() - 2));
    if (!v) return v.error().to_string();
    rule = se05x::scp03::counter_rule_for(v->major, v->minor);
    auto st = scp->authenticate(keys, rule);
    return st.ok() ? std::string() : st.error().to_string();
  }

  std::string provision() {
    if (auto e = connect(); !e.empty()) return e;
    if (auto c = client->ensure_curve(se05x::Curve::NistP256); !c.ok()) return c.error().to_string();
    if (auto g = client->generate_ec_key(kEcKey, se05x::Curve::NistP256); !g.ok()) return g.error().to_string();
    if (auto r = client->generate_rsa_key(kRsaKey, 2048, se05x::RsaFormat::Crt); !r.ok()) return r.error().to_string();
    Bytes cert(1024);
    RAND_bytes(cert.data(), static_cast<int>(cert.size()));
    if (auto w = client->create_binary(kCert, cert); !w.ok()) return w.error().to_string();
    return {};
  }

  // The simulator's counters: a private APDU on the bare T=1 link, never wrapped.
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

Rig& rig(bool with_scp) {
  static std::map<bool, std::unique_ptr<Rig>> rigs;
  auto& r = rigs[with_scp];
  if (!r) r = std::make_unique<Rig>(with_scp);
  return *r;
}

template <class Op>
void measure(benchmark::State& state, const std::string& name, Op op) {
  const bool with_scp = state.range(0) != 0;
  Rig& r = rig(with_scp);
  if (!r.error.empty()) {
    state.SkipWithError(r.error.c_str());
    return;
  }
  const Totals before = r.totals();
  const t1::HostStats hs0 = r.host->stats();
  double iterations = 0;
  for (auto _ : state) {
    if (auto e = op(r); !e.empty()) {
      state.SkipWithError(e.c_str());
      return;
    }
    ++iterations;
  }
  const t1::HostStats hs1 = r.host->stats();
  const Totals after = r.totals();
  // (The counters request itself is not counted by the simulator.)
  Row row;
  row.apdus = (after.count - before.count) / iterations;
  row.to_chip = (after.to_chip - before.to_chip) / iterations;
  row.from_chip = (after.from_chip - before.from_chip) / iterations;
  row.wire = static_cast<double>((hs1.bytes_tx + hs1.bytes_rx) - (hs0.bytes_tx + hs0.bytes_rx)) / iterations;
  row.model_ms = (after.modelled_us - before.modelled_us) / 1000.0 / iterations;
  state.counters["apdus"] = row.apdus;
  state.counters["to_chip"] = row.to_chip;
  state.counters["from_chip"] = row.from_chip;
  state.counters["wire_bytes"] = row.wire;
  state.counters["model_ms"] = row.model_ms;
  rows()[name][with_scp] = row;
}

void BM_EcdsaP256Sign(benchmark::State& state) {
  const Bytes digest(32, 0xA5);
  measure(state, "ECDSA P-256 sign", [&](Rig& r) {
    auto s = r.client->ecdsa_sign(kEcKey, digest);
    return s.ok() ? std::string() : s.error().to_string();
  });
}

void BM_Rsa2048Sign(benchmark::State& state) {
  const Bytes message(32, 0x5A);
  measure(state, "RSA-2048 sign", [&](Rig& r) {
    auto s = r.client->rsa_sign(kRsaKey, se05x::RsaSignAlgo::Pkcs1Sha256, message);
    return s.ok() ? std::string() : s.error().to_string();
  });
}

void BM_Read1KiBCertificate(benchmark::State& state) {
  measure(state, "1 KiB certificate read", [&](Rig& r) {
    auto s = r.client->read_binary(kCert);
    if (!s.ok()) return s.error().to_string();
    return s->size() == 1024 ? std::string() : std::string("short read");
  });
}

// T=1 open (resync + ATR) and SELECT; through the channel layer the SELECT
// opens the channel (INITIALIZE UPDATE + EXTERNAL AUTHENTICATE).
void BM_ColdConnect(benchmark::State& state) {
  measure(state, "cold connect", [&](Rig& r) {
    if (auto s = r.host->open(); !s.ok()) return s.error().to_string();
    return r.connect();
  });
}

BENCHMARK(BM_EcdsaP256Sign)->ArgName("scp03")->Arg(0)->Arg(1);
BENCHMARK(BM_Rsa2048Sign)->ArgName("scp03")->Arg(0)->Arg(1);
BENCHMARK(BM_Read1KiBCertificate)->ArgName("scp03")->Arg(0)->Arg(1);
BENCHMARK(BM_ColdConnect)->ArgName("scp03")->Arg(0)->Arg(1);

// Keeps the CPU time per iteration of every run for the closing table.
class Table : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.error_occurred || r.iterations == 0) continue;
      const std::string n = r.benchmark_name();
      const bool scp = n.find("scp03:1") != std::string::npos;
      cpu_[n.substr(0, n.find('/'))][scp] = r.GetAdjustedCPUTime();
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, std::map<bool, double>> cpu_;  // by BM_ name; time unit: the run's (ns)
};

const char* bm_name(const std::string& op) {
  if (op == "ECDSA P-256 sign") return "BM_EcdsaP256Sign";
  if (op == "RSA-2048 sign") return "BM_Rsa2048Sign";
  if (op == "1 KiB certificate read") return "BM_Read1KiBCertificate";
  return "BM_ColdConnect";
}

void print_table(const Table& t) {
  std::printf("\nPlatformSCP03 cost per operation (I2C %u kHz, modelled SE050 time; CPU: this host)\n", kHz / 1000);
  std::printf("%-24s %-6s %6s %9s %9s %10s %10s %9s\n", "operation", "scp03", "apdus", "to_chip", "from_chip",
              "wire_bytes", "model_ms", "cpu_us");
  for (const auto& [op, modes] : rows()) {
    for (const auto& [scp, r] : modes) {
      double cpu = 0;
      if (auto it = t.cpu_.find(bm_name(op)); it != t.cpu_.end())
        if (auto c = it->second.find(scp); c != it->second.end()) cpu = c->second / 1000.0;
      std::printf("%-24s %-6s %6.1f %9.1f %9.1f %10.1f %10.2f %9.1f\n", op.c_str(), scp ? "on" : "off", r.apdus,
                  r.to_chip, r.from_chip, r.wire, r.model_ms, cpu);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Table table;
  benchmark::RunSpecifiedBenchmarks(&table);
  print_table(table);
  benchmark::Shutdown();
  return 0;
}
