// The wiring rule of se05x::open_link (se05x/connect.h): a configured
// PlatformSCP03 layer is stacked on a link this process drives, and never on a
// link to se05xd, which owns the chip's channel (docs/scp03.md §9).
#include <gtest/gtest.h>

#include "../broker/fake_chip.h"
#include "broker/broker.h"
#include "broker/config.h"
#include "se05x/connect.h"
#include "support/sim_process.h"

namespace sx::device::scp03_connect_test {
namespace {

// Stands in for the channel layer: counts how often open_link stacks it.
struct Counting {
  int stacked = 0;
  std::function<std::unique_ptr<link::ApduChannel>(std::unique_ptr<link::ApduChannel>)> layer() {
    return [this](std::unique_ptr<link::ApduChannel> l) {
      ++stacked;
      return l;
    };
  }
};

TEST(Scp03Connect, ABrokerSocketGetsNoChannelLayer) {
  sx::testing::TempDir dir;
  broker::Config cfg;
  cfg.socket = dir.file("se05xd.sock");
  auto chip = std::make_shared<broker::testing::FakeChipState>();
  auto b = broker::Broker::create(cfg, {}, broker::testing::fake_factory(chip));
  ASSERT_TRUE(b.ok()) << b.error().message;
  ASSERT_TRUE((*b)->start().ok());
  auto ep = link::parse_endpoint("unix:" + cfg.socket);
  ASSERT_TRUE(ep.ok());
  EXPECT_TRUE(se05x::is_broker(*ep));
  Counting c;
  se05x::ConnectOptions o;
  o.secure_link = c.layer();
  auto l = se05x::open_link("unix:" + cfg.socket, o);
  ASSERT_TRUE(l.ok()) << l.error().to_string();
  EXPECT_EQ(c.stacked, 0);
  (*b)->stop();
}

TEST(Scp03Connect, ASimulatorSocketGetsTheChannelLayer) {
  sx::testing::TempDir dir;
  auto sim = sx::testing::start_sim_in(dir);
  ASSERT_NE(sim, nullptr);
  auto ep = link::parse_endpoint(sim->endpoints()[0]);
  ASSERT_TRUE(ep.ok());
  EXPECT_FALSE(se05x::is_broker(*ep));
  Counting c;
  se05x::ConnectOptions o;
  o.secure_link = c.layer();
  auto l = se05x::open_link(sim->endpoints()[0], o);
  ASSERT_TRUE(l.ok()) << l.error().to_string();
  EXPECT_EQ(c.stacked, 1);
}

}  // namespace
}  // namespace sx::device::scp03_connect_test
