// Shared helpers for the token tests: an APDU-counting channel, simulators
// cloned from one factory image (RSA keygen for the image happens once), and
// OpenSSL-made keys and certificates.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "link/apdu_channel.h"
#include "sim/simulator.h"
#include "support/sim_channel.h"
#include "token/token.h"

namespace sx::token::test {

class CountingChannel : public link::ApduChannel {
 public:
  explicit CountingChannel(link::ApduChannel& inner) : inner_(inner) {}
  Result<Bytes> open() override { return inner_.open(); }
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override {
    ++apdus;
    return inner_.transceive(capdu);
  }
  Status close() override { return inner_.close(); }
  Status lock() override {
    ++locks;
    if (++depth > max_depth) max_depth = depth;
    return inner_.lock();
  }
  Status unlock() override {
    ++unlocks;
    --depth;
    return inner_.unlock();
  }
  std::string describe() const override { return "counting(" + inner_.describe() + ")"; }
  int apdus = 0, locks = 0, unlocks = 0, depth = 0, max_depth = 0;

 private:
  link::ApduChannel& inner_;
};

// A per-test temporary directory, removed at the end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

// Path of an NVM file holding a fresh SE050C factory image, made once per test run.
const std::string& factory_nvm();

// A simulator + channel; from a copy of the factory image in `nvm` (empty: RAM only, fresh image).
struct Chip {
  std::unique_ptr<sim::Simulator> sim;
  std::unique_ptr<sx::testing::SimChannel> raw;
  std::unique_ptr<CountingChannel> ch;

  static std::unique_ptr<Chip> open_file(const std::string& nvm);  // file must exist
  static std::unique_ptr<Chip> fresh(TempDir& dir, const std::string& name = "chip.nvm");
};

TokenOptions test_options(const std::string& lock_path = "");
std::unique_ptr<Token> open_token(link::ApduChannel& ch, const TokenOptions& opt = test_options());

// Self-signed certificates / keys made with OpenSSL.
Bytes make_cert_der(const std::string& cn, bool ec = true);
Bytes make_ec_private_der(int nid);

const Object* find_one(const Token& t, const std::string& label, ObjectClass cls);
size_t count_class(const Token& t, ObjectClass cls);

}  // namespace sx::token::test
