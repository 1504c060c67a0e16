#include "cli/progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace sx::cli {

Progress::Progress(std::string what, bool enabled) : what_(std::move(what)) {
  if (!enabled || !::isatty(STDERR_FILENO)) return;
  t_ = std::thread([this] {
    static const char kSpin[] = "|/-\\";
    unsigned i = 0, secs10 = 0;
    std::unique_lock<std::mutex> lk(m_);
    while (!stop_) {
      std::fprintf(stderr, "\r%s %c %u.%us ", what_.c_str(), kSpin[i++ % 4], secs10 / 10, secs10 % 10);
      std::fflush(stderr);
      cv_.wait_for(lk, std::chrono::milliseconds(100));
      ++secs10;
    }
    std::fprintf(stderr, "\r%s done%*s\n", what_.c_str(), 8, "");
  });
}

Progress::~Progress() {
  if (!t_.joinable()) return;
  {
    std::lock_guard<std::mutex> lk(m_);
    stop_ = true;
  }
  cv_.notify_one();
  t_.join();
}

}  // namespace sx::cli
