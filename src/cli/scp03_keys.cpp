#include "cli/scp03_keys.h"

#include <cstdlib>

#include "se05x/scp03_defaults.h"

namespace sx::cli {

namespace scp = se05x::scp03;

std::string scp03_key_file_path(const std::string& option) {
  if (!option.empty()) return option;
  if (const char* v = std::getenv("SE05X_SCP03_KEY_FILE"); v != nullptr && *v != '\0') return v;
  return kDefaultScp03KeyFile;
}

std::string KeySource::describe() const {
  if (file) return std::string(file->pending ? "pending " : "key file ") + file->path;
  return "published keys of " + variant;
}

Result<std::vector<KeySource>> file_sources(const std::string& path) {
  auto c = device::key_candidates(path);
  if (!c) {
    if (c.error().code == Errc::NotFound) return std::vector<KeySource>{};
    return c.take_error();
  }
  std::vector<KeySource> out;
  for (auto& k : *c) out.push_back(KeySource{k.keys, k, {}});
  return out;
}

std::vector<KeySource> default_sources(std::optional<uint16_t> oef_id) {
  std::vector<KeySource> out;
  if (oef_id)
    if (const auto* d = scp::default_keys_for_oef(*oef_id)) {
      out.push_back(KeySource{d->keys(), std::nullopt, std::string(d->variant)});
      return out;
    }
  // OEF ID unknown (unreadable while SCP is required, docs/scp03.md §8) or
  // not in the table: every published set, one INITIALIZE UPDATE each.
  for (const auto& d : scp::default_key_sets()) out.push_back(KeySource{d.keys(), std::nullopt, std::string(d.variant)});
  return out;
}

Result<std::optional<size_t>> open_with_any(ScpLink& link, ByteView aid, const std::vector<KeySource>& sources,
                                            scp::CounterRule rule) {
  for (size_t i = 0; i < sources.size(); ++i) {
    SX_ASSIGN(Bytes sel, link.select(aid));
    if (sw_of(sel) != 0x9000)
      return Error{Errc::StatusWord, "SELECT " + (aid.empty() ? std::string("of the issuer security domain") : to_hex(aid)) +
                                         " refused (" + sw_text(sel) + ")",
                   sw_of(sel)};
    auto st = link.authenticate(sources[i].keys, rule);
    if (st) return std::optional<size_t>{i};
    // Wrong keys: the card cryptogram did not match; try the next set.
    if (st.error().code != Errc::SecureChannel) return st.take_error();
  }
  return std::optional<size_t>{};
}

}  // namespace sx::cli
