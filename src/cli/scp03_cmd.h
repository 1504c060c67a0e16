// What `se05x scp03 status | rotate | require` share (cmd_scp03.cpp,
// scp03_rotate.cpp, scp03_require.cpp): their options, the bare link they
// drive step by step, held for the whole command, and the key set found.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/context.h"
#include "cli/scp03_keys.h"
#include "device/chip_lock.h"

namespace sx::cli {

struct Scp03Opts {
  std::string key_file;            // empty: SE05X_SCP03_KEY_FILE, else kDefaultScp03KeyFile
  bool from_default_keys = false;  // rotate / require: the chip may still hold the published keys
  bool yes = false;                // require: confirmed
};

// The chip without the device stack's channel layers: nothing re-opens a
// channel or replays a command behind a provisioning step. The lock file
// (I2C) or the link's lock (JRCP) is held until destruction.
struct RawChip {
  std::unique_ptr<link::ApduChannel> link;
  device::FileLock file_lock;
  bool link_locked = false;
  se05x::scp03::CounterRule rule = se05x::scp03::CounterRule::Applet3;
  uint8_t applet_major = 0, applet_minor = 0;
  RawChip() = default;
  RawChip(RawChip&&) = default;
  RawChip& operator=(RawChip&&) = default;
  ~RawChip();
};

// Opens and locks the chip and selects the applet (plain, which always works:
// docs/scp03.md §7) for its version, hence the counter rule. Refuses se05xd,
// which owns the chip's channel (docs/scp03.md §9). Failures are reported: the
// int is the exit code.
std::optional<int> open_raw_chip(Ctx& ctx, RawChip& out);

// Test hook: SE05X_TEST_KILL_AT=<step> kills this process with SIGKILL at
// that step boundary (the rotation's power-cut tests).
void kill_point(const char* step);

// The key set that opens a channel on `aid`: the key file's (current, then a
// pending .next), then the published ones when allowed. A key-file set that
// worked settles the rotation journal (finishes or rolls back,
// docs/scp03.md §11). Reports failures (the int is the exit code).
struct FoundKeys {
  KeySource source;
  std::string settled;  // "", "finished" or "rolled back": what settling did
};
// Settles the journal after `opened` opened a channel: "finished", "rolled
// back" or "" (nothing was pending).
Result<std::string> settle_after(const std::string& path, const KeySource& opened);
std::optional<int> find_keys(Ctx& ctx, RawChip& chip, ScpLink& link, ByteView aid, const Scp03Opts& o,
                             std::optional<FoundKeys>& out);

}  // namespace sx::cli
