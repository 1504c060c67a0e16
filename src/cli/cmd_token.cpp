// `token init | set-pin | init-pin | reset`.
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/printable.h"

namespace sx::cli {
namespace {

struct TokenOpts {
  std::string label, new_pin_file;
  bool yes = false;
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

int run_init(Ctx& ctx, const TokenOpts& o) {
  if (o.label.empty() || o.label.size() > 32) return ctx.fail(Exit::Usage, "token label must be 1 to 32 bytes");
  if (auto rc = ctx.open()) return *rc;
  auto& tok = ctx.token();
  const bool was = tok.info().initialized;
  if (was) {
    // Re-initialisation needs the current SO PIN (as C_InitToken).
    if (auto rc = ctx.login_so()) return *rc;
  } else {
    std::string so;
    if (auto rc = read_new_pin(ctx, ctx.opt().so_pin_file, "SE05X_SO_PIN", "New SO PIN", so)) return *rc;
    auto s = tok.set_pin(token::UserType::So, so);
    secure_wipe(so.data(), so.size());
    if (!s) return ctx.fail(s.error(), "setting the SO PIN");
  }
  if (auto s = tok.set_token_label(o.label); !s) return ctx.fail(s.error(), "setting the token label");
  return ctx.done({{"token_label", o.label}, {"reinitialized", was}},
                  "Token '" + o.label + "' initialised" + (was ? " (again)" : "") +
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
  if (auto rc = w.by_so ? ctx.login_so() : ctx.login_user()) return *rc;
  std::string pin;
  if (auto rc = read_new_pin(ctx, o.new_pin_file, "SE05X_NEW_PIN", "New user PIN", pin)) return *rc;
  auto s = tok.set_pin(token::UserType::User, pin);
  secure_wipe(pin.data(), pin.size());
  if (!s) return ctx.fail(s.error(), w.failing);
  return ctx.done({{"user_pin_set", true}}, w.done);
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
int run_reset(Ctx& ctx, const TokenOpts& o) {
  if (o.label.empty() || o.label.size() > 32) return ctx.fail(Exit::Usage, "token label must be 1 to 32 bytes");
  if (auto rc = ctx.open()) return *rc;
  auto& tok = ctx.token();
  size_t ours = 0;
  for (const auto& ob : tok.objects())
    if (!ob.adopted && ob.cls != token::ObjectClass::PublicKey) ++ours;
  if (!o.yes) {
    if (!::isatty(STDIN_FILENO) || ctx.json())
      return ctx.fail(Exit::Declined, "refusing to reset the token without --yes (it deletes the module's " +
                                          std::to_string(ours) + " key(s), certificate(s) and data object(s))");
    std::cerr << "Reset the token: delete the module's " << ours
              << " object(s) (keys, certificates, data) and both PINs? [y/N] " << std::flush;
    std::string a;
    if (!std::getline(std::cin, a) || !(a == "y" || a == "Y" || a == "yes")) return ctx.fail(Exit::Declined, "not reset");
  }
  std::string so;
  if (auto rc = read_new_pin(ctx, ctx.opt().so_pin_file, "SE05X_SO_PIN", "New SO PIN", so)) return *rc;
  auto n = tok.reset(o.label, so);
  secure_wipe(so.data(), so.size());
  if (!n) return ctx.fail(n.error(), "resetting the token (run it again to finish)");
  return ctx.done({{"token_label", o.label}, {"destroyed_objects", *n}, {"user_pin_set", false}},
                  "Token reset as '" + printable(o.label) + "': " + std::to_string(*n) +
                      " chip object(s) of the module deleted, new SO PIN set, no user PIN; factory objects kept.\n"
                      "Now set the user PIN with `se05x token init-pin`");
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
      "start the token over with a new SO PIN (a locked SO PIN's way out): deletes the "
      "module's keys and certificates, keeps factory objects",
      run_reset, [](Command& c, TokenOpts& o) {
        c.required("--label,-l", o.label, "new token label (1-32 bytes)");
        c.flag("--yes,-y", o.yes, "do not ask");
      });
}

}  // namespace sx::cli
