// `info` and `list`.
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "broker/status.h"
#include "cli/chip_policy.h"
#include "cli/commands.h"
#include "cli/keys.h"
#include "cli/objects.h"
#include "cli/parse.h"
#include "cli/printable.h"
#include "device/token_open.h"
#include "token/mech/mechanism_table.h"

namespace sx::cli {
namespace {

void add_broker(const broker::BrokerStatus& st, nlohmann::json& j, std::ostringstream& t) {
  nlohmann::json b = nlohmann::json::parse(st.json, nullptr, false);
  if (b.is_discarded() || !b.is_object()) b = nlohmann::json::object();
  const std::string holder = broker::holder_name(st);
  nlohmann::json queue = nlohmann::json::array();
  for (const auto& c : st.clients)
    if (c.waiting) queue.push_back(c.name);
  // Summary fields for scripts; the rest is the broker's own status document.
  b["holder_name"] = holder;  // "" = the chip is free
  b["queue"] = queue;         // clients with a request waiting for the lock
  j["broker"] = std::move(b);
  // Everything from the broker is text of other processes (client names): escaped like labels.
  t << "Broker:        se05xd " << printable(st.version) << " (pid " << st.pid << "), chip link "
    << (st.chip_up ? "up" : "DOWN") << (st.chip_last_error.empty() ? "" : " (" + printable(st.chip_last_error) + ")")
    << "\n";
  if (holder.empty()) t << "Chip held by:  nobody (free)\n";
  else t << "Chip held by:  " << printable(holder) << " for " << st.lock_held_ms << " ms (limit " << st.lock_hold_max_ms << " ms)\n";
  t << "Waiting:       ";
  if (queue.empty()) t << "nobody\n";
  for (size_t i = 0; i < queue.size(); ++i) t << (i ? "               " : "") << printable(queue[i].get<std::string>()) << "\n";
  t << "Clients:       " << st.clients.size() << " connected (incl. this query), " << st.apdus << " APDUs forwarded\n";
}

// The chip cannot be opened. Behind se05xd the broker still answers: its
// section comes first (docs/cli.md), then the one error line; the exit code
// stays the failure's.
int info_without_chip(Ctx& ctx, const std::string& err, bool no_chip) {
  const Exit e = no_chip ? Exit::NoChip : Exit::Error;
  const std::optional<broker::BrokerStatus>& bs = ctx.broker();
  if (!bs) return ctx.fail(e, err);
  nlohmann::json j;
  std::ostringstream t;
  j["connection"] = ctx.connection();
  t << "Connection:    " << ctx.connection() << "\n";
  add_broker(*bs, j, t);
  if (!ctx.json()) {
    std::cout << t.str() << std::flush;
    return ctx.fail(e, err);
  }
  // One JSON document: the broker's state with the error and exit code.
  j["error"] = err;
  j["exit_code"] = code(e);
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  std::cerr << "se05x: error: " << err << "\n";
  return code(e);
}

// Keys the chip lets a session other than the user's use (docs/chip-pin.md §5):
// factory keys, keys of other tools, keys made while the PIN was checked by the host.
// A chip that does not answer ReadObjectAttributes ([U] on applet 3.x,
// docs/se05x-protocol.md §4.9.4) leaves the rest of `info` intact.
void add_unprotected(Ctx& ctx, nlohmann::json& j, std::ostringstream& t) {
  auto list = unprotected_keys(ctx.token());
  if (!list) {
    j["policy_error"] = list.error().message;
    t << "Chip policies: not readable (" << printable(list.error().message) << ")\n";
    return;
  }
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& u : *list)
    arr.push_back({{"chip_id", hex_id(u.chip_id)}, {"label", u.label}, {"kind", u.who}, {"uses_without_pin", u.uses}});
  j["not_pin_protected_by_chip"] = arr;
  if (list->empty()) return;
  t << "Not PIN-protected by the chip (" << list->size() << "): any process that reaches the chip can use "
    << (list->size() == 1 ? "this key" : "these keys") << " without the PIN\n";
  for (const auto& u : *list) t << "  " << unprotected_text(u) << "\n";
  t << "  Generate a new key (`se05x keygen`) on a chip-PIN token for what the PIN must protect;\n"
    << "  `se05x policy show OBJECT` prints a policy in words.\n";
}

int run_info(Ctx& ctx) {
  {
    std::string err;
    bool no_chip = false;
    if (!ctx.try_open(err, no_chip)) return info_without_chip(ctx, err, no_chip);
  }
  const std::optional<broker::BrokerStatus>& bs = ctx.broker();
  auto& tok = ctx.token();
  const auto ti = tok.info();
  nlohmann::json j;
  j["connection"] = ctx.connection();
  std::string variant = "unknown";
  if (const auto& v = tok.client().applet_version(); v) {
    j["applet_version"] = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
    char cfg[8];
    std::snprintf(cfg, sizeof cfg, "%04X", v->applet_config);
    j["applet_config"] = cfg;
    // The module's capabilities function (device/token_open.h), so both report the same chip.
    const auto caps = device::chip_facts(tok.client()).caps;
    j["rsa"] = caps.rsa;
    j["ec"] = caps.ec;
    variant = caps.rsa ? "SE050 with RSA (e.g. SE050C)" : "SE050 without RSA (e.g. SE050E)";
  }
  j["variant"] = variant;
  // The chip's identity for fleets (NXP's `ssscli se05x uid`), and the serial
  // the module reports in CK_TOKEN_INFO (pkcs11-tool -L), made by the same function.
  if (auto uid = device::read_unique_id(tok.client()); uid) {
    j["unique_id"] = to_hex(*uid);
    j["serial"] = device::serial_of_unique_id(*uid);
  }
  if (auto fm = tok.client().get_free_memory(se05x::MemoryType::Persistent); fm) j["free_persistent_bytes"] = *fm;
  j["token"] = {{"label", ti.label},
                {"initialized", ti.initialized},
                {"metadata", token::store_state_name(ti.store_state)}};
  std::string pins;
  ctx.pin_state(j["token"], pins);
  j["objects"] = tok.objects().size();
  std::ostringstream t;
  t << "Connection:    " << ctx.connection() << "\n";
  if (bs) add_broker(*bs, j, t);
  t << "Applet:        " << j.value("applet_version", std::string("?")) << " (config " << j.value("applet_config", std::string("?"))
    << ")\n";
  t << "Variant:       " << variant << "\n";
  if (j.contains("unique_id"))
    t << "Unique ID:     " << j["unique_id"].get<std::string>() << " (token serial " << j["serial"].get<std::string>() << ")\n";
  if (j.contains("free_persistent_bytes")) t << "Free memory:   " << j["free_persistent_bytes"].get<uint32_t>() << " bytes\n";
  t << "Token label:   " << (ti.label.empty() ? "(none: run `se05x token init`)" : printable(ti.label)) << "\n";
  t << "Initialized:   " << (ti.initialized ? "yes" : "no") << "\n";
  t << pins;
  t << "Metadata:      " << token::store_state_name(ti.store_state) << "\n";
  t << "Objects:       " << tok.objects().size() << "\n";
  add_unprotected(ctx, j, t);
  return ctx.done(j, t.str());
}

// Factory key -> the factory certificate holding its public key. NXP's
// factory objects carry default labels and IDs of their own, so nothing but
// the public key tells which certificate belongs to which key.
std::map<uint32_t, uint32_t> factory_pairs(const token::Token& tok) {
  std::map<uint32_t, uint32_t> out;
  for (const auto& k : tok.objects()) {
    if (!k.factory || k.cls != token::ObjectClass::PrivateKey) continue;
    auto kp = object_public_key(k);
    if (!kp) continue;
    for (const auto& c : tok.objects()) {
      if (!c.factory || c.cls != token::ObjectClass::Certificate) continue;
      auto cp = cert_public_key(c.value);
      if (cp && same_public_key(kp->get(), cp->get())) {
        out[k.chip_id] = c.chip_id;
        break;
      }
    }
  }
  return out;
}

int run_list(Ctx& ctx) {
  if (auto rc = ctx.open()) return *rc;
  auto& tok = ctx.token();
  const auto pairs = factory_pairs(tok);
  std::map<uint32_t, uint32_t> cert_key;
  for (const auto& [k, c] : pairs) cert_key[c] = k;
  nlohmann::json objs = nlohmann::json::array();
  std::vector<std::string> notes_of;
  for (const auto& o : tok.objects()) {
    nlohmann::json oj = object_json(o);
    // "adopted" in the notes only for what was adopted (has our metadata):
    // an untouched factory object is not, whatever its JSON "adopted" (= not
    // created by this module) says.
    std::string notes;
    if (o.factory) {
      notes = "factory";
      const auto kc = pairs.find(o.chip_id);
      const auto ck = cert_key.find(o.chip_id);
      if (o.cls == token::ObjectClass::PrivateKey && kc != pairs.end()) oj["factory_certificate"] = hex_id(kc->second);
      if (o.cls == token::ObjectClass::Certificate && ck != cert_key.end()) oj["factory_key"] = hex_id(ck->second);
      if (o.has_metadata) {
        notes += " adopted";
      } else if (o.cls == token::ObjectClass::PrivateKey && kc != pairs.end()) {
        const std::string cmd = "se05x adopt --key " + hex_id(o.chip_id) + " --cert " + hex_id(kc->second) + " --label LABEL";
        oj["adopt_command"] = cmd;
        notes += " (not adopted; " + cmd + ")";
      } else if (o.cls == token::ObjectClass::Certificate && ck != cert_key.end()) {
        notes += " (not adopted; certificate of key " + hex_id(ck->second) + ")";
      } else {
        notes += " (not adopted)";
      }
    } else if (o.adopted) {
      notes = o.has_metadata ? "adopted" : "other tool (not adopted)";
    }
    oj["adopted_by_user"] = o.has_metadata && o.adopted;
    notes_of.push_back(notes);
    objs.push_back(std::move(oj));
  }
  nlohmann::json j{{"objects", objs}, {"groups", groups_json(tok)}};
  std::ostringstream t;
  char line[512];
  std::snprintf(line, sizeof line, "%-10s  %-11s  %-8s  %-20s  %-10s  %s\n", "CHIP ID", "CLASS", "TYPE", "LABEL", "ID", "NOTES");
  t << line;
  // Labels may hold any bytes (PKCS#11 allows them): escaped, so that they can
  // neither drive the terminal nor fake rows of this table.
  for (size_t i = 0; i < objs.size(); ++i) {
    const auto& o = objs[i];
    std::string type = o.contains("key_type") ? o["key_type"].get<std::string>() : std::to_string(o["bytes"].get<size_t>()) + "B";
    const std::string& notes = notes_of[i];
    std::snprintf(line, sizeof line, "%-10s  %-11s  %-8s  %-20s  %-10s  %s\n", o["chip_id"].get<std::string>().c_str(),
                  o["class"].get<std::string>().c_str(), type.c_str(), printable(o["label"].get<std::string>()).c_str(),
                  o["id"].get<std::string>().c_str(), notes.c_str());
    t << line;
  }
  for (const auto& g : j["groups"]) {
    t << "together: '" << printable(g["label"].get<std::string>()) << "' id " << g["id"].get<std::string>() << ":";
    if (g.contains("private_key")) t << " key " << g["private_key"].get<std::string>();
    if (g.contains("certificate")) t << " cert " << g["certificate"].get<std::string>();
    if (g.contains("match")) t << (g["match"].get<bool>() ? " (public keys match)" : " (PUBLIC KEYS DIFFER)");
    t << "\n";
  }
  for (const auto& [k, c] : pairs) t << "factory pair: key " << hex_id(k) << " cert " << hex_id(c) << " (public keys match)\n";
  return ctx.done(j, t.str());
}

}  // namespace

void add_info_commands(Command& app, Ctx& ctx) {
  app.subcommand("info", "connection, applet, variant, free memory, token label, PIN state",
                 [&ctx] { return run_info(ctx); });
  app.subcommand("list", "every object on the chip with its PKCS#11 class, label and ID",
                 [&ctx] { return run_list(ctx); });
}

}  // namespace sx::cli
