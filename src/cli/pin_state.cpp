// The PIN lines of `info` and `token info` (docs/cli.md "Wrong PINs, locked PINs").
#include <cstdio>

#include "cli/context.h"
#include "token/id_range.h"

namespace sx::cli {
namespace {

std::string pin_hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08X", v);
  return b;
}

// Host PINs: " (3 failed tries, 7 tries left)" after wrong PINs, else nothing
// (the format scripts have parsed since the first release).
std::string host_tries(unsigned failures, unsigned max) {
  if (failures == 0) return "";
  const unsigned left = failures < max ? max - failures : 0u;
  return " (" + std::to_string(failures) + " failed tries, " + std::to_string(left) + (left == 1 ? " try" : " tries") +
         " left)";
}

// Chip PINs: always the chip's count, " (7 of 10 tries left)", with the failures when there are some.
std::string chip_tries(unsigned failures, unsigned max) {
  if (max == 0) return " (no limit on the chip)";
  const unsigned left = failures < max ? max - failures : 0u;
  std::string s = " (";
  if (failures != 0) s += std::to_string(failures) + " failed tries, ";
  return s + std::to_string(left) + " of " + std::to_string(max) + (max == 1 ? " try" : " tries") + " left)";
}

}  // namespace

void Ctx::pin_state(nlohmann::json& j, std::string& text) {
  const token::TokenInfo ti = token_->info();
  const bool chip = ti.chip_pin;
  const unsigned user_left = ti.user_failures < ti.user_max ? ti.user_max - ti.user_failures : 0u;
  const unsigned so_left = ti.so_failures < ti.so_max ? ti.so_max - ti.so_failures : 0u;
  j["pin_checked_by"] = chip ? "chip" : (ti.initialized ? "host" : (module_settings().chip_pin ? "chip" : "host"));
  j["user_pin_set"] = ti.user_pin_set;
  j["user_pin_failures"] = ti.user_failures;
  j["user_pin_locked"] = ti.user_locked;
  j["user_pin_tries_left"] = user_left;
  j["user_pin_max_tries"] = ti.user_max;
  j["so_pin_failures"] = ti.so_failures;
  j["so_pin_locked"] = ti.so_locked;
  j["so_pin_tries_left"] = so_left;
  j["so_pin_max_tries"] = ti.so_max;
  if (chip) {
    j["user_pin_auth_object"] = pin_hex32(token::ids::kUserUserId);
    j["so_pin_auth_object"] = pin_hex32(token::ids::kSoUserId);
  }
  std::string by;
  if (chip) by = "chip (UserID " + pin_hex32(token::ids::kUserUserId) + ")";
  else if (ti.initialized) by = "host (legacy): the chip does not enforce the PIN (docs/chip-pin.md)";
  else if (module_settings().chip_pin) by = "chip, once `se05x token init` has run (pin_storage = chip)";
  else by = "host (pin_storage = host in the module configuration)";
  text += "PIN checked by: " + by + "\n";
  const std::string so_way = chip ? "recover with `se05x token reset --factory`: destroys every key, certificate and PIN"
                                  : "recover with `se05x token reset --yes --label LABEL`: deletes the module's keys";
  std::string user;
  if (!ti.user_pin_set) user = "not set";
  else if (ti.user_locked)
    user = ti.so_locked ? "LOCKED (and the SO PIN too: see below)"
                        : "LOCKED (recover with `se05x token init-pin`, needs the SO PIN)";
  else user = "set" + (chip ? chip_tries(ti.user_failures, ti.user_max) : host_tries(ti.user_failures, ti.user_max));
  std::string so;
  if (!ti.initialized) so = "not set";
  else if (ti.so_locked) so = "LOCKED (" + so_way + ")";
  else so = "set" + (chip ? chip_tries(ti.so_failures, ti.so_max) : host_tries(ti.so_failures, ti.so_max));
  text += "User PIN:      " + user + "\n";
  text += "SO PIN:        " + so + "\n";
}

}  // namespace sx::cli
