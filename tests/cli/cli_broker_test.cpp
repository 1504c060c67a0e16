// `se05x info` through se05xd: who holds the chip and who waits, as text and
// as JSON, taken while another client holds the lock and one waits for it.
#include <chrono>
#include <fstream>
#include <thread>

#include "broker/status.h"
#include "cli_harness.h"
#include "se05x/connect.h"
#include "support/test_binary.h"

namespace sx::cli::test {
namespace {

using Clock = std::chrono::steady_clock;

class CliBrokerTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (HasFatalFailure()) return;
    std::ofstream(file("se05xd.conf")) << "{ \"connection\": \"" << port() << "\", \"socket\": \"" << sock()
                                       << "\", \"lock_hold_ms\": 60000 }\n";
    broker_ = std::make_unique<sx::testing::SimProcess>(
        sx::test::binary_path("SX_TEST_BROKER", SX_BROKER_BINARY),
        std::vector<std::string>{"--foreground", "--config", file("se05xd.conf"), "--log-level", "warning"});
    ASSERT_TRUE(broker_->start());
  }
  void TearDown() override {
    broker_.reset();
    CliTest::TearDown();
  }
  std::string sock() const { return file("se05xd.sock"); }
  std::string broker_port() const { return "unix:" + sock(); }

  // Clients with a request waiting for the lock (a hang bound, not a timing assert).
  bool wait_for_waiting(size_t n) {
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      auto st = broker::query_status(broker_port());
      if (st) {
        size_t w = 0;
        for (const auto& c : st->clients) w += c.waiting;
        if (w >= n) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  // Runs `se05x ARGS` through the broker while this process holds the chip and
  // another connection waits for it; the lock is released once se05x itself
  // waits (it asked the broker first, then queued to open the chip).
  CliRun info_while_held(const std::vector<std::string>& args, uint64_t& holder_id) {
    auto holder = se05x::open_channel(broker_port());
    EXPECT_TRUE(holder.ok());
    if (!holder.ok()) return {};
    EXPECT_TRUE((*holder)->lock().ok());
    auto st = broker::query_status(broker_port());
    EXPECT_TRUE(st.ok());
    holder_id = st.ok() ? st->lock_holder : 0;
    std::thread waiter([this] {
      auto ch = se05x::open_channel(broker_port());  // WAIT_FOR_CARD waits for the lock
      EXPECT_TRUE(ch.ok());
    });
    EXPECT_TRUE(wait_for_waiting(1));
    CliRun r;
    std::thread cli([&] { r = se05x(args, {{"SE05X_PORT", broker_port()}}); });
    EXPECT_TRUE(wait_for_waiting(2));
    EXPECT_TRUE((*holder)->unlock().ok());
    cli.join();
    waiter.join();
    return r;
  }

  std::unique_ptr<sx::testing::SimProcess> broker_;
};

TEST_F(CliBrokerTest, InfoShowsHolderAndQueueAsJson) {
  uint64_t holder = 0;
  const CliRun r = info_while_held({"--json", "info"}, holder);
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_NE(holder, 0u);
  const auto j = r.json();
  EXPECT_EQ(j["connection"], broker_port());
  EXPECT_EQ(j["applet_version"], "3.1.0");  // the chip behind the broker
  ASSERT_TRUE(j.contains("broker")) << r.out;
  const auto& b = j["broker"];
  EXPECT_EQ(b["broker"], "se05xd");
  EXPECT_EQ(b["pid"].get<int64_t>(), static_cast<int64_t>(broker_->pid()));
  EXPECT_EQ(b["lock"]["holder"].get<uint64_t>(), holder);
  EXPECT_EQ(b["holder_name"].get<std::string>().rfind("client#" + std::to_string(holder) + " (pid " +
                                                           std::to_string(::getpid()),
                                                       0),
            0u)
      << b["holder_name"];
  // The waiting connection (this process too) is in the queue; se05x's own
  // status connection is marked as the one that asked.
  ASSERT_EQ(b["queue"].size(), 1u) << b.dump();
  EXPECT_NE(b["queue"][0].get<std::string>().find("(pid " + std::to_string(::getpid())), std::string::npos);
  int self = 0, holding = 0;
  for (const auto& c : b["clients"]) {
    self += c["self"].get<bool>();
    holding += c["holds_lock"].get<bool>();
  }
  EXPECT_EQ(self, 1);
  EXPECT_EQ(holding, 1);
  EXPECT_EQ(r.err.find("Waiting"), std::string::npos) << r.err;  // --json: no notes
}

TEST_F(CliBrokerTest, InfoShowsHolderAndQueueAsText) {
  uint64_t holder = 0;
  const CliRun r = info_while_held({"info"}, holder);
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_NE(holder, 0u);
  EXPECT_NE(r.out.find("Connection:    " + broker_port()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Broker:        se05xd "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Chip held by:  client#" + std::to_string(holder) + " (pid " + std::to_string(::getpid())),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Waiting:       client#"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Applet:        3.1.0"), std::string::npos) << r.out;
  // While it waited, se05x said for whom (stderr, for humans).
  EXPECT_NE(r.err.find("Waiting for the chip: client#" + std::to_string(holder) + " (pid " +
                       std::to_string(::getpid())),
            std::string::npos)
      << r.err;
}

// Any command that opens the chip says who it waits for; nothing when the chip is free.
TEST_F(CliBrokerTest, CommandWaitingForTheChipSaysWhoHoldsIt) {
  uint64_t holder = 0;
  const CliRun r = info_while_held({"list"}, holder);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("Waiting for the chip: client#" + std::to_string(holder) + " (pid "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("60000 ms at most"), std::string::npos) << r.err;  // the broker's lock_hold_ms
  const CliRun free = se05x({"list"}, {{"SE05X_PORT", broker_port()}});
  ASSERT_EQ(free.rc, 0) << free.err;
  EXPECT_EQ(free.err.find("Waiting"), std::string::npos) << free.err;
}

TEST_F(CliBrokerTest, InfoWithFreeChipAndWithoutBroker) {
  const CliRun r = se05x({"info"}, {{"SE05X_PORT", broker_port()}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("Chip held by:  nobody (free)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Waiting:       nobody"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("Waiting for the chip"), std::string::npos) << r.err;
  // Straight to the simulator (a JRCP server that is no broker): no broker section.
  const CliRun direct = se05x({"--json", "info"});
  ASSERT_EQ(direct.rc, 0) << direct.err;
  EXPECT_FALSE(direct.json().contains("broker")) << direct.out;
  const CliRun text = se05x({"info"});
  EXPECT_EQ(text.out.find("Broker:"), std::string::npos) << text.out;
}

}  // namespace
}  // namespace sx::cli::test
