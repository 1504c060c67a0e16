// Private to the client_*.cpp files: shared helpers over the command table.
#pragma once

#include <string>
#include <string_view>

#include "se05x/client.h"
#include "se05x/commands.h"
#include "se05x/tlv.h"

namespace sx::se05x {

// Passes r through, prefixing an error with the command name.
template <class T>
Result<T> named(std::string_view name, Result<T> r) {
  if (!r.ok()) return in_command(name, r.take_error());
  return r;
}

inline Error invalid(std::string_view name, std::string_view what) {
  return make_error(Errc::InvalidArgument, std::string(name) + ": " + std::string(what));
}

inline Error malformed_reply(CmdId id, const std::string& what) {
  return make_error(Errc::Malformed, std::string(command(id).name) + ": " + what);
}

inline const char* name_of(CmdId id) { return command(id).name; }

}  // namespace sx::se05x
