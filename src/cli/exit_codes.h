// The exit codes of se05x (documented in docs/cli.md); scripts rely on them.
#pragma once

namespace sx::cli {

enum class Exit : int {
  Ok = 0,
  Error = 1,         // unexpected failure (chip refused, internal)
  Usage = 2,         // bad command line or argument value (also a new PIN of the wrong length)
  BadInput = 3,      // unreadable / corrupt / wrong-password input file
  NoChip = 4,        // chip (or broker) not reachable
  Pin = 5,           // PIN missing, wrong or locked
  NotFound = 6,      // no such object / label
  Conflict = 7,      // label already used, ID collision
  Mismatch = 8,      // certificate does not match the key
  ChipFull = 9,      // no memory left on the chip
  DoctorFailed = 10, // `doctor` found a problem
  Declined = 11,     // the user did not confirm (or could not be asked)
};

inline int code(Exit e) { return static_cast<int>(e); }

// The start of each code's meaning in docs/cli.md's table: the --help footer
// lists these, and a test checks them against the docs (and every code above).
struct ExitInfo {
  Exit exit;
  const char* brief;
};
inline constexpr ExitInfo kExitCodes[] = {
    {Exit::Ok, "success"},
    {Exit::Error, "unexpected failure"},
    {Exit::Usage, "bad command line or argument value"},
    {Exit::BadInput, "bad input file"},
    {Exit::NoChip, "no chip reachable"},
    {Exit::Pin, "PIN missing, wrong or locked"},
    {Exit::NotFound, "unknown object / label"},
    {Exit::Conflict, "conflict"},
    {Exit::Mismatch, "certificate does not match the key"},
    {Exit::ChipFull, "chip full"},
    {Exit::DoctorFailed, "`doctor` found a problem"},
    {Exit::Declined, "deletion not confirmed"},
};

}  // namespace sx::cli
