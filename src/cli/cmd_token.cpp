// `token init | set-pin | init-pin | reset`.
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "cli/commands.h"
#include "cli/printable.h"
#include "se05x/commands.h"

namespace sx::cli {
namespace {

struct TokenOpts {
  std::string label, new_pin_file;
  bool yes = false;
  bool factory = false;  // reset: the chip's DeleteAll
};

// 4..64 bytes, like most PKCS#11 tokens; the module checks the same.
std::optional<int> read_new_pin(Ctx& ctx, const std::string& file, const char* env, const std::string& prompt, std::string& out) {
  auto p = read_new_secret(file, env, prompt);
  // A new PIN of the wrong length, or two different entries, is bad input (exit 2);
  // no PIN at all (no terminal, no file) stays "PIN missing" (exit 5).
  if (!p) return ctx.fail(p.error().code == Errc::InvalidArgument ? Exit::Usage : Exit::Pin, p.error().message);
  out = std::move(*p);
  if (out.size() < 4 || out.size() > 64) {
    secure_wipe(out.data(), out.size());
    return ctx.fail(Exit::Pin, "a PIN must be 4 to 64 characters long");
  }
  return std::nullopt;
}

// The chip's session answered Busy, etc.: said once, the same for every PIN change.
int init_fresh(Ctx& ctx, const TokenOpts& o, bool chip) {
  std::string so;
  if (auto rc = read_new_pin(ctx, ctx.opt().so_pin_file, "SE05X_SO_PIN", "New SO PIN", so)) return *rc;
  auto& tok = ctx.token();
  // pin_storage = chip (docs/chip-pin.md §1): the SO PIN becomes a UserID on
  // the chip and the token record is written inside the SO's session.
  Status s = chip ? tok.init_chip_token(o.label, so) : tok.set_pin(token::UserType::So, so);
  secure_wipe(so.data(), so.size());
  if (!s) return ctx.fail(s.error(), "setting the SO PIN");
  if (!chip)
    if (auto l = tok.set_token_label(o.label); !l) return ctx.fail(l.error(), "setting the token label");
  return -1;
}

int run_init(Ctx& ctx, const TokenOpts& o) {
  if (o.label.empty() || o.label.size() > 32) return ctx.fail(Exit::Usage, "token label must be 1 to 32 bytes");
  if (auto rc = ctx.open()) return *rc;
  auto& tok = ctx.token();
  const bool was = tok.info().initialized;
  if (was) {
    // Re-initialisation needs the current SO PIN (as C_InitToken); on a
    // chip-PIN token the SO's session then writes the label.
    if (auto rc = ctx.login_so()) return *rc;
    if (auto s = tok.set_token_label(o.label); !s) return ctx.fail(s.error(), "setting the token label");
  } else if (const int rc = init_fresh(ctx, o, ctx.token_settings().chip_pin); rc >= 0) {
    return rc;
  }
  const bool chip = tok.chip_pin();
  return ctx.done({{"token_label", o.label}, {"reinitialized", was}, {"pin_checked_by", chip ? "chip" : "host"}},
                  "Token '" + o.label + "' initialised" + (was ? " (again)" : "") +
                      (chip ? "; PINs checked by the chip" : "; PINs checked by the host (legacy)") +
                      "; now set the user PIN with `se05x token init-pin`");
}

// init-pin and set-pin: the same steps but for who logs in (the SO, on an
// initialised token, or the user, who already has a PIN) and the texts.
struct UserPinChange {
  bool by_so;
  const char* not_ready;  // the token lacks what the login needs
  const char* failing;    // what failed, when the chip refuses the new PIN
  const char* done;
};

int change_user_pin(Ctx& ctx, const TokenOpts& o, const UserPinChange& w) {
  if (auto rc = ctx.open()) return *rc;
  auto& tok = ctx.token();
  if (w.by_so ? !tok.info().initialized : !tok.info().user_pin_set) return ctx.fail(Exit::Pin, w.not_ready);
  const bool chip = tok.chip_pin();
  std::string old;  // set-pin on a chip-PIN token: the chip's C_SetPIN checks it again
  struct Wipe {
    std::string& s;
    ~Wipe() { secure_wipe(s.data(), s.size()); }
  } wipe_old{old};
  if (auto rc = w.by_so ? ctx.login_so() : chip ? ctx.login_user_keeping(old) : ctx.login_user()) return *rc;
  std::string pin;
  if (auto rc = read_new_pin(ctx, o.new_pin_file, "SE05X_NEW_PIN", "New user PIN", pin)) return *rc;
  Status s;
  if (!chip) {
    s = tok.set_pin(token::UserType::User, pin);
  } else if (w.by_so) {
    // The SO's session rewrites the user's UserID: a new value and a counter at 0 (the unlock).
    s = tok.init_chip_user_pin(pin);
  } else {
    auto r = tok.change_chip_pin(token::UserType::User, old, pin);
    if (r && *r != token::PinResult::Ok) s = make_error(Errc::PinIncorrect, "the chip refused the current PIN");
    else if (!r) s = r.take_error();
  }
  secure_wipe(pin.data(), pin.size());
  if (!s) return ctx.fail(s.error(), w.failing);
  if (chip) (void)tok.read_pin_counters(std::chrono::steady_clock::duration::zero());
  const auto ti = tok.info();
  nlohmann::json j{{"user_pin_set", true}, {"pin_checked_by", chip ? "chip" : "host"}};
  std::string text = w.done;
  if (chip) {
    j["user_pin_tries_left"] = ti.user_max - std::min(ti.user_failures, ti.user_max);
    j["user_pin_max_tries"] = ti.user_max;
    text += " on the chip (UserID 0x7B5EFFF9, " + std::to_string(ti.user_max) + " tries before it locks)";
  }
  return ctx.done(j, text);
}

int run_init_pin(Ctx& ctx, const TokenOpts& o) {
  return change_user_pin(ctx, o, {true, "the token is not initialised: run `se05x token init` first",
                                  "setting the user PIN", "User PIN set"});
}

int run_set_pin(Ctx& ctx, const TokenOpts& o) {
  return change_user_pin(ctx, o, {false, "no user PIN yet: use `se05x token init-pin`", "changing the user PIN",
                                  "User PIN changed"});
}

// The way out of a locked (or forgotten) SO PIN. The PIN is checked on the
// host against a verifier in the chip's metadata; nobody above the SO can
// vouch for a new one, so the module's keys cannot survive a new SO PIN:
// whoever resets would otherwise set a user PIN and use keys they never had
// the right to. Factory objects cannot be deleted and stay (as unadopted).
// Asked on a terminal; without one (or with --json) only --yes goes on.
std::optional<int> confirm_reset(Ctx& ctx, const TokenOpts& o, const std::string& what, const std::string& question) {
  if (o.yes) return std::nullopt;
  if (!::isatty(STDIN_FILENO) || ctx.json())
    return ctx.fail(Exit::Declined, "refusing to reset the token without --yes (it " + what + ")");
  std::cerr << question << " [y/N] " << std::flush;
  std::string a;
  if (!std::getline(std::cin, a) || !(a == "y" || a == "Y" || a == "yes")) return ctx.fail(Exit::Declined, "not reset");
  return std::nullopt;
}

// The way out of a locked SO PIN on a chip-PIN token (docs/chip-pin.md §1):
// nothing may rewrite the SO's UserID without its session, so the chip starts
// over. DeleteAll (docs/se05x-protocol.md §4.6.1) removes every object NXP did
// not provision: the module's keys, certificates and data, objects of other
// tools, both PINs and the metadata. Factory objects stay.
int run_factory_reset(Ctx& ctx, const TokenOpts& o) {
  if (!o.label.empty()) return ctx.fail(Exit::Usage, "--factory takes no --label: run `se05x token init --label TL` afterwards");
  if (auto rc = ctx.open()) return *rc;
  auto& tok = ctx.token();
  size_t listed = 0;
  for (const auto& ob : tok.objects())
    if (!ob.factory && ob.cls != token::ObjectClass::PublicKey) ++listed;
  const std::string what = "destroys every object on the chip that NXP did not provision: " + std::to_string(listed) +
                           " key(s), certificate(s) and data object(s) of the module and of other tools, both PINs "
                           "and the token metadata; only the factory objects stay";
  if (auto rc = confirm_reset(ctx, o, what,
                        "FACTORY RESET: this " + what + ". Nothing can be recovered. Continue?"))
    return *rc;
  (void)tok.logout();
  Status st = [&]() -> Status {
    SX_ASSIGN(auto lock, tok.hold());
    SX_ASSIGN(auto a, tok.client().run(se05x::CmdId::DeleteAll, {}));
    (void)a;
    return {};
  }();
  // [U] A real applet may want a session of its factory-reset authentication
  // object (docs/se05x-protocol.md §4.6.1); this CLI does not open one yet.
  if (!st)
    return ctx.fail(st.error(), "the chip refused DeleteAll (a real SE050 may require its factory-reset "
                                "authentication object 0x7FFF0205, which this version does not use); nothing was deleted");
  return ctx.done({{"factory_reset", true}, {"destroyed_listed_objects", listed}, {"initialized", false}},
                  "Factory reset done: every object but NXP's factory objects is gone (" + std::to_string(listed) +
                      " listed object(s), both PINs, the metadata).\n"
                      "Start again with `se05x token init --label TL` and `se05x token init-pin`");
}

// The way out of a locked (or forgotten) SO PIN. The PIN is checked on the
// host against a verifier in the chip's metadata; nobody above the SO can
// vouch for a new one, so the module's keys cannot survive a new SO PIN:
// whoever resets would otherwise set a user PIN and use keys they never had
// the right to. Factory objects cannot be deleted and stay (as unadopted).
int run_reset(Ctx& ctx, const TokenOpts& o) {
  if (o.factory) return run_factory_reset(ctx, o);
  if (o.label.empty() || o.label.size() > 32) return ctx.fail(Exit::Usage, "token label must be 1 to 32 bytes");
  if (auto rc = ctx.open()) return *rc;
  auto& tok = ctx.token();
  // Chip-PIN keys can be deleted only in a session (docs/chip-pin.md §2): the
  // host-PIN reset cannot remove them, and nothing replaces the SO's UserID.
  if (tok.chip_pin())
    return ctx.fail(Exit::Usage, "this token's PINs are checked by the chip: `token reset` cannot replace its SO PIN; "
                                 "`se05x token reset --factory` starts the chip over (destroys every key and both PINs)");
  size_t ours = 0;
  for (const auto& ob : tok.objects())
    if (!ob.adopted && ob.cls != token::ObjectClass::PublicKey) ++ours;
  const std::string n = std::to_string(ours);
  if (auto rc = confirm_reset(ctx, o, "deletes the module's " + n + " key(s), certificate(s) and data object(s)",
                        "Reset the token: delete the module's " + n + " object(s) (keys, certificates, data) and both PINs?"))
    return *rc;
  std::string so;
  if (auto rc = read_new_pin(ctx, ctx.opt().so_pin_file, "SE05X_SO_PIN", "New SO PIN", so)) return *rc;
  auto d = tok.reset(o.label, so);
  secure_wipe(so.data(), so.size());
  if (!d) return ctx.fail(d.error(), "resetting the token (run it again to finish)");
  return ctx.done({{"token_label", o.label}, {"destroyed_objects", *d}, {"user_pin_set", false}},
                  "Token reset as '" + printable(o.label) + "': " + std::to_string(*d) +
                      " chip object(s) of the module deleted, new SO PIN set, no user PIN; factory objects kept.\n"
                      "Now set the user PIN with `se05x token init-pin`");
}

// `token info`: the token's PIN state alone (`info` shows it with everything else).
int run_token_info(Ctx& ctx) {
  if (auto rc = ctx.open()) return *rc;
  const auto ti = ctx.token().info();
  nlohmann::json j{{"label", ti.label}, {"initialized", ti.initialized}};
  std::string t = "Token label:   " + (ti.label.empty() ? std::string("(none: run `se05x token init`)") : printable(ti.label)) +
                  "\nInitialized:   " + (ti.initialized ? "yes" : "no") + "\n";
  ctx.pin_state(j, t);
  return ctx.done(j, t);
}

}  // namespace

void add_token_commands(Command& app, Ctx& ctx) {
  Command t = app.subcommand("token", "token label and PINs");
  t.require_subcommand();
  add_command<TokenOpts>(
      t, ctx, "init", "name the token and set its SO PIN (keeps existing objects)", run_init,
      [](Command& c, TokenOpts& o) {
        c.required("--label,-l", o.label, "token label (1-32 bytes; Greengrass resolves the slot by it)");
      });
  add_command<TokenOpts>(
      t, ctx, "init-pin", "set the user PIN (needs the SO PIN); also unlocks a locked user PIN", run_init_pin,
      [](Command& c, TokenOpts& o) {
        c.option("--new-pin-file", o.new_pin_file, "new user PIN (else SE05X_NEW_PIN, else a prompt)");
      });
  add_command<TokenOpts>(
      t, ctx, "set-pin", "change the user PIN (needs the current one)", run_set_pin,
      [](Command& c, TokenOpts& o) {
        c.option("--new-pin-file", o.new_pin_file, "new user PIN (else SE05X_NEW_PIN, else a prompt)");
      });
  add_command<TokenOpts>(
      t, ctx, "reset",
      "start the token over: a new SO PIN, deleting the module's keys (host PINs), or with --factory the chip's "
      "DeleteAll (every key and both PINs; a locked SO PIN of a chip-PIN token)",
      run_reset, [](Command& c, TokenOpts& o) {
        c.option("--label,-l", o.label, "new token label (1-32 bytes; required without --factory)");
        c.flag("--factory", o.factory, "destroy every object NXP did not provision, both PINs and the metadata");
        c.flag("--yes,-y", o.yes, "do not ask");
      });
  t.subcommand("info", "the token's label and PIN state: who checks the PINs, tries left, locked",
               [&ctx] { return run_token_info(ctx); });
}

}  // namespace sx::cli
