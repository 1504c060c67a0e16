// Strict response parsing: anything but the expected TLVs followed by the SW
// is Errc::Malformed; non-9000 SWs become readable typed errors.
#include <gtest/gtest.h>

#include "fake_channel.h"
#include "se05x/client.h"

namespace sx::se05x {
namespace {

using testing::FakeChannel;

struct Case {
  const char* name;
  const char* reply;
  Errc code;
};

class Parse : public ::testing::TestWithParam<Case> {};

TEST_P(Parse, ReadSizeReply) {
  FakeChannel ch;
  Client client(ch);
  ch.reply(GetParam().reply);
  auto r = client.read_size(0x20181001);
  ASSERT_FALSE(r.ok()) << GetParam().name;
  EXPECT_EQ(r.error().code, GetParam().code) << r.error().to_string();
  EXPECT_NE(r.error().message.find("ReadSize"), std::string::npos) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, Parse,
    ::testing::Values(Case{"missing TLV", "90 00", Errc::Malformed},
                      Case{"extra bytes", "41 02 00 20 00 90 00", Errc::Malformed},
                      Case{"extra TLV", "41 02 00 20 42 00 90 00", Errc::Malformed},
                      Case{"wrong tag", "42 02 00 20 90 00", Errc::Malformed},
                      Case{"wrong size", "41 01 20 90 00", Errc::Malformed},
                      Case{"truncated value", "41 02 00 90 00", Errc::Malformed},
                      Case{"truncated length", "41 82 01 90 00", Errc::Malformed},
                      Case{"overlong length", "41 82 FF FF 00 20 90 00", Errc::Malformed},
                      Case{"no SW", "90", Errc::Malformed},
                      Case{"empty", "", Errc::Malformed},
                      Case{"data plus error SW", "41 02 00 20 6A 80", Errc::StatusWord},
                      Case{"error SW", "69 85", Errc::StatusWord},
                      Case{"memory full", "6A 84", Errc::NoMemory}),
    [](const ::testing::TestParamInfo<Case>& p) {
      std::string n = p.param.name;
      for (auto& c : n)
        if (c == ' ') c = '_';
      return n;
    });

TEST(ParseSw, ReadableErrorCarriesTheSw) {
  FakeChannel ch;
  Client client(ch);
  ch.reply("69 86");
  auto st = client.delete_object(1);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::StatusWord);
  EXPECT_EQ(st.error().sw, 0x6986);
  EXPECT_EQ(st.error().message, "DeleteSecureObject: command not allowed by the object policy (SW 6986)");
}

TEST(ParseSw, EmptyReplyExpectedButDataCame) {
  FakeChannel ch;
  Client client(ch);
  ch.reply("41 01 00 90 00");
  EXPECT_EQ(client.delete_object(1).error().code, Errc::Malformed);
}

TEST(ParseTwoTlvs, ReadTypeAndIdList) {
  FakeChannel ch;
  Client client(ch);
  const char* bad_type[] = {"41 01 01 90 00", "41 01 01 42 01 03 90 00", "42 01 01 41 01 01 90 00",
                            "41 01 01 42 01 01 43 00 90 00", "41 02 00 01 42 01 01 90 00"};
  for (const char* r : bad_type) {
    ch.reply(r);
    EXPECT_EQ(client.read_type(1).error().code, Errc::Malformed) << r;
  }
  ch.reply("41 01 01 42 01 02 90 00");
  auto t = client.read_type(1);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->transient);

  const char* bad_list[] = {"41 01 01 90 00", "41 01 03 42 00 90 00", "41 01 01 42 03 00 00 01 90 00",
                            "42 00 41 01 01 90 00", "41 01 01 42 00 00 90 00"};
  for (const char* r : bad_list) {
    ch.reply(r);
    EXPECT_EQ(client.read_id_list(0).error().code, Errc::Malformed) << r;
  }
}

TEST(ParseLengths, RandomVersionMemoryVerify) {
  FakeChannel ch;
  Client client(ch);
  ch.reply("41 02 01 02 90 00");
  EXPECT_EQ(client.get_random(3).error().code, Errc::Malformed);
  ch.reply("41 06 03 01 00 3F FF 01 90 00");
  EXPECT_EQ(client.get_version().error().code, Errc::Malformed);
  ch.reply("41 05 03 02 01 00 02 90 00");
  auto v5 = client.get_version();
  ASSERT_TRUE(v5.ok());
  EXPECT_EQ(v5->applet_config, 0x0002);
  ch.reply("41 03 00 00 01 90 00");
  EXPECT_EQ(client.get_free_memory(MemoryType::Persistent).error().code, Errc::Malformed);
  ch.reply("41 01 03 90 00");
  EXPECT_EQ(client.check_object_exists(1).error().code, Errc::Malformed);
  ch.reply("41 01 30 90 00");  // not DER
  EXPECT_EQ(client.ecdsa_sign(1, Bytes(32, 0)).error().code, Errc::Malformed);
}

TEST(ParseSelect, AcceptsFourFiveSevenBytes) {
  FakeChannel ch;
  Client client(ch);
  ch.reply("07 02 00 01 90 00");
  auto v4 = client.select();
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->major, 7);
  EXPECT_EQ(v4->applet_config, 0);
  ch.reply("03 01 00 90 00");
  EXPECT_EQ(client.select().error().code, Errc::Malformed);
  ch.reply("6A 82");
  auto missing = client.select();
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().sw, 0x6A82);
  EXPECT_NE(missing.error().message.find("SELECT"), std::string::npos);
}

TEST(ParseTransport, ChannelErrorsPassThroughWithTheCommandName) {
  FakeChannel ch;
  Client client(ch);
  ch.reply_error(make_error(Errc::Timeout, "no answer"));
  auto r = client.read_size(1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Timeout);
  EXPECT_EQ(r.error().message, "ReadSize: no answer");
}

}  // namespace
}  // namespace sx::se05x
