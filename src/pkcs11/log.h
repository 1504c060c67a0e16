// The module's log: one line per event to stderr or syslog, filtered by level
// (the levels and line formats of base/log.h, shared with se05xd). Never
// given PINs or key material (callers pass descriptions, not values).
#pragma once

#include <string>
#include <string_view>

#include "base/log.h"

namespace sx::p11 {

using LogLevel = log::Level;
enum class LogTarget : int { Stderr, Syslog };

// Applies the configured level/target (C_Initialize). Before that: warning, stderr.
void log_configure(LogLevel level, LogTarget target);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, std::string_view message);

inline void log_error(std::string_view m) { log_line(LogLevel::Error, m); }
inline void log_warn(std::string_view m) { log_line(LogLevel::Warning, m); }
inline void log_info(std::string_view m) { log_line(LogLevel::Info, m); }
inline void log_debug(std::string_view m) { log_line(LogLevel::Debug, m); }

// After fork() in the child: the log mutex may have been held by a parent thread.
void log_after_fork();

}  // namespace sx::p11
