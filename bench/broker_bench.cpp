// Cost of the broker: the same APDUs sent straight to se05x-sim over its JRCP
// Unix socket and through se05xd (a separate process, like in production),
// with the simulator's latency model off (pure software cost) and on (400 kHz
// I2C + modelled chip time). Prints Google Benchmark's table and then a
// summary: added latency per APDU and broker/direct throughput.
//
//   build/<dir>/bench/broker_bench [--benchmark_min_time=2s]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "se05x/client.h"
#include "se05x/connect.h"
#include "support/sim_process.h"

namespace {

using sx::testing::SimProcess;
using sx::testing::TempDir;

constexpr uint32_t kKey = 0x20E0B001;

struct Setup {
  TempDir dir;
  std::unique_ptr<SimProcess> sim, broker;
  std::string direct, brokered;
  bool ok = false;
  bool reniced = false;

  explicit Setup(bool model) {
    std::string sim_sock = dir.file("sim.sock"), sock = dir.file("se05xd.sock");
    std::vector<std::string> args{"--listen", "unix:" + sim_sock, "--no-fsync"};
    if (model) {
      args.push_back("--latency-model");
      args.push_back("--i2c-clock");
      args.push_back("400k");
    }
    sim = std::make_unique<SimProcess>(SX_SIM_BINARY, args);
    if (!sim->start()) return;
    std::ofstream(dir.file("se05xd.conf")) << "{\"connection\": \"unix:" << sim_sock << "\", \"socket\": \"" << sock
                                           << "\", \"log_level\": \"warning\"}\n";
    broker = std::make_unique<SimProcess>(
        SX_BROKER_BINARY, std::vector<std::string>{"--foreground", "--config", dir.file("se05xd.conf")});
    if (!broker->start()) return;
    // What dist/systemd/se05xd.service sets (Nice=-10): the broker is on every
    // APDU's path and works only microseconds per wake-up. Needs privileges;
    // without them the broker runs at normal priority (printed in the summary).
    reniced = ::setpriority(PRIO_PROCESS, static_cast<id_t>(broker->pid()), -10) == 0;
    direct = "unix:" + sim_sock;
    brokered = "unix:" + sock;
    // A signing key (RAM-only simulator: created on every run).
    auto ch = sx::se05x::open_channel(direct);
    if (!ch) return;
    sx::se05x::Client c(**ch);
    ok = c.select().ok() && c.ensure_curve(sx::se05x::Curve::NistP256).ok() &&
         c.generate_ec_key(kKey, sx::se05x::Curve::NistP256).ok();
  }
};

Setup& setup(bool model) {
  static std::map<bool, std::unique_ptr<Setup>> s;
  auto& p = s[model];
  if (!p) p = std::make_unique<Setup>(model);
  return *p;
}

// args: 0 = model off/on, 1 = direct/broker
void run(benchmark::State& state, bool sign) {
  bool model = state.range(0) != 0, via_broker = state.range(1) != 0;
  Setup& s = setup(model);
  if (!s.ok) {
    state.SkipWithError("could not start se05x-sim / se05xd");
    return;
  }
  auto ch = sx::se05x::open_channel(via_broker ? s.brokered : s.direct);
  if (!ch) {
    state.SkipWithError(ch.error().message.c_str());
    return;
  }
  sx::se05x::Client c(**ch);
  if (!c.select()) {
    state.SkipWithError("select failed");
    return;
  }
  sx::Bytes digest(32, 0x5A);
  for (auto _ : state) {
    bool good = sign ? c.ecdsa_sign(kKey, digest).ok() : c.get_random(16).ok();
    if (!good) {
      state.SkipWithError("APDU failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_GetRandom(benchmark::State& st) { run(st, false); }
void BM_EcdsaSign(benchmark::State& st) { run(st, true); }

void args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"model", "broker"});
  for (int model : {0, 1})
    for (int broker : {0, 1}) b->Args({model, broker});
  b->UseRealTime();
}
BENCHMARK(BM_GetRandom)->Apply(args);
BENCHMARK(BM_EcdsaSign)->Apply(args);

// Keeps the per-APDU wall time of every run for the summary.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs)
      if (!r.error_occurred && r.iterations > 0)
        us_[r.benchmark_name()] = r.real_accumulated_time / static_cast<double>(r.iterations) * 1e6;
    ConsoleReporter::ReportRuns(runs);
  }
  void summary() const {
    std::printf("\nBroker cost per APDU (wall time, one client, se05xd as a separate process):\n");
    for (const char* bm : {"BM_GetRandom", "BM_EcdsaSign"}) {
      for (int model : {0, 1}) {
        std::string base = std::string(bm) + "/model:" + std::to_string(model) + "/broker:";
        auto d = us_.find(base + "0/real_time"), b = us_.find(base + "1/real_time");
        if (d == us_.end() || b == us_.end()) continue;
        std::printf("  %-13s latency model %-3s: direct %8.1f us, broker %8.1f us, added %+7.1f us/APDU, "
                    "throughput broker/direct %6.1f %%\n",
                    bm + 3, model ? "on" : "off", d->second, b->second, b->second - d->second,
                    100.0 * d->second / b->second);
      }
    }
  }

 private:
  std::map<std::string, double> us_;
};

// CPU time (user + system) a process has used, in microseconds.
double cpu_us(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t p = stat.rfind(')');
  if (p == std::string::npos) return 0;
  std::istringstream f(stat.substr(p + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) f >> skip;  // state .. cmajflt
  double ut = 0, st = 0;
  f >> ut >> st;
  return (ut + st) * 1e6 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Context switches (voluntary + involuntary) of a process: its wake-ups.
double ctx_switches(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  double n = 0;
  while (std::getline(in, line))
    if (line.find("ctxt_switches:") != std::string::npos) n += std::stod(line.substr(line.find(':') + 1));
  return n;
}

// Alternates batches of direct and brokered APDUs so that load from other
// processes hits both alike; prints the median and best added time per APDU.
void interleaved(bool model, bool sign, int rounds, int batch) {
  Setup& s = setup(model);
  if (!s.ok) return;
  auto d = sx::se05x::open_channel(s.direct), b = sx::se05x::open_channel(s.brokered);
  if (!d || !b) return;
  sx::se05x::Client cd(**d), cb(**b);
  if (!cd.select() || !cb.select()) return;
  sx::Bytes digest(32, 0x5A);
  auto batch_us = [&](sx::se05x::Client& c) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < batch; ++i) {
      bool good = sign ? c.ecdsa_sign(kKey, digest).ok() : c.get_random(16).ok();
      if (!good) return -1.0;
    }
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / batch;
  };
  std::vector<double> added, ratio;
  double broker_cpu = 0, broker_ctx = 0;
  for (int r = 0; r < rounds; ++r) {
    double td = batch_us(cd);
    double c0 = cpu_us(s.broker->pid()), x0 = ctx_switches(s.broker->pid());
    double tb = batch_us(cb);
    broker_cpu += cpu_us(s.broker->pid()) - c0;
    broker_ctx += ctx_switches(s.broker->pid()) - x0;
    if (td < 0 || tb < 0) return;
    added.push_back(tb - td);
    ratio.push_back(100.0 * td / tb);
  }
  std::sort(added.begin(), added.end());
  std::sort(ratio.begin(), ratio.end());
  std::printf("  %-9s latency model %-3s: added per APDU median %+7.1f us (best %+7.1f us); "
              "throughput broker/direct median %6.1f %%; se05xd CPU %5.1f us/APDU, %4.2f context switches/APDU  "
              "[%d rounds x %d APDUs each way]\n",
              sign ? "EcdsaSign" : "GetRandom", model ? "on" : "off", added[added.size() / 2], added.front(),
              ratio[ratio.size() / 2], broker_cpu / (rounds * batch), broker_ctx / (rounds * batch), rounds, batch);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  SummaryReporter rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  rep.summary();
  std::printf("\nse05xd priority: %s\n", setup(false).reniced ? "nice -10 (as in the systemd unit)"
                                                               : "normal (could not renice)");
  std::printf("\nInterleaved direct/broker batches (robust against other load on the machine):\n");
  interleaved(false, false, 31, 1000);
  interleaved(false, true, 31, 300);
  interleaved(true, false, 15, 40);
  interleaved(true, true, 9, 6);
  benchmark::Shutdown();
  return 0;
}
