// Log events and their severity, one scheme for every program and the PKCS#11
// module: each call site states the level of its event; a sink filters by a
// threshold and writes the line in its program's format.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sx::log {

// An event's severity, valued as its syslog priority (journald also reads
// these from "<N>" line prefixes). None is only a threshold: nothing passes.
enum class Level : int { None = 0, Error = 3, Warning = 4, Info = 6, Debug = 7 };

// "error", "warning", "info", "debug" ("none" for None).
const char* level_name(Level l);
// Those names, "warn" for warning; nullopt for anything else.
std::optional<Level> parse_level(std::string_view s);
// Whether an event of level `event` passes the threshold.
inline bool passes(Level event, Level threshold) {
  return event != Level::None && static_cast<int>(event) <= static_cast<int>(threshold);
}

// Where a component sends its events (e.g. the JRCP server's connects and
// drops); called with the level the event has.
using Sink = std::function<void(Level, const std::string&)>;

// How a line on stderr looks:
//   Journal:     "<N>message"  (systemd's journal takes the priority from it)
//   Timestamped: "YYYY-MM-DD HH:MM:SS ident level: message"
//   Pid:         "ident[pid]: level: message"
enum class StderrStyle { Journal, Timestamped, Pid };
// The line, ending in "\n".
std::string format_line(StderrStyle style, std::string_view ident, Level l, std::string_view message);
// Writes a whole line to stderr at once (one write, flushed).
void write_stderr(const std::string& line);
// syslog(3) with the level as priority; open_syslog is openlog(ident, LOG_PID, facility).
void open_syslog(const char* ident, int facility);
void write_syslog(Level l, std::string_view message);

// Sinks for a program's own log: events below `threshold` are dropped. The
// stderr sink serialises lines from several threads.
Sink stderr_sink(StderrStyle style, std::string ident, Level threshold);
Sink syslog_sink(const char* ident, int facility, Level threshold);

}  // namespace sx::log
