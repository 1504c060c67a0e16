// The broker in process, in front of a scripted chip: admission, status,
// hold limit, queue limit, malformed input, restart with reconnecting clients.
#include "broker/broker.h"

#include <gtest/gtest.h>

#include <thread>

#include "broker/status.h"
#include "fake_chip.h"
#include "link/jrcp.h"
#include "link/jrcp_client.h"
#include "link/socket.h"
#include "se05x/connect.h"
#include "support/sim_process.h"

namespace sx::broker {
namespace {

using testing::FakeChipState;
constexpr int kIo = 10000;  // bounds a hang on failure only

struct Raw {
  link::Fd fd;
  static Raw connect(const std::string& path) {
    auto r = link::unix_connect(path);
    EXPECT_TRUE(r.ok());
    return Raw{r ? std::move(*r) : link::Fd()};
  }
  void send(ByteView b) { ASSERT_TRUE(link::write_all(fd.get(), b, kIo).ok()); }
  void send(uint8_t t, ByteView p = {}) { send(*link::jrcp::encode(t, p)); }
  link::jrcp::Message recv() {
    uint8_t h[4];
    if (!link::read_exact(fd.get(), h, kIo)) return {0xFF, {}};
    link::jrcp::Message m{h[0], Bytes(get_u16(ByteView(h), 2))};
    if (!link::read_exact(fd.get(), m.payload, kIo)) return {0xFF, {}};
    return m;
  }
  bool closed_by_peer() {
    uint8_t b;
    auto s = link::read_exact(fd.get(), std::span(&b, 1), kIo);
    return !s.ok() && s.error().code == Errc::Closed;
  }
};

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg.socket = dir.file("se05xd.sock");
    cfg.lock_hold_ms = 20000;
  }
  void start() {
    auto b = Broker::create(cfg, [this](LogLevel, const std::string& m) {
      std::lock_guard<std::mutex> g(mu);
      lines.push_back(m);
    }, testing::fake_factory(chip));
    ASSERT_TRUE(b.ok()) << b.error().message;
    broker = std::move(*b);
    ASSERT_TRUE(broker->start().ok());
  }
  void TearDown() override {
    if (broker) broker->stop();
  }
  std::string conn() const { return "unix:" + cfg.socket; }
  bool logged(const std::string& needle) {
    std::lock_guard<std::mutex> g(mu);
    for (const auto& l : lines)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }

  sx::testing::TempDir dir;
  Config cfg;
  std::shared_ptr<FakeChipState> chip = std::make_shared<FakeChipState>();
  std::unique_ptr<Broker> broker;
  std::mutex mu;
  std::vector<std::string> lines;
};

TEST_F(BrokerTest, ServesApdusAndTcpIsOffUnlessConfigured) {
  start();
  EXPECT_EQ(broker->listeners(), std::vector<std::string>{conn()});
  auto ch = se05x::open_channel(conn());
  ASSERT_TRUE(ch.ok()) << ch.error().message;
  EXPECT_EQ(*(*ch)->transceive(hex("0102")), hex("0102 9000"));
  auto st = query_status(conn());
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->listeners, std::vector<std::string>{conn()});
  EXPECT_TRUE(st->chip_up);
  EXPECT_EQ(st->apdus, 1u);
}

TEST_F(BrokerTest, TcpListenerWhenConfigured) {
  cfg.tcp = "127.0.0.1:0";
  start();
  ASSERT_EQ(broker->listeners().size(), 2u);
  std::string tcp = broker->listeners()[1];
  ASSERT_EQ(tcp.rfind("jrcp:127.0.0.1:", 0), 0u) << tcp;
  auto ch = se05x::open_channel(tcp);
  ASSERT_TRUE(ch.ok()) << ch.error().message;
  EXPECT_EQ(*(*ch)->transceive(hex("05")), hex("05 9000"));
  auto st = query_status(tcp);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->clients.size(), 2u);
  EXPECT_EQ(st->clients[0].transport, "tcp");
  EXPECT_EQ(st->clients[0].uid, -1);
}

TEST_F(BrokerTest, UnauthorisedUidIsRefusedWithClearMessage) {
  cfg.allow_uids = {4242};
  cfg.allow_gids = {4243};
  start();
  auto ch = se05x::open_channel(conn());
  ASSERT_FALSE(ch.ok());
  EXPECT_NE(ch.error().message.find("access denied for uid " + std::to_string(::getuid())), std::string::npos)
      << ch.error().message;
  auto st = query_status(conn());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("access denied"), std::string::npos) << st.error().message;
  EXPECT_TRUE(logged("refused: se05xd: access denied"));
  EXPECT_EQ(chip->sent.size(), 0u);  // nothing reached the chip
}

TEST_F(BrokerTest, AllowedUidIsServed) {
  cfg.allow_uids = {::getuid()};
  start();
  auto ch = se05x::open_channel(conn());
  ASSERT_TRUE(ch.ok()) << ch.error().message;
  EXPECT_TRUE((*ch)->transceive(hex("01")).ok());
}

TEST_F(BrokerTest, StatusShowsHolderAndWaiter) {
  start();
  Raw a = Raw::connect(cfg.socket), b = Raw::connect(cfg.socket);
  a.send(0x30);
  ASSERT_EQ(a.recv().type, 0x30);
  b.send(0x01, hex("0B"));  // waits for A's lock
  // The status query is answered while the chip is held.
  BrokerStatus st;
  for (int i = 0; i < 200; ++i) {
    auto r = query_status(conn());
    ASSERT_TRUE(r.ok()) << r.error().message;
    st = *r;
    bool waiting = false;
    for (const auto& c : st.clients) waiting |= c.waiting;
    if (waiting) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(st.clients.size(), 3u);
  EXPECT_EQ(st.lock_holder, st.clients[0].id);
  EXPECT_TRUE(st.clients[0].holds_lock);
  EXPECT_EQ(st.clients[0].pid, static_cast<int64_t>(::getpid()));
  EXPECT_TRUE(st.clients[1].waiting);
  EXPECT_TRUE(st.clients[2].is_self);
  std::string text = format_status(st);
  EXPECT_NE(text.find("HOLDS THE CHIP"), std::string::npos) << text;
  EXPECT_NE(text.find("waiting"), std::string::npos) << text;
  a.send(0x31);
  EXPECT_EQ(a.recv().type, 0x31);
  EXPECT_EQ(b.recv().payload, hex("0B 9000"));
}

TEST_F(BrokerTest, StalledHolderIsCutOffAndOthersContinue) {
  cfg.lock_hold_ms = 100;
  start();
  Raw a = Raw::connect(cfg.socket);
  a.send(0x30);
  ASSERT_EQ(a.recv().type, 0x30);
  auto b = se05x::open_channel(conn());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*(*b)->transceive(hex("0C")), hex("0C 9000"));  // after A's hold ran out
  EXPECT_TRUE(a.closed_by_peer());
  auto st = query_status(conn());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->cut_off, 1u);
  EXPECT_EQ(st->lock_holder, 0u);
  EXPECT_TRUE(logged("cut off"));
}

TEST_F(BrokerTest, DepartedHolderSessionIsClosed) {
  start();
  {
    Raw a = Raw::connect(cfg.socket);
    a.send(0x30);
    ASSERT_EQ(a.recv().type, 0x30);
    a.send(0x01, hex("8004001B 06 4104 00000002"));
    EXPECT_EQ(a.recv().payload, hex("4108 0000000000000001 9000"));
    a.send(0x01, hex("80 01 00 00"));  // half of a sequence
    EXPECT_EQ(a.recv().payload, hex("80010000 9000"));
  }  // dies holding the lock with a session open
  auto b = se05x::open_channel(conn());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*(*b)->transceive(hex("0D")), hex("0D 9000"));
  // The session was closed before B was served.
  ASSERT_GE(chip->sent.size(), 4u);
  EXPECT_EQ(chip->sent[chip->sent.size() - 2], hex("80050000 10 1008 0000000000000001 4104 8004001C"));
  auto st = query_status(conn());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->sessions_closed, 1u);
}

TEST_F(BrokerTest, QueueLimitDropsFloodingClient) {
  cfg.max_queue = 4;
  start();
  Raw flood = Raw::connect(cfg.socket);
  Bytes many;
  for (int i = 0; i < 10; ++i) append(many, *link::jrcp::encode(0x01, hex("0E")));
  flood.send(many);
  auto b = se05x::open_channel(conn());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*(*b)->transceive(hex("0F")), hex("0F 9000"));
  // The flooder got nothing or a few replies, then was disconnected.
  bool closed = false;
  for (int i = 0; i < 11 && !closed; ++i) closed = flood.recv().type == 0xFF;
  EXPECT_TRUE(closed);
  EXPECT_TRUE(logged("queue limit"));
}

TEST_F(BrokerTest, MalformedAndOversizedMessagesDoNotWedge) {
  cfg.max_payload = 1024;
  start();
  auto good = se05x::open_channel(conn());
  ASSERT_TRUE(good.ok());
  std::vector<Bytes> evil = {
      hex("01 07 00 01 00"),         // bad NAD
      hex("01 00 FF FF"),            // longer than max_payload
      hex("01 00 04 01"),            // 1025 > 1024
      hex("01 00"),                  // half a header, then silence
      hex("77 00 00 00"),            // unknown type -> ERROR reply, stays connected
      hex("02 00 00 00 03 00 00 00"),  // STATUS then CLOSE
  };
  std::vector<Raw> peers;
  for (const auto& e : evil) {
    peers.push_back(Raw::connect(cfg.socket));
    peers.back().send(e);
  }
  for (int i = 0; i < 20; ++i) EXPECT_EQ(*(*good)->transceive(hex("10")), hex("10 9000"));
  EXPECT_TRUE(peers[0].closed_by_peer());
  EXPECT_TRUE(peers[1].closed_by_peer());
  EXPECT_TRUE(peers[2].closed_by_peer());
  auto unknown = peers[4].recv();
  EXPECT_EQ(unknown.type, link::jrcp::kError);
  EXPECT_EQ(unknown.payload, hex("77"));
  EXPECT_EQ(peers[5].recv().type, link::jrcp::kError);
  EXPECT_EQ(peers[5].recv().type, 0x03);
  EXPECT_TRUE(peers[5].closed_by_peer());
  auto st = query_status(conn());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->clients.size(), 4u);  // good, half-header, unknown-type, the query
}

TEST_F(BrokerTest, ChipDownIsReportedAndRecovers) {
  chip->refuse_open = true;
  start();
  auto ch = se05x::open_channel(conn());
  ASSERT_TRUE(ch.ok()) << ch.error().message;  // WAIT_FOR_CARD gets an empty ATR
  auto r = (*ch)->transceive(hex("11"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no answer from the chip"), std::string::npos) << r.error().message;
  auto st = query_status(conn());
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->chip_up);
  EXPECT_NE(st->chip_last_error.find("no such device"), std::string::npos);
  chip->refuse_open = false;
  EXPECT_EQ(*(*ch)->transceive(hex("12")), hex("12 9000"));
}

TEST_F(BrokerTest, RestartClientsGetClearErrorThenWorkAgain) {
  start();
  auto ch = se05x::open_channel(conn());
  ASSERT_TRUE(ch.ok());
  EXPECT_TRUE((*ch)->transceive(hex("01")).ok());
  broker.reset();  // the broker goes away
  auto r1 = (*ch)->transceive(hex("02"));
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code, Errc::Closed);
  EXPECT_NE(r1.error().message.find("the next call reconnects"), std::string::npos) << r1.error().message;
  auto r2 = (*ch)->transceive(hex("03"));
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message.find("broker"), std::string::npos) << r2.error().message;
  start();
  EXPECT_EQ(*(*ch)->transceive(hex("04")), hex("04 9000"));
}

TEST_F(BrokerTest, ReconnectReplaysTheClientsSelect) {
  start();
  auto ch = se05x::open_channel(conn());
  ASSERT_TRUE(ch.ok());
  const Bytes select = hex("00A4040010A0000003965453000000010300000000");
  EXPECT_TRUE((*ch)->transceive(select).ok());
  broker.reset();  // a new broker process knows nothing of that selection
  EXPECT_FALSE((*ch)->transceive(hex("05")).ok());
  start();
  size_t before = chip->sent.size();
  EXPECT_EQ(*(*ch)->transceive(hex("06")), hex("06 9000"));
  ASSERT_EQ(chip->sent.size(), before + 2);
  EXPECT_EQ(chip->sent[before], select);
  EXPECT_EQ(chip->sent[before + 1], hex("06"));
}

TEST_F(BrokerTest, LockLostInRestartIsNotSilentlyReplaced) {
  start();
  auto ch = se05x::open_channel(conn());
  ASSERT_TRUE(ch.ok());
  ASSERT_TRUE((*ch)->lock().ok());
  EXPECT_TRUE((*ch)->transceive(hex("01")).ok());
  broker.reset();
  start();
  auto r = (*ch)->transceive(hex("02"));  // the old connection is gone
  ASSERT_FALSE(r.ok());
  auto r2 = (*ch)->transceive(hex("03"));  // still refused: the sequence is broken
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message.find("lost while holding the lock"), std::string::npos) << r2.error().message;
  EXPECT_FALSE((*ch)->unlock().ok());
  EXPECT_EQ(*(*ch)->transceive(hex("04")), hex("04 9000"));  // a new sequence may start
}

TEST_F(BrokerTest, SocketModeApplied) {
  cfg.socket_mode = 0600;
  start();
  struct stat st{};
  ASSERT_EQ(::stat(cfg.socket.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace sx::broker
