// se05xd's log: the levels, sinks and line formats of base/log.h. One line per
// event; on stderr under systemd with a "<N>" priority prefix (journald files
// it), else with a timestamp and the level name; or to syslog (daemon).
#pragma once

#include <optional>
#include <string_view>

#include "base/log.h"

namespace sx::broker {

using LogLevel = log::Level;
using LogFn = log::Sink;

// error, warning (warn), info, debug: the broker has no "none".
inline std::optional<LogLevel> parse_log_level(std::string_view s) {
  auto l = log::parse_level(s);
  if (l == LogLevel::None) return std::nullopt;
  return l;
}

inline LogFn stderr_logger(LogLevel level, bool journal_prefix) {
  return log::stderr_sink(journal_prefix ? log::StderrStyle::Journal : log::StderrStyle::Timestamped, "se05xd",
                          level);
}

}  // namespace sx::broker
