// Which program or library a test runs: the one built beside it, unless an
// environment variable names another — so the same tests can exercise the files
// a Debian package installed (tests/packaging) instead of the build tree.
#pragma once

#include <cstdlib>
#include <string>

namespace sx::test {

// env: e.g. "SX_TEST_SIM"; built: the build tree's path (a compile definition).
inline std::string binary_path(const char* env, const char* built) {
  const char* v = std::getenv(env);
  return (v != nullptr && *v != '\0') ? std::string(v) : std::string(built);
}

}  // namespace sx::test
