// The PlatformSCP03 static keys on the host (docs/scp03.md §10): a root-only
// file in NXP's line format (`ENC <hex>`, `MAC <hex>`, `DEK <hex>`, `#`
// comments), and the rotation journal beside it — `<path>.next` holds keys
// written before PUT KEY changes the chip, `<path>.prev` the keys replaced —
// so that after a cut at any step one of the candidates still opens the
// channel and settle_key_file() finishes or rolls back the rotation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "se05x/scp03.h"

namespace sx::device {

// NXP's format: one keyword and contiguous hex per line, ENC, MAC and DEK
// each exactly once, same length (16 or 32 bytes); blank lines and `#`
// comments are accepted here (NXP's reader refuses blank lines: we never
// write any). Errors name the line, never a key byte.
Result<se05x::scp03::StaticKeys> parse_key_file(std::string_view text);
std::string format_key_file(const se05x::scp03::StaticKeys& keys, std::string_view comment = {});

// Reads a key file, refusing one that group or others may read or write, or
// that is not a regular file (Errc::AccessDenied / Errc::InvalidArgument).
Result<se05x::scp03::StaticKeys> read_key_file(const std::string& path);
// Writes atomically (temp file, fsync, rename, fsync of the directory), mode 0600.
Status write_key_file(const std::string& path, const se05x::scp03::StaticKeys& keys, std::string_view comment = {});

struct KeyCandidate {
  se05x::scp03::StaticKeys keys;
  std::string path;      // the file the keys came from
  bool pending = false;  // `<path>.next`: written by a rotation not known to have finished
};
// The keys to try, current file first, then a pending `.next`. At least one,
// or an error saying why none is usable.
Result<std::vector<KeyCandidate>> key_candidates(const std::string& path);
// After a channel opened with `used`: a pending set becomes current (the old
// file kept as `.prev`); the current set working while a `.next` exists means
// PUT KEY never reached the chip, and the `.next` is removed. Idempotent.
Status settle_key_file(const std::string& path, const KeyCandidate& used);

}  // namespace sx::device
