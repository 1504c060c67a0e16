// se05xd under hostile load (issue 14): how much of its solo throughput a
// well-behaved client keeps, and how fast the status query answers, while
//   * a refused uid keeps 64 idle connections open (reconnecting as the
//     broker closes them),
//   * an admitted uid keeps 64 connections that each sent 3 of 4 header bytes
//     (reconnecting as they time out),
//   * two connections pass the chip lock back and forth as fast as they can,
// each alone and all at once. se05x-sim and se05xd are separate processes,
// the simulator with its latency model (400 kHz I2C + modelled chip time) so
// that the chip, not this machine's CPU, is the bottleneck as on a gateway.
// Prints figures; asserts nothing about time.
//
//   build/<dir>/bench/broker_load [--seconds N] [--no-model]
//
// Needs root for the other uids (65534 refused, 1000 admitted); without it
// the attackers run under our own uid and the refused case is skipped.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "broker/status.h"
#include "link/jrcp.h"
#include "link/socket.h"
#include "se05x/client.h"
#include "se05x/connect.h"
#include "support/sim_process.h"

namespace {

using Clock = std::chrono::steady_clock;
using sx::testing::SimProcess;
using sx::testing::TempDir;

constexpr int kAttackers = 64;

// A child process under `uid` that keeps kAttackers connections open, each
// having sent `first`, and reconnects those the broker closes. System calls
// only after fork.
pid_t attacker(const std::string& path, uid_t uid, const std::vector<uint8_t>& first) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.data(), std::min(path.size(), sizeof a.sun_path - 1));
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (::getuid() == 0) {
    gid_t g = uid;
    if (::setgroups(0, nullptr) != 0 || ::setgid(g) != 0 || ::setuid(uid) != 0) ::_exit(3);
  }
  int fds[kAttackers];
  auto open_one = [&]() {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        (!first.empty() && ::write(fd, first.data(), first.size()) < 0)) {
      ::close(fd);
      return -1;
    }
    return fd;
  };
  for (int& fd : fds) fd = open_one();
  for (;;) {
    pollfd p[kAttackers];
    for (int i = 0; i < kAttackers; ++i) p[i] = {fds[i], POLLIN, 0};
    // At most one round of reconnects every 100 ms: a persistent attacker,
    // not a connect storm (that burns CPU on any local service alike).
    ::poll(p, kAttackers, 100);
    timespec pause{0, 100 * 1000 * 1000};
    ::nanosleep(&pause, nullptr);
    for (int i = 0; i < kAttackers; ++i) {
      char b[64];
      bool gone = fds[i] < 0 || (p[i].revents & (POLLHUP | POLLERR)) ||
                  ((p[i].revents & POLLIN) && ::read(fds[i], b, sizeof b) <= 0);
      if (!gone) continue;
      if (fds[i] >= 0) ::close(fds[i]);
      fds[i] = -1;
    }
    for (int& fd : fds)
      if (fd < 0) fd = open_one();
  }
}

// Two connections passing the lock back and forth (UNLOCK and LOCK again in
// one write) until stopped; counts lock cycles.
struct Hogs {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> cycles{0};
  std::vector<std::thread> threads;
  explicit Hogs(const std::string& path) {
    for (int i = 0; i < 2; ++i)
      threads.emplace_back([this, path] {
        auto fd = sx::link::unix_connect(path);
        if (!fd) return;
        sx::Bytes lock = *sx::link::jrcp::encode(0x30, {});
        sx::Bytes again = *sx::link::jrcp::encode(0x31, {});
        sx::append(again, lock);
        uint8_t r[8];
        if (!sx::link::write_all(fd->get(), lock, 5000) || !sx::link::read_exact(fd->get(), std::span(r, 4), 60000))
          return;
        while (!stop.load()) {
          if (!sx::link::write_all(fd->get(), again, 5000) || !sx::link::read_exact(fd->get(), r, 60000)) return;
          ++cycles;
        }
      });
  }
  ~Hogs() {
    stop = true;
    for (auto& t : threads) t.join();
  }
};

struct Figures {
  double apdus_per_s = 0;
  double status_median_ms = 0, status_max_ms = 0;
  int status_failed = 0;
};

// The well-behaved client: GetRandom(16) on its own connection for `secs`,
// with a status query (what `se05xd --status` sends) from another thread every 50 ms.
Figures measure(sx::se05x::Client& c, const std::string& conn, double secs) {
  Figures f;
  std::atomic<bool> done{false};
  std::vector<double> ms;
  std::thread status([&] {
    while (!done.load()) {
      auto t0 = Clock::now();
      auto st = sx::broker::query_status(conn, 5000);
      double d = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (st) ms.push_back(d);
      else ++f.status_failed;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto t0 = Clock::now();
  auto end = t0 + std::chrono::duration<double>(secs);
  uint64_t n = 0;
  while (Clock::now() < end) {
    if (!c.get_random(16)) break;
    ++n;
  }
  f.apdus_per_s = static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - t0).count();
  done = true;
  status.join();
  if (!ms.empty()) {
    std::sort(ms.begin(), ms.end());
    f.status_median_ms = ms[ms.size() / 2];
    f.status_max_ms = ms.back();
  }
  return f;
}

void print(const char* what, const Figures& f, double solo, const std::string& extra = "") {
  std::printf("  %-46s %8.1f APDU/s  %6.1f %% of solo   status: median %6.2f ms, max %7.2f ms%s%s\n", what,
              f.apdus_per_s, solo > 0 ? 100.0 * f.apdus_per_s / solo : 0.0, f.status_median_ms, f.status_max_ms,
              f.status_failed ? (", " + std::to_string(f.status_failed) + " FAILED").c_str() : "", extra.c_str());
  std::fflush(stdout);
}

void stop_child(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace

int main(int argc, char** argv) {
  double secs = 3;
  bool model = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) secs = std::atof(argv[++i]);
    else if (a == "--no-model") model = false;
    else {
      std::fprintf(stderr, "usage: broker_load [--seconds N] [--no-model]\n");
      return 2;
    }
  }
  ::signal(SIGPIPE, SIG_IGN);
  TempDir dir;
  ::chmod(dir.path().c_str(), 0711);  // the other uids must reach the socket
  std::string sim_sock = dir.file("sim.sock"), sock = dir.file("se05xd.sock");
  std::vector<std::string> sim_args{"--listen", "unix:" + sim_sock, "--no-fsync"};
  if (model) sim_args.insert(sim_args.end(), {"--latency-model", "--i2c-clock", "400k"});
  SimProcess sim(SX_SIM_BINARY, sim_args);
  if (!sim.start()) {
    std::fprintf(stderr, "broker_load: se05x-sim did not start\n");
    return 1;
  }
  // The audit's configuration: the socket open to everybody, root (and here
  // uid 1000) admitted; every limit and timeout at its default.
  std::ofstream(dir.file("se05xd.conf")) << "{\"connection\": \"unix:" << sim_sock << "\", \"socket\": \"" << sock
                                         << "\", \"socket_mode\": \"0666\", \"allow_uids\": [0, 1000], "
                                            "\"log_level\": \"error\"}\n";
  SimProcess broker(SX_BROKER_BINARY, {"--foreground", "--config", dir.file("se05xd.conf")});
  if (!broker.start()) {
    std::fprintf(stderr, "broker_load: se05xd did not start\n");
    return 1;
  }
  const std::string conn = "unix:" + sock;
  auto ch = sx::se05x::open_channel(conn);
  if (!ch) {
    std::fprintf(stderr, "broker_load: %s\n", ch.error().message.c_str());
    return 1;
  }
  sx::se05x::Client c(**ch);
  if (!c.select()) {
    std::fprintf(stderr, "broker_load: SELECT failed\n");
    return 1;
  }
  const bool root = ::getuid() == 0;
  std::printf("se05xd under load: GetRandom(16) from one well-behaved client, %.1f s per case, latency model %s%s\n",
              secs, model ? "on (400 kHz)" : "off", root ? "" : " (not root: attackers use our uid)");
  Figures solo = measure(c, conn, secs);
  print("solo", solo, solo.apdus_per_s);

  const std::vector<uint8_t> half{0x01, 0x00, 0x00};
  pid_t refused = -1, halfs = -1;
  if (root) {
    refused = attacker(sock, 65534, {});
    print("64 idle connections of a refused uid", measure(c, conn, secs), solo.apdus_per_s);
    stop_child(refused);
  }
  halfs = attacker(sock, root ? 1000 : ::getuid(), half);
  print("64 half-header connections (admitted uid)", measure(c, conn, secs), solo.apdus_per_s);
  stop_child(halfs);
  {
    Hogs hogs(sock);
    Figures f = measure(c, conn, secs);
    uint64_t cycles = hogs.cycles.load();
    print("two clients passing the lock back and forth", f, solo.apdus_per_s,
          "  (" + std::to_string(cycles) + " lock cycles)");
  }
  {
    if (root) refused = attacker(sock, 65534, {});
    halfs = attacker(sock, root ? 1000 : ::getuid(), half);
    Hogs hogs(sock);
    print("all of the above at once", measure(c, conn, secs), solo.apdus_per_s);
    stop_child(refused);
    stop_child(halfs);
  }
  auto st = sx::broker::query_status(conn);
  if (st)
    std::printf("  broker counters: refused %llu, over connection limits %llu, timed out %llu, cut off %llu\n",
                static_cast<unsigned long long>(st->refused), static_cast<unsigned long long>(st->over_limit),
                static_cast<unsigned long long>(st->timed_out), static_cast<unsigned long long>(st->cut_off));
  return 0;
}
