#include "link/vi2c.h"

#include <gtest/gtest.h>

#include <thread>

#include "fake_bus.h"
#include "link/socket.h"
#include "link/vi2c_wire.h"
#include "support/temp_dir.h"

namespace sx::link {
namespace {

class Vi2cTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path = dir.file("bus");
    ASSERT_TRUE(server.listen(path).ok());
    ASSERT_TRUE(server.start().ok());
  }
  sx::testing::TempDir dir;
  test::FakeBus bus;
  Vi2cServer server{bus, 0x48};
  std::string path;
};

TEST_F(Vi2cTest, WriteAndReadReachTheBus) {
  auto c = Vi2cClient::connect(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE((*c)->write(hex("5A C1 00 C1 D7")).ok());
  bus.queue_reply(hex("A5 E1 00 2A 4B"));
  uint8_t buf[5];
  ASSERT_TRUE((*c)->read(buf).ok());
  EXPECT_EQ(Bytes(buf, buf + 5), hex("A5 E1 00 2A 4B"));
  ASSERT_EQ(bus.writes().size(), 1u);
  EXPECT_EQ(bus.writes()[0], hex("5A C1 00 C1 D7"));
  EXPECT_EQ((*c)->describe(), "vi2c:" + path);
}

TEST_F(Vi2cTest, NackAndIoErrorsPropagate) {
  auto c = Vi2cClient::connect(path);
  ASSERT_TRUE(c.ok());
  uint8_t buf[2];
  auto r = (*c)->read(buf);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Nack);
  EXPECT_NE(r.error().message.find("nothing to send"), std::string::npos);
  bus.set_nack_writes(true);
  EXPECT_EQ((*c)->write(hex("01")).error().code, Errc::Nack);
  bus.set_nack_writes(false);
  EXPECT_EQ((*c)->write(hex("EE")).error().code, Errc::Io);
  // The connection is still in step after errors.
  ASSERT_TRUE((*c)->write(hex("02")).ok());
  EXPECT_EQ(bus.writes().back(), hex("02"));
}

TEST_F(Vi2cTest, WrongAddressIsNacked) {
  auto c = Vi2cClient::connect(path, 0x49);
  ASSERT_TRUE(c.ok());
  bus.queue_reply(hex("00"));
  uint8_t b[1];
  EXPECT_EQ((*c)->read(b).error().code, Errc::Nack);
  EXPECT_EQ((*c)->write(hex("01")).error().code, Errc::Nack);
  EXPECT_TRUE(bus.writes().empty());
}

TEST_F(Vi2cTest, SizeLimitsCheckedLocally) {
  auto c = Vi2cClient::connect(path);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->write({}).error().code, Errc::InvalidArgument);
  Bytes big(vi2c::kMaxData + 1);
  EXPECT_EQ((*c)->write(big).error().code, Errc::InvalidArgument);
  Bytes max(vi2c::kMaxData, 0x11);
  EXPECT_TRUE((*c)->write(max).ok());
}

TEST_F(Vi2cTest, MalformedRequestClosesOnlyThatConnection) {
  auto good = Vi2cClient::connect(path);
  ASSERT_TRUE(good.ok());
  auto raw = unix_connect(path);
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE(write_all(raw->get(), hex("7F 00 00")).ok());  // unknown op
  uint8_t h[3];
  ASSERT_TRUE(read_exact(raw->get(), h, 5000).ok());
  EXPECT_EQ(h[0], vi2c::ST_BAD);
  EXPECT_EQ(read_exact(raw->get(), std::span(h, 1), 5000).error().code, Errc::Closed);
  auto raw2 = unix_connect(path);
  ASSERT_TRUE(write_all(raw2->get(), hex("01 FF FF")).ok());  // write of 65535 > kMaxData
  ASSERT_TRUE(read_exact(raw2->get(), h, 5000).ok());
  EXPECT_EQ(h[0], vi2c::ST_BAD);
  EXPECT_TRUE((*good)->write(hex("03")).ok());
}

TEST_F(Vi2cTest, ConnectionsShareOneBus) {
  constexpr int kThreads = 4, kWrites = 100;
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; ++i)
    ts.emplace_back([&, i] {
      auto c = Vi2cClient::connect(path);
      ASSERT_TRUE(c.ok());
      for (int k = 0; k < kWrites; ++k)
        ASSERT_TRUE((*c)->write(Bytes{static_cast<uint8_t>(i), static_cast<uint8_t>(k)}).ok());
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(bus.writes().size(), static_cast<size_t>(kThreads * kWrites));
}

TEST_F(Vi2cTest, ServerStopIsSeenByClient) {
  auto c = Vi2cClient::connect(path);
  ASSERT_TRUE(c.ok());
  server.stop();
  auto r = (*c)->write(hex("01"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Closed);
  EXPECT_EQ((*c)->write(hex("01")).error().code, Errc::Closed);
}

TEST(Vi2c, ConnectToMissingSocketFails) {
  sx::testing::TempDir dir;
  auto c = Vi2cClient::connect(dir.file("nothing"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Errc::Io);
}

}  // namespace
}  // namespace sx::link
