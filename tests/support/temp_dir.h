// A fresh private directory under /tmp, removed with its contents at destruction — the
// one temporary directory of the tests and benchmarks. Always /tmp, not $TMPDIR: Unix
// socket paths inside it must stay under the 108-byte sun_path limit.
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

namespace sx::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sx-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      std::perror("TempDir: mkdtemp");  // no directory: every test using it would be meaningless
      std::abort();
    }
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes (replaces) a file in the directory; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name), std::ios::trunc) << text;
    return file(name);
  }
  // A file's whole content; empty if it cannot be read.
  std::string read(const std::string& name) const {
    std::ifstream in(file(name));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string path_;
};

}  // namespace sx::testing
