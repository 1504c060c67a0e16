// Writing a set of generated files into a directory all at once: each file is
// written under a temporary name (created with its final mode, so a PIN file is
// never readable by others, not even for a moment), synced, and only when every
// one of them is complete are they renamed into place. A failure leaves nothing
// behind.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cli/gg_config.h"

namespace sx::cli {

struct FileOwner {
  uid_t uid;
  gid_t gid;
};

// "USER", "USER:GROUP", "UID:GID" (names looked up, numbers taken as they are).
// Without a group: the user's primary group.
Result<FileOwner> parse_owner(const std::string& spec);

struct WriteOptions {
  std::optional<FileOwner> owner;  // chown of the files marked service_reads
  bool replace = false;            // existing files are an error unless set
};

// Writes every file (names relative to `dir`, subdirectories created as
// needed); returns the absolute paths written. `dir` must be absolute.
Result<std::vector<std::string>> write_files(const std::string& dir, const std::vector<GgFile>& files,
                                             const WriteOptions& opt);

}  // namespace sx::cli
