// Shared helpers for the token tests: simulators cloned from one factory image behind an
// APDU-counting channel, and token lookups. Channel doubles, TempDir and OpenSSL helpers
// are tests/support's.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/bytes.h"
#include "link/apdu_channel.h"
#include "sim/simulator.h"
#include "support/ossl_check.h"
#include "support/recording_channel.h"
#include "support/sim_channel.h"
#include "support/temp_dir.h"
#include "token/token.h"

namespace sx::token::test {

using sx::testing::RecordingChannel;

// The token tests name the directory's files with path(name); new tests elsewhere use
// sx::testing::TempDir and file(name) directly.
struct TempDir : sx::testing::TempDir {
  std::string path(const std::string& name) const { return file(name); }
};

// Path of an NVM file holding a fresh SE050C factory image, made once per test run.
const std::string& factory_nvm();

// A simulator + channel; from a copy of the factory image in `nvm` (empty: RAM only, fresh image).
struct Chip {
  std::unique_ptr<sim::Simulator> sim;
  std::unique_ptr<sx::testing::SimChannel> raw;
  std::unique_ptr<RecordingChannel> ch;

  static std::unique_ptr<Chip> open_file(const std::string& nvm);  // file must exist
  static std::unique_ptr<Chip> fresh(const sx::testing::TempDir& dir, const std::string& name = "chip.nvm");
};

TokenOptions test_options(const std::string& lock_path = "");
std::unique_ptr<Token> open_token(link::ApduChannel& ch, const TokenOptions& opt = test_options());
// open_token, then every object's bytes read (public keys, certificates, data):
// the token as an application that reads the attributes sees it.
std::unique_ptr<Token> open_token_read(link::ApduChannel& ch, const TokenOptions& opt = test_options());

const Object* find_one(const Token& t, const std::string& label, ObjectClass cls);
size_t count_class(const Token& t, ObjectClass cls);

}  // namespace sx::token::test
