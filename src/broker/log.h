// Log lines of the broker: one line per event, with a syslog priority so that
// journald (which reads "<N>" prefixes on stderr) files them correctly.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sx::broker {

enum class LogLevel { Error = 3, Warning = 4, Info = 6, Debug = 7 };

using LogFn = std::function<void(LogLevel, const std::string&)>;

std::optional<LogLevel> parse_log_level(std::string_view s);
const char* log_level_name(LogLevel l);

// Writes lines at or above `level` to stderr; with journal_prefix the line
// starts with "<N>" (systemd), else with a timestamp and the level name.
LogFn stderr_logger(LogLevel level, bool journal_prefix);

}  // namespace sx::broker
