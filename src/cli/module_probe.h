// Loads the PKCS#11 module the way Greengrass will (dlopen, C_GetFunctionList,
// C_Initialize with OS locking) and asks it for its token, so `doctor` proves
// the module works with its own configuration instead of only that a file exists.
#pragma once

#include <string>
#include <vector>

namespace sx::cli {

struct ModuleProbe {
  bool loaded = false;        // dlopen + C_GetFunctionList + C_Initialize succeeded
  std::string library;        // "<libraryDescription> <major>.<minor>"
  bool token_present = false; // slot 0 reports a token
  std::string token_label;    // that token's label, blanks trimmed
  std::string error;          // why loading or the token query failed
  std::vector<unsigned long> slots;  // every slot ID the module offers (token or not)
  std::string log;            // what the module wrote to stderr meanwhile (captured, not shown)
};

// Never throws; the module's stderr (its log) is captured into `log` so that
// it cannot interleave with the caller's output; the module is finalised and unloaded before returning, so it
// holds no chip link or lock afterwards. Without `query_token` only the slot
// list is read (the module need not reach the chip for that).
ModuleProbe probe_module(const std::string& path, bool query_token = true);

}  // namespace sx::cli
