#include <gtest/gtest.h>
#include <openssl/x509.h>

#include "cli/parse.h"

namespace sx::cli {
namespace {

TEST(ParseSubject, CommaForm) {
  auto r = parse_subject("CN=dev 1, O=Acme\\, Inc.,C=JP");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0], (Rdn{"CN", "dev 1"}));
  EXPECT_EQ((*r)[1], (Rdn{"O", "Acme, Inc."}));
  EXPECT_EQ((*r)[2], (Rdn{"C", "JP"}));
}

TEST(ParseSubject, SlashFormAndEqualsInValue) {
  auto r = parse_subject("/CN=a=b/OU=x\\/y");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], (Rdn{"CN", "a=b"}));
  EXPECT_EQ((*r)[1], (Rdn{"OU", "x/y"}));
}

TEST(ParseSubject, Rejects) {
  EXPECT_FALSE(parse_subject("").ok());
  EXPECT_FALSE(parse_subject("CN").ok());
  EXPECT_FALSE(parse_subject("CN=").ok());
  EXPECT_FALSE(parse_subject("=x").ok());
  EXPECT_FALSE(parse_subject("CN=x\\").ok());
  EXPECT_FALSE(parse_subject(std::string("CN=a\x01", 5)).ok());
}

TEST(SubjectDer, EncodesInOrderAndChecksTypes) {
  auto der = subject_der(*parse_subject("CN=thing,O=Acme"));
  ASSERT_TRUE(der.ok());
  const unsigned char* p = der->data();
  X509_NAME* n = d2i_X509_NAME(nullptr, &p, static_cast<long>(der->size()));
  ASSERT_NE(n, nullptr);
  char buf[128];
  X509_NAME_oneline(n, buf, sizeof buf);
  EXPECT_STREQ(buf, "/CN=thing/O=Acme");
  X509_NAME_free(n);
  EXPECT_FALSE(subject_der(*parse_subject("XX=1")).ok());
  EXPECT_FALSE(subject_der(*parse_subject("C=Japan")).ok());  // C must be two letters
  EXPECT_TRUE(subject_der(*parse_subject("2.5.4.3=oid-form")).ok());
}

TEST(Label, Rules) {
  EXPECT_TRUE(check_label("greengrass-core").ok());
  EXPECT_TRUE(check_label("\xE3\x82\xBB\xE3\x83\xB3\xE3\x82\xB5").ok());  // UTF-8 text
  EXPECT_FALSE(check_label("").ok());
  EXPECT_FALSE(check_label(std::string(256, 'a')).ok());
  EXPECT_FALSE(check_label("a\nb").ok());
  EXPECT_FALSE(check_label("\xC0\xAF").ok());  // overlong
  EXPECT_FALSE(check_label("\xE3\x82").ok());  // truncated
  // Labels Greengrass's Java provider cannot round-trip through its URI parser.
  EXPECT_FALSE(check_label("gg core;1").ok());
  EXPECT_FALSE(check_label(" gg").ok());
  EXPECT_FALSE(check_label("gg ").ok());
  EXPECT_TRUE(check_label("gg core").ok());
}

TEST(CkId, Hex) {
  EXPECT_EQ(*parse_ckid("01"), (Bytes{0x01}));
  EXPECT_EQ(*parse_ckid("0xBEEFcafe"), (Bytes{0xBE, 0xEF, 0xCA, 0xFE}));
  EXPECT_EQ(*parse_ckid("de:ad be"), (Bytes{0xDE, 0xAD, 0xBE}));
  EXPECT_FALSE(parse_ckid("").ok());
  EXPECT_FALSE(parse_ckid("0x").ok());
  EXPECT_FALSE(parse_ckid("123").ok());
  EXPECT_FALSE(parse_ckid("zz").ok());
  EXPECT_FALSE(parse_ckid(std::string(512, 'a')).ok());
}

TEST(ChipId, Hex) {
  EXPECT_EQ(*parse_chip_id("0xF0000100"), 0xF0000100u);
  EXPECT_EQ(*parse_chip_id("7b5e0001"), 0x7B5E0001u);
  EXPECT_FALSE(parse_chip_id("0x").ok());
  EXPECT_FALSE(parse_chip_id("0x123456789").ok());
  EXPECT_FALSE(parse_chip_id("0").ok());
  EXPECT_FALSE(parse_chip_id("F000010G").ok());
  EXPECT_EQ(hex_id(0x7B5E0001), "0x7B5E0001");
}

TEST(KeyType, AllNames) {
  for (const char* n : {"ec:p256", "ec:p384", "ec:p521", "rsa:1024", "rsa:1152", "rsa:2048", "rsa:3072", "rsa:4096"}) {
    auto k = parse_key_type(n);
    ASSERT_TRUE(k.ok()) << n;
    EXPECT_EQ(key_type_name(*k), n);
  }
  EXPECT_EQ(parse_key_type("ec:p384")->curve, se05x::Curve::NistP384);
  EXPECT_EQ(parse_key_type("rsa:3072")->rsa_bits, 3072);
  EXPECT_FALSE(parse_key_type("rsa:512").ok());  // the chip takes it, but it is unsafe
  EXPECT_FALSE(parse_key_type("EC:P256").ok());
  EXPECT_FALSE(parse_key_type("").ok());
}

}  // namespace
}  // namespace sx::cli
