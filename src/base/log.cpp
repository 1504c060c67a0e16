#include "base/log.h"

#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

namespace sx::log {

const char* level_name(Level l) {
  switch (l) {
    case Level::None: return "none";
    case Level::Error: return "error";
    case Level::Warning: return "warning";
    case Level::Info: return "info";
    case Level::Debug: return "debug";
  }
  return "?";
}

std::optional<Level> parse_level(std::string_view s) {
  if (s == "none") return Level::None;
  if (s == "error") return Level::Error;
  if (s == "warning" || s == "warn") return Level::Warning;
  if (s == "info") return Level::Info;
  if (s == "debug") return Level::Debug;
  return std::nullopt;
}

std::string format_line(StderrStyle style, std::string_view ident, Level l, std::string_view message) {
  std::string line;
  switch (style) {
    case StderrStyle::Journal:
      line = "<" + std::to_string(static_cast<int>(l)) + ">";
      break;
    case StderrStyle::Timestamped: {
      char ts[32] = "";
      std::time_t t = std::time(nullptr);
      std::tm tm{};
      if (::localtime_r(&t, &tm)) std::strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
      line = ts;
      line += " ";
      line += ident;
      line += " ";
      line += level_name(l);
      line += ": ";
      break;
    }
    case StderrStyle::Pid:
      line = std::string(ident) + "[" + std::to_string(static_cast<long>(::getpid())) + "]: " + level_name(l) + ": ";
      break;
  }
  line += message;
  line += "\n";
  return line;
}

void write_stderr(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void open_syslog(const char* ident, int facility) { ::openlog(ident, LOG_PID, facility); }

void write_syslog(Level l, std::string_view message) {
  ::syslog(static_cast<int>(l), "%.*s", static_cast<int>(message.size()), message.data());
}

Sink stderr_sink(StderrStyle style, std::string ident, Level threshold) {
  auto mu = std::make_shared<std::mutex>();
  return [style, ident = std::move(ident), threshold, mu](Level l, const std::string& msg) {
    if (!passes(l, threshold)) return;
    const std::string line = format_line(style, ident, l, msg);
    std::lock_guard<std::mutex> g(*mu);
    write_stderr(line);
  };
}

Sink syslog_sink(const char* ident, int facility, Level threshold) {
  open_syslog(ident, facility);
  return [threshold](Level l, const std::string& msg) {
    if (passes(l, threshold)) write_syslog(l, msg);
  };
}

}  // namespace sx::log
