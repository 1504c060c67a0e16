#include "broker/log.h"

#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

namespace sx::broker {

std::optional<LogLevel> parse_log_level(std::string_view s) {
  if (s == "error") return LogLevel::Error;
  if (s == "warning" || s == "warn") return LogLevel::Warning;
  if (s == "info") return LogLevel::Info;
  if (s == "debug") return LogLevel::Debug;
  return std::nullopt;
}

const char* log_level_name(LogLevel l) {
  switch (l) {
    case LogLevel::Error: return "error";
    case LogLevel::Warning: return "warning";
    case LogLevel::Info: return "info";
    case LogLevel::Debug: return "debug";
  }
  return "?";
}

LogFn stderr_logger(LogLevel level, bool journal_prefix) {
  auto mu = std::make_shared<std::mutex>();
  return [level, journal_prefix, mu](LogLevel l, const std::string& msg) {
    if (static_cast<int>(l) > static_cast<int>(level)) return;
    std::string line;
    if (journal_prefix) {
      line = "<";
      line += std::to_string(static_cast<int>(l));
      line += ">";
      line += msg;
      line += "\n";
    } else {
      char ts[32] = "";
      std::time_t t = std::time(nullptr);
      std::tm tm{};
      if (::localtime_r(&t, &tm)) std::strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
      line = ts;
      line += " se05xd ";
      line += log_level_name(l);
      line += ": ";
      line += msg;
      line += "\n";
    }
    std::lock_guard<std::mutex> g(*mu);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  };
}

}  // namespace sx::broker
