// The module's log: one line per event to stderr or syslog, filtered by level.
// Never given PINs or key material (callers pass descriptions, not values).
#pragma once

#include <string>
#include <string_view>

namespace sx::p11 {

enum class LogLevel : int { None = 0, Error = 1, Warn = 2, Info = 3, Debug = 4 };
enum class LogTarget : int { Stderr, Syslog };

// Applies the configured level/target (C_Initialize). Before that: warn, stderr.
void log_configure(LogLevel level, LogTarget target);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, std::string_view message);

inline void log_error(std::string_view m) { log_line(LogLevel::Error, m); }
inline void log_warn(std::string_view m) { log_line(LogLevel::Warn, m); }
inline void log_info(std::string_view m) { log_line(LogLevel::Info, m); }
inline void log_debug(std::string_view m) { log_line(LogLevel::Debug, m); }

// After fork() in the child: the log mutex may have been held by a parent thread.
void log_after_fork();

}  // namespace sx::p11
