// The broker in process, in front of a scripted chip: admission, status,
// hold limit, queue limit, malformed input, restart with reconnecting clients.
#include "broker/broker.h"

#include <gtest/gtest.h>

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
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
    EXPECT_EQ(a.recv().payload.size(), 12u);  // a virtual session ID
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

// --- issue 14 ---

// A child process with other credentials holding connections to the broker.
// Only system calls between fork and _exit (the parent has threads).
class Intruder {
 public:
  struct Creds {
    uid_t uid = 65534;
    gid_t gid = 65534;
    std::vector<gid_t> groups;  // supplementary
  };
  // Opens n connections; each first sends `first` (may be empty), then the
  // child waits until release(). ok() when all connected.
  Intruder(const std::string& path, Creds c, int n, Bytes first = {}) {
    // The other uid must be able to reach the socket in the test's private directory.
    std::string d = path.substr(0, path.rfind('/'));
    if (::chmod(d.c_str(), 0711) != 0) return;
    int ready[2], hold[2];
    if (::pipe(ready) != 0 || ::pipe(hold) != 0) return;
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path.data(), std::min(path.size(), sizeof a.sun_path - 1));
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(hold[1]);
      if (::setgroups(c.groups.size(), c.groups.data()) != 0 || ::setgid(c.gid) != 0 || ::setuid(c.uid) != 0)
        ::_exit(3);
      char ok = 1;
      for (int i = 0; i < n; ++i) {
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) ok = 0;
        if (fd >= 0 && !first.empty() && ::write(fd, first.data(), first.size()) < 0) ok = 0;
      }
      if (::write(ready[1], &ok, 1) != 1) ::_exit(4);
      char b;
      while (::read(hold[0], &b, 1) > 0) {
      }
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(hold[0]);
    hold_ = hold[1];
    char ok = 0;
    ok_ = ::read(ready[0], &ok, 1) == 1 && ok == 1;
    ::close(ready[0]);
  }
  ~Intruder() { release(); }
  bool ok() const { return ok_; }
  void release() {
    if (hold_ >= 0) ::close(hold_);
    hold_ = -1;
    if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int hold_ = -1;
  bool ok_ = false;
};

// The audit: with socket_mode 0666 and allow_uids [0], a refused uid opened
// max_clients idle connections; root then got "too many clients" and
// se05xd --status failed.
TEST_F(BrokerTest, RefusedUidCannotExhaustTheSlots) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root to act as another uid";
  cfg.socket_mode = 0666;
  cfg.allow_uids = {0};
  cfg.max_clients = 8;
  start();
  Intruder bad(cfg.socket, {}, 64);  // idle: never sends a byte
  ASSERT_TRUE(bad.ok());
  auto st = query_status(conn(), kIo);
  ASSERT_TRUE(st.ok()) << st.error().message;
  auto ch = se05x::open_channel(conn());
  ASSERT_TRUE(ch.ok()) << ch.error().message;
  EXPECT_EQ(*(*ch)->transceive(hex("01")), hex("01 9000"));
}

// The audit: admitted clients each sending 3 of 4 header bytes held every
// slot for as long as they liked.
TEST_F(BrokerTest, HalfHeaderClientsLoseTheirSlots) {
  cfg.max_clients = 8;
  cfg.max_clients_per_uid = 8;
  cfg.message_timeout_ms = 100;
  start();
  std::vector<Raw> half;
  for (int i = 0; i < 8; ++i) {
    half.push_back(Raw::connect(cfg.socket));
    half.back().send(hex("01 00 00"));
  }
  for (auto& h : half) EXPECT_TRUE(h.closed_by_peer());
  auto ch = se05x::open_channel(conn());
  ASSERT_TRUE(ch.ok()) << ch.error().message;
  EXPECT_EQ(*(*ch)->transceive(hex("02")), hex("02 9000"));
  EXPECT_TRUE(logged("half a request"));
}

TEST_F(BrokerTest, StatusAnswersWhenEverySlotIsTaken) {
  cfg.max_clients = 4;
  cfg.max_clients_per_uid = 4;
  start();
  std::vector<std::unique_ptr<link::ApduChannel>> held;
  for (int i = 0; i < 4; ++i) {
    auto ch = se05x::open_channel(conn());
    ASSERT_TRUE(ch.ok()) << ch.error().message;
    ASSERT_TRUE((*ch)->transceive(hex("03")).ok());
    held.push_back(std::move(*ch));
  }
  auto st = query_status(conn(), kIo);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->clients.size(), 4u);
  auto extra = se05x::open_channel(conn());
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.error().message.find("too many"), std::string::npos) << extra.error().message;
}

TEST_F(BrokerTest, PerUidCapLeavesRoomForOthers) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root to act as another uid";
  cfg.socket_mode = 0666;
  cfg.max_clients = 8;
  cfg.max_clients_per_uid = 3;
  start();
  // An admitted uid holding as many connections as it can (WAIT_FOR_CARD, then idle).
  Intruder greedy(cfg.socket, {}, 8, *link::jrcp::encode(0x00, link::jrcp::kWaitForCardPayload));
  ASSERT_TRUE(greedy.ok());
  auto ch = se05x::open_channel(conn());
  ASSERT_TRUE(ch.ok()) << ch.error().message;
  EXPECT_EQ(*(*ch)->transceive(hex("04")), hex("04 9000"));
  auto st = query_status(conn(), kIo);
  ASSERT_TRUE(st.ok()) << st.error().message;
  size_t greedy_slots = 0;
  for (const auto& c : st->clients) greedy_slots += c.uid == 65534;
  EXPECT_EQ(greedy_slots, 3u);
}

// Admission by a supplementary group alone (the group is neither the
// client's uid nor its primary gid).
TEST_F(BrokerTest, SupplementaryGroupOnlyClientIsAdmitted) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root to act as another uid";
  cfg.socket_mode = 0666;
  cfg.allow_uids = {0};
  cfg.allow_gids = {4244};
  start();
  Intruder member(cfg.socket, {65534, 65534, {4244}}, 1, *link::jrcp::encode(0x01, hex("05")));
  Intruder stranger(cfg.socket, {65534, 65534, {4245}}, 1, *link::jrcp::encode(0x01, hex("06")));
  ASSERT_TRUE(member.ok());
  ASSERT_TRUE(stranger.ok());
  // The member's APDU reaches the chip; the stranger's does not. Both clients
  // run concurrently: wait (bounded) until the broker has dealt with both,
  // whichever came first (under qemu the refusal often does).
  auto st = query_status(conn(), kIo);
  for (int i = 0; i < 2000 && st.ok() && (st->refused < 1 || st->apdus < 1); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    st = query_status(conn(), kIo);
  }
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->refused, 1u);
  EXPECT_EQ(st->apdus, 1u);
  EXPECT_EQ(chip->sent, std::vector<Bytes>{hex("05")});
}

TEST_F(BrokerTest, RefusesASocketDirectoryOthersCanWrite) {
  std::string d = dir.file("run");
  ASSERT_EQ(::mkdir(d.c_str(), 0755), 0);
  cfg.socket = d + "/se05xd.sock";
  ASSERT_EQ(::chmod(d.c_str(), 0777), 0);
  auto b = Broker::create(cfg, {}, testing::fake_factory(chip));
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find(d), std::string::npos) << b.error().message;
  EXPECT_NE(b.error().message.find("writable"), std::string::npos) << b.error().message;
  // Group-writable by a group that is not the broker's own: refused too
  // (giving the directory to another group needs root).
  ASSERT_EQ(::chmod(d.c_str(), 0775), 0);
  if (::getuid() == 0) {
    ASSERT_EQ(::chown(d.c_str(), static_cast<uid_t>(-1), ::getegid() == 4246 ? 4247 : 4246), 0);
    EXPECT_FALSE(Broker::create(cfg, {}, testing::fake_factory(chip)).ok());
  }
  // Sticky (like /tmp): nobody but the owner may rename over or remove the socket.
  ASSERT_EQ(::chmod(d.c_str(), 01777), 0);
  {
    auto sticky = Broker::create(cfg, {}, testing::fake_factory(chip));
    EXPECT_TRUE(sticky.ok()) << sticky.error().message;
  }
  // Only root and the broker can write: fine.
  ASSERT_EQ(::chmod(d.c_str(), 0755), 0);
  EXPECT_TRUE(Broker::create(cfg, {}, testing::fake_factory(chip)).ok());
}

TEST_F(BrokerTest, ReplacedSocketIsLogged) {
  cfg.socket_check_ms = 20;
  start();
  std::string other = dir.file("impostor.sock");
  auto imp = link::unix_listen(other);
  ASSERT_TRUE(imp.ok());
  ASSERT_EQ(::rename(other.c_str(), cfg.socket.c_str()), 0);
  for (int i = 0; i < 2000 && !logged("replaced"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_TRUE(logged("replaced"));
}

}  // namespace
}  // namespace sx::broker
