// base/log: the one log scheme of se05xd and the PKCS#11 module — levels are
// syslog priorities, and each program keeps its line format.
#include "base/log.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

namespace sx::log {
namespace {

TEST(Log, LevelsAreSyslogPrioritiesAndFilterByThreshold) {
  EXPECT_EQ(static_cast<int>(Level::Error), 3);
  EXPECT_EQ(static_cast<int>(Level::Warning), 4);
  EXPECT_EQ(static_cast<int>(Level::Info), 6);
  EXPECT_EQ(static_cast<int>(Level::Debug), 7);
  EXPECT_TRUE(passes(Level::Error, Level::Warning));
  EXPECT_TRUE(passes(Level::Warning, Level::Warning));
  EXPECT_FALSE(passes(Level::Info, Level::Warning));
  EXPECT_TRUE(passes(Level::Debug, Level::Debug));
  EXPECT_FALSE(passes(Level::Error, Level::None));
  EXPECT_FALSE(passes(Level::None, Level::Debug));
}

TEST(Log, NamesParseBack) {
  for (Level l : {Level::None, Level::Error, Level::Warning, Level::Info, Level::Debug})
    EXPECT_EQ(parse_level(level_name(l)), l) << level_name(l);
  EXPECT_EQ(parse_level("warn"), Level::Warning);
  EXPECT_FALSE(parse_level("loud").has_value());
  EXPECT_FALSE(parse_level("").has_value());
}

TEST(Log, LineFormatsOfEachProgram) {
  EXPECT_EQ(format_line(StderrStyle::Journal, "se05xd", Level::Warning, "x refused"), "<4>x refused\n");
  EXPECT_EQ(format_line(StderrStyle::Pid, "se05x-pkcs11", Level::Error, "boom"),
            "se05x-pkcs11[" + std::to_string(::getpid()) + "]: error: boom\n");
  const std::string t = format_line(StderrStyle::Timestamped, "se05xd", Level::Info, "up");
  // "YYYY-MM-DD HH:MM:SS se05xd info: up\n"
  ASSERT_EQ(t.size(), 19u + std::string(" se05xd info: up\n").size()) << t;
  EXPECT_EQ(t.substr(19), " se05xd info: up\n");
  EXPECT_EQ(t[4], '-');
  EXPECT_EQ(t[13], ':');
}

}  // namespace
}  // namespace sx::log
