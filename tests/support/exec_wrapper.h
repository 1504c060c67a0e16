// How a test starts one of the product programs as a child process.
//
// Natively the program is exec'd directly. A cross-built test suite runs under
// qemu-user, and without binfmt_misc the kernel cannot exec an armhf child: the
// test's execve of se05x-sim would fail with ENOEXEC. SX_TEST_EXEC_WRAPPER names
// a command prefix (whitespace-separated words, no quoting), e.g.
//   SX_TEST_EXEC_WRAPPER="/usr/bin/qemu-arm -L /usr/arm-linux-gnueabihf"
// and every child is started as `<wrapper words> <program> <args>`. qemu-user
// passes a guest's execve to the host kernel, so a test running under qemu can
// start the host's qemu-arm, which then runs the armhf child.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace sx::test {

// The words of SX_TEST_EXEC_WRAPPER; empty when unset.
inline std::vector<std::string> exec_wrapper() {
  std::vector<std::string> words;
  const char* v = std::getenv("SX_TEST_EXEC_WRAPPER");
  if (v == nullptr) return words;
  std::string cur;
  for (const char* p = v; *p != '\0'; ++p) {
    if (*p == ' ' || *p == '\t' || *p == '\n') {
      if (!cur.empty()) words.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(*p);
    }
  }
  if (!cur.empty()) words.push_back(cur);
  return words;
}

// The argument vector that runs `program args...`, through the wrapper if one is set.
// Build it before fork(): the child of a threaded test should only exec.
inline std::vector<std::string> child_argv(const std::string& program, const std::vector<std::string>& args) {
  std::vector<std::string> argv = exec_wrapper();
  argv.push_back(program);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// In the forked child: exec argv (from child_argv); returns only on failure. A path is
// exec'd as it is (execvp would retry an unrunnable armhf ELF as a shell script and
// print nonsense); a bare wrapper name such as "qemu-arm" is looked up in PATH.
inline void exec_child(char* const argv[]) {
  if (std::strchr(argv[0], '/') != nullptr) {
    ::execv(argv[0], argv);
  } else {
    ::execvp(argv[0], argv);
  }
}

// `program` as a shell command word (single-quoted), prefixed by the wrapper — for
// tests that start the program through sh/script.
inline std::string shell_command(const std::string& program) {
  auto quote = [](const std::string& s) {
    std::string q = "'";
    for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  std::string cmd;
  for (const auto& w : exec_wrapper()) cmd += quote(w) + " ";
  return cmd + quote(program);
}

}  // namespace sx::test
