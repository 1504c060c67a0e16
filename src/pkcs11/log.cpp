#include "pkcs11/log.h"

#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>

namespace sx::p11 {

namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::Warn)};
std::atomic<int> g_target{static_cast<int>(LogTarget::Stderr)};
// Leaked on purpose: replaced in a forked child (the old one may be locked).
std::mutex* g_mu = new std::mutex;
bool g_syslog_open = false;

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::Error: return "error";
    case LogLevel::Warn: return "warning";
    case LogLevel::Info: return "info";
    case LogLevel::Debug: return "debug";
    default: return "";
  }
}

int syslog_priority(LogLevel l) {
  switch (l) {
    case LogLevel::Error: return LOG_ERR;
    case LogLevel::Warn: return LOG_WARNING;
    case LogLevel::Info: return LOG_INFO;
    default: return LOG_DEBUG;
  }
}

}  // namespace

void log_configure(LogLevel level, LogTarget target) {
  std::lock_guard<std::mutex> lk(*g_mu);
  g_level = static_cast<int>(level);
  g_target = static_cast<int>(target);
  if (target == LogTarget::Syslog && !g_syslog_open) {
    openlog("se05x-pkcs11", LOG_PID, LOG_USER);
    g_syslog_open = true;
  }
}

bool log_enabled(LogLevel level) {
  return level != LogLevel::None && static_cast<int>(level) <= g_level.load();
}

void log_line(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  try {
    std::lock_guard<std::mutex> lk(*g_mu);
    if (static_cast<LogTarget>(g_target.load()) == LogTarget::Syslog) {
      syslog(syslog_priority(level), "%.*s", static_cast<int>(message.size()), message.data());
    } else {
      std::fprintf(stderr, "se05x-pkcs11[%ld]: %s: %.*s\n", static_cast<long>(getpid()), level_name(level),
                   static_cast<int>(message.size()), message.data());
    }
  } catch (...) {
    // Logging must never fail a PKCS#11 call.
  }
}

void log_after_fork() { g_mu = new std::mutex; }

}  // namespace sx::p11
