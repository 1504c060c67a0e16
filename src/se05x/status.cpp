#include "se05x/status.h"

#include <cstdio>
#include <string>

#include "se05x/constants.h"

namespace sx::se05x {

namespace {

struct SwText {
  uint16_t sw;
  const char* text;
};

// Meanings from the middleware's names (docs/se05x-protocol.md §4.5). The "[U]" notes
// mark cases where the SW for a missing object is our assumption.
constexpr SwText kSwTexts[] = {
    {sw::kOk, "success"},
    {sw::kWrongLength, "wrong length"},
    {sw::kSecurityStatus, "security status not satisfied"},
    {sw::kDataInvalid, "data invalid (e.g. invalid policy)"},
    {sw::kConditionsNotSatisfied, "conditions not satisfied (e.g. wrong object type for this operation)"},
    {sw::kCommandNotAllowed, "command not allowed by the object policy"},
    {sw::kWrongData, "wrong data (possibly a non-existent object [U])"},
    {sw::kFileNotFound, "file not found (applet not installed, or object missing [U])"},
    {sw::kFileFull, "not enough memory"},
    {sw::kWrongP1P2, "incorrect P1/P2"},
    {sw::kInsNotSupported, "instruction not supported"},
    {sw::kClaNotSupported, "class not supported"},
    {sw::kApduThroughput, "APDU throughput error"},
    {sw::kUnknown, "unknown error"},
};

}  // namespace

const char* sw_meaning(uint16_t s) {
  for (const auto& t : kSwTexts)
    if (t.sw == s) return t.text;
  return "unknown status word";
}

Error status_error(std::string_view command, uint16_t s) {
  char hexsw[8];
  std::snprintf(hexsw, sizeof hexsw, "%04X", static_cast<unsigned>(s));
  std::string msg(command);
  msg += ": ";
  msg += sw_meaning(s);
  msg += " (SW ";
  msg += hexsw;
  msg += ")";
  const Errc code = s == sw::kFileFull ? Errc::NoMemory : Errc::StatusWord;
  return Error{code, std::move(msg), s, false};
}

Status check(const Response& r, std::string_view command) {
  if (r.ok()) return {};
  return status_error(command, r.sw);
}

}  // namespace sx::se05x
