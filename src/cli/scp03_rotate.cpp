// `scp03 rotate`: random per-device PlatformSCP03 keys, in the order of
// docs/scp03.md §11 so that a cut or a kill at any step leaves a chip whose
// keys one of the key files holds:
//   0. open a channel on the platform SCP security domain with the current
//      keys (settling a rotation interrupted before);
//   1. new keys of the same length, written to <key file>.next;
//   2. PUT KEY through that channel, the KCVs compared;
//   3. a channel opened again with the new keys (the chip took them);
//   4. settle: the key file becomes the new set, the old one <key file>.prev.
// SE05X_TEST_KILL_AT names a step boundary where the tests kill us.
#include <algorithm>

#include "cli/commands.h"
#include "cli/scp03_cmd.h"
#include "crypto/digest.h"

namespace sx::cli {

namespace scp = se05x::scp03;

namespace {

Result<scp::StaticKeys> random_keys(size_t len) {
  scp::StaticKeys k{Bytes(len), Bytes(len), Bytes(len)};
  for (Bytes* b : {&k.enc, &k.mac, &k.dek})
    if (!crypto::random_bytes(b->data(), b->size())) return make_error(Errc::Crypto, "no random bytes for the new keys");
  return k;
}

// After a failure past step 1 the chip holds the old or the new keys: find
// out which, as the next start would, and settle the key files on it.
std::string recover(ScpLink& link, const RawChip& chip, const std::string& path, const KeySource& current,
                    const scp::StaticKeys& next) {
  std::vector<KeySource> sets{current, KeySource{next, device::KeyCandidate{next, path + ".next", true}, {}}};
  auto r = open_with_any(link, kSsdAid, sets, chip.rule);
  if (!r || !*r)
    return "; the chip could not be asked which keys it holds now: `se05x scp03 status` tries both key sets and "
           "finishes or rolls back";
  const KeySource& used = sets[**r];
  const device::KeyCandidate c = used.file ? *used.file : device::KeyCandidate{used.keys, "", false};
  if (auto st = device::settle_key_file(path, c); !st) return "; settling the key files failed: " + st.error().message;
  return **r == 0 ? "; the chip kept its old keys (nothing changed, " + path + ".next removed)"
                  : "; the chip holds the new keys and " + path + " has them";
}

struct Rotation {
  Ctx& ctx;
  RawChip& chip;
  ScpLink& link;
  const std::string& path;
  const KeySource& current;
  const scp::StaticKeys& next;

  int fail_after_next(const Error& e, const std::string& what) {
    return ctx.fail(e, what + recover(link, chip, path, current, next));
  }

  // Steps 2 and 3; the channel of step 0 is open.
  std::optional<int> put_key_and_prove() {
    auto capdu = scp::put_key(current.keys, next);
    if (!capdu) return ctx.fail(capdu.error(), "building PUT KEY");
    auto r = link.transceive(*capdu);
    secure_wipe(*capdu);
    kill_point("put-key");
    if (!r) return fail_after_next(r.error(), "PUT KEY");
    if (sw_of(*r) != 0x9000)
      return fail_after_next(Error{Errc::StatusWord, "the chip refused PUT KEY (" + sw_text(*r) + ")", sw_of(*r)}, "PUT KEY");
    auto expect = scp::put_key_reply(next);
    if (!expect) return fail_after_next(expect.error(), "PUT KEY");
    if (r->size() != expect->size() + 2 || !std::equal(expect->begin(), expect->end(), r->begin()))
      return fail_after_next(make_error(Errc::SecureChannel, "the chip's key check values differ from the new keys'"),
                             "PUT KEY");
    auto sel = link.select(kSsdAid);
    Status st = !sel ? Status(sel.take_error()) : link.authenticate(next, chip.rule);
    if (!st) return fail_after_next(st.error(), "opening a channel with the new keys");
    kill_point("reopened");
    return std::nullopt;
  }
};

}  // namespace

int run_scp03_rotate(Ctx& ctx, const Scp03Opts& o) {
  const std::string path = scp03_key_file_path(o.key_file);
  RawChip chip;
  if (auto rc = open_raw_chip(ctx, chip)) return *rc;
  ScpLink link(*chip.link);
  std::optional<FoundKeys> found;
  if (auto rc = find_keys(ctx, chip, link, kSsdAid, o, found)) return *rc;
  kill_point("opened");
  const size_t len = found->source.keys.enc.size();
  auto next = random_keys(len);
  if (!next) return ctx.fail(next.error(), "making new keys");
  if (auto st = device::write_key_file(path + ".next", *next,
                                       "PlatformSCP03 keys of this chip, written by se05x scp03 rotate");
      !st)
    return ctx.fail(st.error(), "writing the new keys (nothing changed on the chip)");
  kill_point("next-written");
  Rotation rot{ctx, chip, link, path, found->source, *next};
  if (auto rc = rot.put_key_and_prove()) return *rc;
  if (auto st = device::settle_key_file(path, device::KeyCandidate{*next, path + ".next", true}); !st)
    return ctx.fail(st.error(), "the chip holds the new keys, kept in " + path + ".next; making it the key file failed "
                                "(the next `se05x scp03 status` finishes it)");
  kill_point("settled");
  nlohmann::json j{{"rotated", true},
                   {"key_file", path},
                   {"key_bits", len * 8},
                   {"previous", found->source.describe()},
                   {"previous_kept", found->source.file ? nlohmann::json(path + ".prev") : nlohmann::json()}};
  if (!found->settled.empty()) j["settled_before"] = found->settled;
  std::string t = "PlatformSCP03 keys rotated: the chip holds new random AES-" + std::to_string(len * 8) +
                  " keys, written to " + path + " (root only).";
  if (found->source.file) t += "\nThe replaced keys are kept in " + path + ".prev.";
  else t += "\nThe replaced keys were NXP's published " + found->source.variant + " keys.";
  if (!found->settled.empty()) t += "\nAn interrupted earlier rotation was " + found->settled + " first.";
  return ctx.done(j, t);
}

}  // namespace sx::cli
