#include "sim_server/options.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "se05x/constants.h"
#include "sim/variant.h"

namespace sx::simd {

namespace {

// "400k", "1M", "3.4M", "100000" -> Hz
std::optional<uint32_t> parse_clock(const std::string& s) {
  try {
    size_t pos = 0;
    double v = std::stod(s, &pos);
    std::string unit = s.substr(pos);
    if (unit == "k" || unit == "K" || unit == "kHz") v *= 1e3;
    else if (unit == "M" || unit == "MHz") v *= 1e6;
    else if (!unit.empty() && unit != "Hz") return std::nullopt;
    if (v < 10e3 || v > 5e6) return std::nullopt;
    return static_cast<uint32_t>(v);
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace

ParseOutcome parse_options(int argc, char** argv) {
  Options o;
  CLI::App app{"se05x-sim — a software NXP SE050 that speaks the chip's wire protocol.\n"
               "Serves JRCP v1 (what NXP's middleware uses for its simulator and accessManager)\n"
               "and a virtual I2C bus carrying real T=1 frames."};
  app.footer(
      "Examples:\n"
      "  se05x-sim --nvm se050.nvm --listen jrcp:127.0.0.1:8050\n"
      "  se05x-sim --nvm se050.nvm --listen unix:/tmp/se05x.sock --listen vi2c:/tmp/se05x-i2c.sock\n"
      "  se05x-sim --variant SE050E --latency-model --i2c-clock 1M --listen jrcp:127.0.0.1:0\n"
      "Statistics: a C-APDU FF 53 00 00 returns them as JSON over any transport; --stats-file keeps a copy.");
  std::string clock = "400k";
  double crc_rate = 0;
  app.add_option("--listen,-l", o.listen,
                 "where to serve: jrcp:HOST:PORT (port 0 = any free), unix:PATH, vi2c:PATH (repeatable)");
  app.add_option("--nvm", o.sim.nvm_path, "NVM file (created with a factory image when missing); none = RAM only");
  app.add_option("--variant", o.sim.variant, "chip variant: SE050A, SE050B, SE050C, SE050E, SE051H")
      ->capture_default_str();
  app.add_flag("--latency-model", o.sim.latency_model,
               "make every APDU take the modelled time of a real chip (chip time + I2C wire time)");
  app.add_option("--i2c-clock", clock, "I2C clock of the latency model: 100k, 400k, 1M, 3.4M")->capture_default_str();
  app.add_flag("!--no-fsync", o.sim.fsync, "do not fsync NVM writes (faster, for throw-away NVM files)");
  std::string locked_sw = "6983";
  app.add_flag("--userid-keep-count-on-success", o.sim.auth.keep_count_on_success,
               "a correct UserID does not reset the object's failure counter (the real chip's choice is unknown)");
  app.add_option("--userid-locked-sw", locked_sw,
                 "status word of VerifySessionUserID on a locked UserID: 6983 or 6985 (unknown on a real chip)")
      ->capture_default_str();
  app.add_option("--fault-seed", o.card_faults.seed, "seed of the fault generator");
  app.add_option("--fault-crc-rate", crc_rate, "fraction of T=1 frames (each way) with a corrupted CRC, e.g. 0.01");
  app.add_option("--fault-nack-every", o.card_faults.nack_every, "every Nth I2C transaction starts a NACK burst");
  app.add_option("--fault-nack-burst", o.card_faults.nack_burst, "NACKed transactions per burst");
  app.add_option("--fault-wtx", o.card_faults.wtx_count, "S(WTX) requests before every response");
  app.add_flag("--fault-reset-mid-apdu", o.card_faults.reset_mid_apdu,
               "reset the chip after the first block of the next chained command");
  app.add_option("--power-cut-at", o.power_cut_at, "cut power at the Nth NVM write (then the chip is silent)");
  app.add_flag("--power-cut-torn", o.power_cut_torn, "the cut write is torn (a prefix of it persists)");
  app.add_option("--stats-file", o.stats_file, "keep the statistics as JSON in this file (updated twice a second)");
  app.add_option("--ready-file", o.ready_file, "write the bound endpoints and 'ready' here once listening");
  app.add_flag("--verbose,-v", o.verbose, "log connections and errors to stderr");
  app.add_flag("--print-factory-ca", o.print_factory_ca,
               "print the certificate (PEM) of the simulated NXP CA that issued the factory certificates "
               "of --nvm, creating the NVM first if needed, and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return {std::nullopt, app.exit(e)};
  }
  if (o.listen.empty() && !o.print_factory_ca) {
    std::cerr << "se05x-sim: --listen is required (see --help)\n";
    return {std::nullopt, 2};
  }
  auto hz = parse_clock(clock);
  if (!hz) {
    std::cerr << "se05x-sim: --i2c-clock: '" << clock << "' is not a clock between 10k and 5M\n";
    return {std::nullopt, 2};
  }
  o.sim.i2c_hz = *hz;
  if (locked_sw != "6983" && locked_sw != "6985") {
    std::cerr << "se05x-sim: --userid-locked-sw must be 6983 or 6985\n";
    return {std::nullopt, 2};
  }
  o.sim.auth.locked_sw = locked_sw == "6983" ? se05x::sw::kAuthBlocked : se05x::sw::kConditionsNotSatisfied;
  if (crc_rate < 0 || crc_rate > 0.5) {
    std::cerr << "se05x-sim: --fault-crc-rate must be between 0 and 0.5\n";
    return {std::nullopt, 2};
  }
  o.card_faults.corrupt_tx = crc_rate;
  o.card_faults.corrupt_rx = crc_rate;
  if (!sim::find_variant(o.sim.variant)) {
    std::cerr << "se05x-sim: unknown variant '" << o.sim.variant << "'\n";
    return {std::nullopt, 2};
  }
  return {std::move(o), 0};
}

}  // namespace sx::simd
