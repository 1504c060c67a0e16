// A fresh private directory under /tmp, removed with its contents at destruction — the
// one temporary directory of the tests and benchmarks. Always /tmp, not $TMPDIR: Unix
// socket paths inside it must stay under the 108-byte sun_path limit.
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
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

 private:
  std::string path_;
};

}  // namespace sx::testing
