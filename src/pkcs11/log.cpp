#include "pkcs11/log.h"

#include <syslog.h>

#include <atomic>
#include <mutex>

namespace sx::p11 {

namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::Warning)};
std::atomic<int> g_target{static_cast<int>(LogTarget::Stderr)};
// Leaked on purpose: replaced in a forked child (the old one may be locked).
std::mutex* g_mu = new std::mutex;
bool g_syslog_open = false;

}  // namespace

void log_configure(LogLevel level, LogTarget target) {
  std::lock_guard<std::mutex> lk(*g_mu);
  g_level = static_cast<int>(level);
  g_target = static_cast<int>(target);
  if (target == LogTarget::Syslog && !g_syslog_open) {
    log::open_syslog("se05x-pkcs11", LOG_USER);
    g_syslog_open = true;
  }
}

bool log_enabled(LogLevel level) { return log::passes(level, static_cast<LogLevel>(g_level.load())); }

void log_line(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  try {
    std::lock_guard<std::mutex> lk(*g_mu);
    if (static_cast<LogTarget>(g_target.load()) == LogTarget::Syslog)
      log::write_syslog(level, message);
    else
      log::write_stderr(log::format_line(log::StderrStyle::Pid, "se05x-pkcs11", level, message));
  } catch (...) {
    // Logging must never fail a PKCS#11 call.
  }
}

void log_after_fork() { g_mu = new std::mutex; }

}  // namespace sx::p11
