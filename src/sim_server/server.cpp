#include "sim_server/server.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <openssl/pem.h>

#include "crypto/ossl.h"
#include "link/endpoint.h"

namespace sx::simd {

int print_factory_ca(const Options& o) {
  auto sim = sim::Simulator::open(o.sim);
  if (!sim.ok()) {
    std::cerr << "se05x-sim: " << sim.error().to_string() << "\n";
    return 1;
  }
  const Bytes der = (*sim)->factory_ca_certificate();
  const unsigned char* p = der.data();
  ossl::X509Ptr cert(der.empty() ? nullptr : d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) {
    std::cerr << "se05x-sim: this NVM image keeps no factory CA certificate\n";
    return 1;
  }
  BIO* out = BIO_new_fp(stdout, BIO_NOCLOSE);
  const bool ok = out && PEM_write_bio_X509(out, cert.get()) == 1;
  BIO_free(out);
  return ok ? 0 : 1;
}

Server::~Server() { shutdown(); }

void Server::log(const std::string& s) {
  if (opt_.verbose) std::cerr << "se05x-sim: " << s << "\n";
}

Bytes Server::atr() { return sim_->atr(); }

Bytes Server::transceive(ByteView capdu) { return sim_->process(capdu); }

Result<std::vector<std::string>> Server::start() {
  SX_ASSIGN(sim_, sim::Simulator::open(opt_.sim));
  if (opt_.power_cut_at)
    sim_->faults().cut_at_write(opt_.power_cut_at, opt_.power_cut_torn ? sim::CutMode::TornWrite
                                                                       : sim::CutMode::BeforeWrite);
  std::vector<std::string> bound;
  auto logger = [this](const std::string& s) { log(s); };
  // --verbose shows every event, whatever its level.
  auto leveled = [this](log::Level, const std::string& s) { log(s); };
  for (const auto& spec : opt_.listen) {
    SX_ASSIGN(link::Endpoint ep, link::parse_endpoint(spec, link::EndpointUse::Listen));
    switch (ep.kind) {
      case link::Endpoint::Kind::JrcpTcp:
      case link::Endpoint::Kind::JrcpUnix: {
        // The chip is shared by the broker's rules, with their defaults.
        broker::ServiceOptions so;
        so.log = leveled;
        auto srv = std::make_unique<broker::Service>(*this, so);
        if (ep.kind == link::Endpoint::Kind::JrcpTcp) {
          SX_ASSIGN(uint16_t port, srv->listen_tcp(ep.host, ep.port));
          ep.port = port;
        } else {
          SX_TRY(srv->listen_unix(ep.path));
        }
        SX_TRY(srv->start());
        jrcp_.push_back(std::move(srv));
        break;
      }
      case link::Endpoint::Kind::Vi2c: {
        if (!card_) {
          // An unpowered simulator answers nothing; the card then stays silent (NACKs),
          // like a chip that lost power.
          card_ = std::make_unique<t1::Card>([this](ByteView c) { return sim_->process(c); },
                                             [this] { sim_->chip_reset(); }, t1::CardConfig{sim_->atr()});
          card_->set_faults(opt_.card_faults);
        }
        auto srv = std::make_unique<link::Vi2cServer>(*card_);
        srv->log = logger;
        SX_TRY(srv->listen(ep.path));
        SX_TRY(srv->start());
        vi2c_.push_back(std::move(srv));
        break;
      }
      case link::Endpoint::Kind::I2c:
        return make_error(Errc::InvalidArgument,
                          "cannot listen on '" + spec + "': use jrcp:HOST:PORT, unix:PATH or vi2c:PATH");
    }
    bound.push_back(link::to_string(ep));
    log("listening on " + bound.back());
  }
  if (!opt_.ready_file.empty()) {
    const std::string tmp = opt_.ready_file + ".tmp";
    {
      std::ofstream out(tmp);
      for (const auto& b : bound) out << b << "\n";
      out << "ready\n";
    }
    std::rename(tmp.c_str(), opt_.ready_file.c_str());
  }
  return bound;
}

void Server::write_stats_file() {
  if (opt_.stats_file.empty() || !sim_) return;
  std::string json = sim_->stats().to_json();
  if (json == last_stats_) return;
  const std::string tmp = opt_.stats_file + ".tmp";
  {
    std::ofstream out(tmp);
    out << json << "\n";
  }
  std::rename(tmp.c_str(), opt_.stats_file.c_str());
  last_stats_ = std::move(json);
}

void Server::wait() {
  int ticks = 0;
  while (!stop_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (++ticks % 10 == 0) write_stats_file();
  }
}

void Server::shutdown() {
  for (auto& s : jrcp_) s->stop();
  for (auto& s : vi2c_) s->stop();
  jrcp_.clear();
  vi2c_.clear();
  write_stats_file();
}

}  // namespace sx::simd
