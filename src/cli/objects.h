// Shared views of the token's objects for the commands: lookups by label and
// chip ID, uniqueness checks that name the colliding object, JSON rendering.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/context.h"
#include "token/token.h"

namespace sx::cli {

struct LabelGroup {
  const token::Object* priv = nullptr;
  const token::Object* pub = nullptr;
  const token::Object* cert = nullptr;
  std::vector<const token::Object*> all;
};
LabelGroup group_of(const token::Token& t, const std::string& label);

// The label is taken by a key or certificate (data objects do not count)
// outside `exclude` (chip IDs).
std::optional<int> require_label_free(Ctx& ctx, const std::string& label, const std::set<uint32_t>& exclude = {});
std::optional<int> require_id_free(Ctx& ctx, ByteView id, const std::set<uint32_t>& exclude = {});
// Before a new key pair (keygen, import): chip open, user logged in, label and ID
// (if given) free. Returns the exit code on failure.
std::optional<int> prepare_new_key(Ctx& ctx, const std::string& label, const std::optional<Bytes>& id);

std::string id_text(ByteView id);  // hex, "" for none
nlohmann::json object_json(const token::Object& o);
// Key, public key and certificate that share label and ID, with "match" =
// the certificate's public key is the key's.
nlohmann::json groups_json(const token::Token& t);

}  // namespace sx::cli
