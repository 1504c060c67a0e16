// A spinner on stderr while a slow chip operation runs (RSA key generation
// takes seconds); only on a terminal and never with --json.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace sx::cli {

class Progress {
 public:
  Progress(std::string what, bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

 private:
  std::string what_;
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread t_;
};

}  // namespace sx::cli
