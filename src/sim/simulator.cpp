#include "sim/simulator.h"

#include <chrono>
#include <thread>

#include "se05x/apdu.h"
#include "sim/applet.h"
#include "sim/factory.h"
#include "sim/latency_model.h"
#include "sim/nvm_file.h"
#include "sim/security_domain.h"

namespace sx::sim {

namespace {

const uint8_t kAtr[35] = {0x00, 0xA0, 0x00, 0x00, 0x03, 0x96, 0x04, 0x03, 0xE8, 0x00, 0xFE, 0x02,
                          0x0B, 0x03, 0xE8, 0x08, 0x01, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00,
                          0x0A, 0x4A, 0x43, 0x4F, 0x50, 0x34, 0x20, 0x41, 0x54, 0x50, 0x4F};

}  // namespace

Simulator::Simulator(const Config& cfg, const Variant& v)
    : cfg_(cfg), variant_(v), sd_(std::make_unique<SecurityDomain>(v, cfg.card_challenge)) {}
Simulator::~Simulator() = default;

Result<std::unique_ptr<Simulator>> Simulator::open(const Config& cfg) {
  const Variant* v = find_variant(cfg.variant);
  if (!v) return make_error(Errc::InvalidArgument, "unknown SE05x variant '" + cfg.variant + "'");
  std::unique_ptr<Simulator> sim(new Simulator(cfg, *v));
  try {
    SX_TRY(sim->load());
  } catch (const std::exception& e) {
    return make_error(Errc::Internal, std::string("simulator open: ") + e.what());
  }
  return sim;
}

Status Simulator::load() {
  Store store;
  bool fresh = true;
  if (!cfg_.nvm_path.empty()) {
    SX_ASSIGN(auto file, read_whole_file(cfg_.nvm_path));
    if (file) {
      SX_ASSIGN(store, deserialize_store(*file, variant_.name));
      fresh = false;
    }
  }
  if (fresh) {
    SX_ASSIGN(store, make_factory_image(variant_));
    SX_TRY(persist(store));
  }
  applet_ = std::make_unique<Applet>(variant_, std::move(store), faults_,
                                     [this](const Store& s) { return persist(s); }, cfg_.auth);
  powered_ = true;
  return {};
}

Status Simulator::persist(const Store& s) {
  if (cfg_.nvm_path.empty()) return {};
  return write_file_atomic(cfg_.nvm_path, serialize_store(s, variant_.name), cfg_.fsync);
}

Bytes Simulator::process(ByteView capdu) {
  try {
    std::lock_guard lock(mu_);
    if (!powered_) return {};
    const auto t0 = std::chrono::steady_clock::now();
    if (capdu.size() >= 4 && capdu[0] == kStatsCla && capdu[1] == kStatsIns) return stats_request(capdu);
    Outcome out = sd_->process(*applet_, capdu);
    const auto host = std::chrono::steady_clock::now() - t0;
    auto modelled = modelled_time(out.name, capdu.size(), out.rapdu.size(), out.op, cfg_.i2c_hz);
    if (out.scp) modelled += scp_time(capdu.size(), out.rapdu.size());
    CommandStats one;
    one.count = 1;
    one.capdu_bytes = capdu.size();
    one.rapdu_bytes = out.rapdu.size();
    one.host_time = std::chrono::duration_cast<std::chrono::nanoseconds>(host);
    one.modelled_time = modelled;
    stats_.record(out.name, one);
    if (out.wrapped) ++stats_.commands["ProcessSessionCmd"].count;
    if (out.scp) ++stats_.commands["PlatformSCP"].count;
    if (out.power_cut) {
      powered_ = false;
      sd_->reset();
      return {};
    }
    if (cfg_.latency_model && modelled > host) std::this_thread::sleep_for(modelled - host);
    return std::move(out.rapdu);
  } catch (...) {
    return se05x::make_response(se05x::sw::kUnknown);
  }
}

Bytes Simulator::stats_request(ByteView capdu) {
  switch (capdu[2]) {
    case 0x00: {
      const std::string j = stats_.to_json();
      return se05x::make_response(ByteView(reinterpret_cast<const uint8_t*>(j.data()), j.size()), se05x::sw::kOk);
    }
    case 0x01:
      stats_ = {};
      return se05x::make_response(se05x::sw::kOk);
    default: return se05x::make_response(se05x::sw::kWrongP1P2);
  }
}

void Simulator::chip_reset() {
  std::lock_guard lock(mu_);
  if (applet_) applet_->reset();
  sd_->reset();
}

Bytes Simulator::factory_ca_certificate() const {
  std::lock_guard lock(mu_);
  return applet_ ? applet_->store().factory_ca_cert : Bytes{};
}

Bytes Simulator::atr() const { return Bytes(kAtr, kAtr + sizeof kAtr); }

Stats Simulator::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Simulator::reset_stats() {
  std::lock_guard lock(mu_);
  stats_ = {};
}

bool Simulator::powered() const {
  std::lock_guard lock(mu_);
  return powered_;
}

Status Simulator::power_on() {
  std::lock_guard lock(mu_);
  sd_->reset();
  try {
    if (cfg_.nvm_path.empty()) {
      Store s = applet_->store();
      applet_ = std::make_unique<Applet>(variant_, std::move(s), faults_,
                                         [this](const Store& st) { return persist(st); }, cfg_.auth);
      applet_->reset();
      powered_ = true;
      return {};
    }
    SX_ASSIGN(auto file, read_whole_file(cfg_.nvm_path));
    if (!file) return make_error(Errc::Io, "NVM file vanished: " + cfg_.nvm_path);
    SX_ASSIGN(Store s, deserialize_store(*file, variant_.name));
    applet_ = std::make_unique<Applet>(variant_, std::move(s), faults_,
                                       [this](const Store& st) { return persist(st); }, cfg_.auth);
    powered_ = true;
    return {};
  } catch (const std::exception& e) {
    return make_error(Errc::Internal, std::string("power on: ") + e.what());
  }
}

}  // namespace sx::sim
