// printable(): what `se05x` text output does to chip-supplied strings.
#include "cli/printable.h"

#include <gtest/gtest.h>

namespace sx::cli {
namespace {

TEST(Printable, KeepsTextAsItIs) {
  EXPECT_EQ(printable(""), "");
  EXPECT_EQ(printable("greengrass-core"), "greengrass-core");
  EXPECT_EQ(printable("sss:F0000100 ~!@#$%^&*()"), "sss:F0000100 ~!@#$%^&*()");
  EXPECT_EQ(printable("\xe9\x8d\xb5 caf\xc3\xa9 \xf0\x9f\x94\x91"), "\xe9\x8d\xb5 caf\xc3\xa9 \xf0\x9f\x94\x91");
}

TEST(Printable, EscapesC0ControlsAndDel) {
  EXPECT_EQ(printable(std::string("a\x1b[2Jb", 6)), "a\\x1B[2Jb");
  EXPECT_EQ(printable("line\nnext\r\t"), "line\\x0Anext\\x0D\\x09");
  EXPECT_EQ(printable(std::string("\0\x7f", 2)), "\\x00\\x7F");
}

TEST(Printable, EscapesBackslashSoEscapesAreUnambiguous) {
  EXPECT_EQ(printable("\\x1B"), "\\\\x1B");
}

TEST(Printable, EscapesC1AndBidiControls) {
  EXPECT_EQ(printable("\xc2\x9b" "31m"), "\\u009B31m");       // CSI
  EXPECT_EQ(printable("abc\xe2\x80\xae" "fdp.exe"), "abc\\u202Efdp.exe");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(printable("\xe2\x81\xa6x\xe2\x81\xa9"), "\\u2066x\\u2069");
  EXPECT_EQ(printable("\xc2\xa0"), "\xc2\xa0");  // NO-BREAK SPACE is text
}

TEST(Printable, EscapesInvalidUtf8BytewiseAndResynchronises) {
  EXPECT_EQ(printable("bad\xff"), "bad\\xFF");
  EXPECT_EQ(printable("\xc3("), "\\xC3(");                      // lead byte without continuation
  EXPECT_EQ(printable("\xc0\xaf"), "\\xC0\\xAF");               // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xED\\xA0\\x80");      // surrogate U+D800
  EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(printable("\xe9\x8d"), "\\xE9\\x8D");               // truncated at the end
  EXPECT_EQ(printable("\x80" "ok"), "\\x80ok");
}

}  // namespace
}  // namespace sx::cli
