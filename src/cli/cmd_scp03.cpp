// `scp03 status | rotate | require` (docs/cli.md, docs/scp03.md §10, §11):
// registration, what the three share, and `status`.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "broker/status.h"
#include "cli/commands.h"
#include "cli/scp03_cmd.h"
#include "link/endpoint.h"
#include "se05x/client.h"
#include "se05x/connect.h"
#include "se05x/constants.h"
#include "se05x/scp03_defaults.h"

namespace sx::cli {

namespace scp = se05x::scp03;

RawChip::~RawChip() {
  if (link && link_locked) (void)link->unlock();
  if (link) (void)link->close();
}

void kill_point(const char* step) {
  const char* at = std::getenv("SE05X_TEST_KILL_AT");
  if (at != nullptr && std::strcmp(at, step) == 0) ::raise(SIGKILL);
}

namespace {

bool is_broker(const std::string& conn) {
  auto ep = link::parse_endpoint(conn);
  if (!ep || (ep->kind != link::Endpoint::Kind::JrcpUnix && ep->kind != link::Endpoint::Kind::JrcpTcp)) return false;
  return broker::query_status(link::to_string(*ep), 2000).ok();
}

bool file_exists(const std::string& p) {
  struct stat st{};
  return ::lstat(p.c_str(), &st) == 0;
}

}  // namespace

std::optional<int> open_raw_chip(Ctx& ctx, RawChip& out) {
  const std::string conn = ctx.connection();
  if (is_broker(conn))
    return ctx.fail(Exit::Usage, conn + " is se05xd, which owns the chip's secure channel: stop it "
                                 "(systemctl stop se05xd) and run this with --port i2c:/dev/i2c-N:0x48");
  if (uses_lock_file(conn)) {
    const auto s = ctx.token_settings();
    auto l = device::FileLock::acquire(s.lock_file, s.lock_wait);
    if (!l) return ctx.fail(l.error(), "taking the chip lock " + s.lock_file);
    out.file_lock = std::move(*l);
  }
  se05x::ConnectOptions co;
  co.reconnect = false;  // nothing may replay a command of a provisioning step
  auto l = se05x::open_link(conn, co);
  if (!l) return ctx.fail(Exit::NoChip, "no chip reachable at " + conn + ": " + l.error().message);
  out.link = std::move(l->channel);
  if (auto st = out.link->lock(); !st) return ctx.fail(st.error(), "holding the chip");
  out.link_locked = true;
  ScpLink link(*out.link);
  auto sel = link.select_applet();
  if (!sel) return ctx.fail(sel.error(), "selecting the applet");
  if (sw_of(*sel) != 0x9000) return ctx.fail(Exit::Error, "the chip refused the applet's SELECT (" + sw_text(*sel) + ")");
  auto v = se05x::parse_version(ByteView(*sel).first(sel->size() - 2));
  if (!v) return ctx.fail(v.error(), "reading the applet version");
  out.applet_major = v->major;
  out.applet_minor = v->minor;
  out.rule = scp::counter_rule_for(v->major, v->minor);
  return std::nullopt;
}

std::optional<int> find_keys(Ctx& ctx, RawChip& chip, ScpLink& link, ByteView aid, const Scp03Opts& o,
                             std::optional<FoundKeys>& out) {
  const std::string path = scp03_key_file_path(o.key_file);
  auto fs = file_sources(path);
  if (!fs) return ctx.fail(Exit::BadInput, fs.error().message);
  std::vector<KeySource> sources = std::move(*fs);
  if (o.from_default_keys) {
    auto oef = read_oef_id(link);
    auto d = default_sources(oef ? std::optional<uint16_t>(*oef) : std::nullopt);
    for (auto& s : d) sources.push_back(std::move(s));
  }
  if (sources.empty())
    return ctx.fail(Exit::NotFound, "no key file " + path + ": the chip's current PlatformSCP03 keys are needed (if it "
                                    "still holds NXP's published keys of its variant, add --from-default-keys)");
  auto r = open_with_any(link, aid, sources, chip.rule);
  if (!r && r.error().code == Errc::Unsupported)
    return ctx.fail(Exit::Error, "the chip opens no PlatformSCP03 channel: " + r.error().message);
  if (!r) return ctx.fail(r.error(), "opening the secure channel");
  if (!*r) {
    std::string tried;
    for (const auto& s : sources) tried += (tried.empty() ? "" : ", ") + s.describe();
    return ctx.fail(Exit::Error, "no key set opens a secure channel on the chip (tried " + tried + ")");
  }
  auto settled = settle_after(path, sources[**r]);
  if (!settled) return ctx.fail(settled.error(), "settling the key files after an interrupted rotation");
  out = FoundKeys{sources[**r], *settled};
  return std::nullopt;
}

Result<std::string> settle_after(const std::string& path, const KeySource& opened) {
  // Keys other than the .next's opened the channel (the key file's, or the
  // published ones): PUT KEY never took effect, the .next goes.
  const device::KeyCandidate used = opened.file ? *opened.file : device::KeyCandidate{opened.keys, "", false};
  const bool had_next = file_exists(path + ".next");
  SX_TRY(device::settle_key_file(path, used));
  if (used.pending) return std::string("finished");
  return std::string(had_next ? "rolled back" : "");
}

namespace {

std::string hex16(uint16_t v) { return to_hex(Bytes{static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)}); }

// What the chip and the key files say, gathered before anything is printed.
struct StatusFacts {
  bool plain_accepted = false;
  std::optional<uint16_t> oef_id;
  std::string variant;
  bool scp_answered = true;            // INITIALIZE UPDATE answered at all
  std::optional<KeySource> opened;     // the set that opened a channel on the applet
  std::string settled;                 // what settling the journal did
  std::string key_file, key_file_error;
  bool key_file_present = false, next_present = false, prev_present = false;
};

// Plain GetVersion: refused (6982) when the chip requires the channel (docs/scp03.md §7).
Result<bool> plain_accepted(ScpLink& link) {
  se05x::Client c(link);
  auto v = c.get_version();
  if (v) return true;
  if (v.error().sw == scp::kSwSecurityStatus) return false;
  return v.take_error();
}

std::optional<int> try_sets(Ctx& ctx, RawChip& chip, ScpLink& link, const std::vector<KeySource>& sets, StatusFacts& f) {
  if (sets.empty() || f.opened || !f.scp_answered) return std::nullopt;
  auto r = open_with_any(link, se05x::kAppletAid, sets, chip.rule);
  if (!r && r.error().code == Errc::Unsupported) {
    f.scp_answered = false;
    return std::nullopt;
  }
  if (!r) return ctx.fail(r.error(), "trying a key set");
  if (*r) f.opened = sets[**r];
  return std::nullopt;
}

std::optional<int> gather(Ctx& ctx, RawChip& chip, const Scp03Opts& o, StatusFacts& f) {
  ScpLink link(*chip.link);
  auto plain = plain_accepted(link);
  if (!plain) return ctx.fail(plain.error(), "sending a plain command");
  f.plain_accepted = *plain;
  if (auto oef = read_oef_id(link)) {
    f.oef_id = *oef;
    if (const auto* d = scp::default_keys_for_oef(*oef)) f.variant = std::string(d->variant);
  }
  f.key_file = scp03_key_file_path(o.key_file);
  f.key_file_present = file_exists(f.key_file);
  f.next_present = file_exists(f.key_file + ".next");
  f.prev_present = file_exists(f.key_file + ".prev");
  auto files = file_sources(f.key_file);
  if (!files) f.key_file_error = files.error().message;
  if (files)
    if (auto rc = try_sets(ctx, chip, link, *files, f)) return rc;
  if (auto rc = try_sets(ctx, chip, link, default_sources(f.oef_id), f)) return rc;
  // The next program to open the chip finishes or rolls back an interrupted
  // rotation (docs/scp03.md §11): status is one. Not with an unusable key
  // file: what it holds is unknown.
  if (!f.opened || !f.key_file_error.empty()) return std::nullopt;
  auto settled = settle_after(f.key_file, *f.opened);
  if (!settled) return ctx.fail(settled.error(), "settling the key files after an interrupted rotation");
  f.settled = *settled;
  f.key_file_present = file_exists(f.key_file);
  f.next_present = file_exists(f.key_file + ".next");
  f.prev_present = file_exists(f.key_file + ".prev");
  return std::nullopt;
}

std::string state_of(const StatusFacts& f) {
  if (!f.plain_accepted) return "required";
  if (!f.scp_answered) return "off";
  if (!f.opened) return "unknown-keys";
  return f.opened->file ? "device-keys" : "default-keys";
}

std::string state_text(const StatusFacts& f) {
  const std::string s = state_of(f);
  if (s == "off") return "off (the chip answers no INITIALIZE UPDATE: no PlatformSCP03)";
  if (s == "unknown-keys")
    return "unknown keys: neither the key file nor any published key set opens a channel (the chip's keys are not on this host)";
  std::string keys = !f.opened ? "but no key set known here opens the channel"
                     : f.opened->file ? "device keys from " + f.key_file
                                      : "NXP's published keys of " + f.opened->variant + ": anyone can open the channel";
  if (s == "required") return "required (the chip refuses plain APDUs); " + keys;
  if (s == "device-keys") return "device keys (the key file " + f.key_file + " opens the channel); plain APDUs still accepted";
  return "default keys (" + keys + "); plain APDUs accepted — rotate with `se05x scp03 rotate --from-default-keys`";
}

int run_status(Ctx& ctx, const Scp03Opts& o) {
  RawChip chip;
  if (auto rc = open_raw_chip(ctx, chip)) return *rc;
  StatusFacts f;
  if (auto rc = gather(ctx, chip, o, f)) return *rc;
  const std::string applet = std::to_string(chip.applet_major) + "." + std::to_string(chip.applet_minor);
  nlohmann::json j{{"state", state_of(f)},
                   {"required", !f.plain_accepted},
                   {"plain_accepted", f.plain_accepted},
                   {"applet", applet},
                   {"oef_id", f.oef_id ? nlohmann::json(hex16(*f.oef_id)) : nlohmann::json()},
                   {"variant", f.variant.empty() ? nlohmann::json() : nlohmann::json(f.variant)},
                   {"opens_with", !f.opened ? nlohmann::json()
                                  : f.opened->file ? nlohmann::json(f.opened->file->pending ? "pending" : "key-file")
                                                   : nlohmann::json("default-keys")},
                   {"settled", f.settled.empty() ? nlohmann::json() : nlohmann::json(f.settled)},
                   {"key_file", {{"path", f.key_file}, {"present", f.key_file_present}, {"pending_next", f.next_present},
                                 {"prev", f.prev_present}}}};
  if (!f.key_file_error.empty()) j["key_file"]["error"] = f.key_file_error;
  std::string t = "PlatformSCP03: " + state_text(f) + "\n";
  t += "Chip:          applet " + applet +
       (f.oef_id ? ", OEF ID " + hex16(*f.oef_id) + (f.variant.empty() ? "" : " (" + f.variant + ")") : ", OEF ID not readable") + "\n";
  t += "Key file:      " + f.key_file + (f.key_file_present ? "" : " (none)") + (f.next_present ? ", pending .next" : "") +
       (f.prev_present ? ", .prev kept" : "") + "\n";
  if (!f.key_file_error.empty()) t += "               unusable: " + f.key_file_error + "\n";
  if (!f.settled.empty()) t += "Rotation:      an interrupted rotation was " + f.settled + "\n";
  return ctx.done(j, t);
}

}  // namespace

int run_scp03_rotate(Ctx& ctx, const Scp03Opts& o);   // scp03_rotate.cpp
int run_scp03_require(Ctx& ctx, const Scp03Opts& o);  // scp03_require.cpp

void add_scp03_commands(Command& app, Ctx& ctx) {
  Command s = app.subcommand("scp03", "PlatformSCP03, the encrypted and authenticated I2C link (docs/scp03.md)");
  s.require_subcommand();
  const std::string kf = "key file (NXP's ENC/MAC/DEK format; default SE05X_SCP03_KEY_FILE, else " +
                         std::string(kDefaultScp03KeyFile) + ")";
  add_command<Scp03Opts>(
      s, ctx, "status", "off / default keys / device keys / required, and the key files' state", run_status,
      [kf](Command& c, Scp03Opts& o) { c.option("--key-file", o.key_file, kf); });
  add_command<Scp03Opts>(
      s, ctx, "rotate", "replace the chip's keys by random ones, written to the key file first (PUT KEY)", run_scp03_rotate,
      [kf](Command& c, Scp03Opts& o) {
        c.option("--key-file", o.key_file, kf);
        c.flag("--from-default-keys", o.from_default_keys, "the chip may still hold NXP's published keys of its variant");
      });
  add_command<Scp03Opts>(
      s, ctx, "require", "make the chip refuse plain APDUs from now on (one-way in practice)", run_scp03_require,
      [kf](Command& c, Scp03Opts& o) {
        c.option("--key-file", o.key_file, kf);
        c.flag("--from-default-keys", o.from_default_keys, "the chip may still hold NXP's published keys of its variant");
        c.flag("--yes,-y", o.yes, "do not ask");
      });
}

}  // namespace sx::cli
