// `info` and `list`.
#include <optional>
#include <sstream>

#include "broker/status.h"
#include "cli/commands.h"
#include "cli/objects.h"
#include "cli/parse.h"
#include "cli/printable.h"
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

int run_info(Ctx& ctx) {
  if (auto rc = ctx.open()) return *rc;
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
    const auto caps = token::capabilities_from_version(*v);
    j["rsa"] = caps.rsa;
    j["ec"] = caps.ec;
    variant = caps.rsa ? "SE050 with RSA (e.g. SE050C)" : "SE050 without RSA (e.g. SE050E)";
  }
  j["variant"] = variant;
  if (auto fm = tok.client().get_free_memory(se05x::MemoryType::Persistent); fm) j["free_persistent_bytes"] = *fm;
  j["token"] = {{"label", ti.label},
                {"initialized", ti.initialized},
                {"user_pin_set", ti.user_pin_set},
                {"user_pin_failures", ti.user_failures},
                {"user_pin_locked", ti.user_locked},
                {"so_pin_locked", ti.so_locked},
                {"metadata", token::store_state_name(ti.store_state)}};
  j["objects"] = tok.objects().size();
  std::ostringstream t;
  t << "Connection:    " << ctx.connection() << "\n";
  if (bs) add_broker(*bs, j, t);
  t << "Applet:        " << j.value("applet_version", std::string("?")) << " (config " << j.value("applet_config", std::string("?"))
    << ")\n";
  t << "Variant:       " << variant << "\n";
  if (j.contains("free_persistent_bytes")) t << "Free memory:   " << j["free_persistent_bytes"].get<uint32_t>() << " bytes\n";
  t << "Token label:   " << (ti.label.empty() ? "(none: run `se05x token init`)" : printable(ti.label)) << "\n";
  t << "Initialized:   " << (ti.initialized ? "yes" : "no") << "\n";
  t << "User PIN:      "
    << (!ti.user_pin_set ? "not set" : ti.user_locked ? "LOCKED" : ti.user_failures ? "set (" + std::to_string(ti.user_failures) + " failed tries)" : "set")
    << "\n";
  t << "Metadata:      " << token::store_state_name(ti.store_state) << "\n";
  t << "Objects:       " << tok.objects().size();
  return ctx.done(j, t.str());
}

int run_list(Ctx& ctx) {
  if (auto rc = ctx.open()) return *rc;
  auto& tok = ctx.token();
  nlohmann::json objs = nlohmann::json::array();
  for (const auto& o : tok.objects()) objs.push_back(object_json(o));
  nlohmann::json j{{"objects", objs}, {"groups", groups_json(tok)}};
  std::ostringstream t;
  char line[512];
  std::snprintf(line, sizeof line, "%-10s  %-11s  %-8s  %-20s  %-10s  %s\n", "CHIP ID", "CLASS", "TYPE", "LABEL", "ID", "NOTES");
  t << line;
  // Labels may hold any bytes (PKCS#11 allows them): escaped, so that they can
  // neither drive the terminal nor fake rows of this table.
  for (const auto& o : objs) {
    std::string type = o.contains("key_type") ? o["key_type"].get<std::string>() : std::to_string(o["bytes"].get<size_t>()) + "B";
    std::string notes;
    if (o["factory"].get<bool>()) notes += "factory ";
    if (o["adopted"].get<bool>()) notes += "adopted ";
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
