// Chip policies in words (cli/chip_policy.h, se05x/policy.h): decoding, the
// entry that applies to a session (docs/se05x-protocol.md §4.9.5), and which
// keys a session other than the user's may use.
#include "cli/chip_policy.h"

#include <gtest/gtest.h>

#include "se05x/constants.h"
#include "token/id_range.h"
#include "token/token.h"

namespace sx::cli {
namespace {

namespace pol = se05x::policy;
using token::ids::kSoUserId;
using token::ids::kUserUserId;

ObjectPolicy policy_from(const Bytes& raw) {
  ObjectPolicy p;
  auto e = se05x::decode_policy(raw);
  EXPECT_TRUE(e.has_value());
  if (!e) return p;
  p.none = e->empty();
  p.entries = *e;
  return p;
}

ObjectPolicy policy_of(std::vector<se05x::PolicyEntry> e) { return policy_from(se05x::encode_policy(e)); }

TEST(ChipPolicy, DecodeIsTheInverseOfEncode) {
  const Bytes raw = token::Token::chip_policy(token::ObjectClass::PrivateKey, false, false);
  auto e = se05x::decode_policy(raw);
  ASSERT_TRUE(e.has_value());
  ASSERT_EQ(e->size(), 3u);
  EXPECT_EQ((*e)[0].auth_object_id, kUserUserId);
  EXPECT_EQ(se05x::encode_policy(*e), raw);
  // An extension is kept (PCR or object-ID entries).
  const std::vector<se05x::PolicyEntry> ext{{0, pol::kAllowRead, Bytes{1, 2, 3, 4}}};
  auto d = se05x::decode_policy(se05x::encode_policy(ext));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ((*d)[0].extension, (Bytes{1, 2, 3, 4}));
}

TEST(ChipPolicy, MalformedAndEmptyPolicies) {
  EXPECT_TRUE(se05x::decode_policy({})->empty());
  const Bytes short_entry{7, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(se05x::decode_policy(short_entry).has_value());
  const Bytes past_end{8, 0, 0, 0, 0, 0, 0x20, 0};
  EXPECT_FALSE(se05x::decode_policy(past_end).has_value());
}

TEST(ChipPolicy, TheSessionsOwnEntryElseEntryZeroElseNothing) {
  const std::vector<se05x::PolicyEntry> e{{kUserUserId, pol::kAllowSign, {}}, {0, pol::kAllowRead, {}}};
  EXPECT_EQ(se05x::rules_for_session(e, kUserUserId), pol::kAllowSign);
  EXPECT_EQ(se05x::rules_for_session(e, kSoUserId), pol::kAllowRead);
  EXPECT_EQ(se05x::rules_for_session(e, 0), pol::kAllowRead);
  const std::vector<se05x::PolicyEntry> only_user{{kUserUserId, pol::kAllowSign, {}}};
  EXPECT_EQ(se05x::rules_for_session(only_user, 0), 0u);
}

// The sessions besides the owner's that a policy tells apart: 0 first (no session and
// every auth object without an entry), then each other named auth object, once.
TEST(ChipPolicy, RulesOfTheOtherSessions) {
  const std::vector<se05x::PolicyEntry> e{{kUserUserId, pol::kAllowSign, {}},
                                          {kSoUserId, pol::kAllowRead, {}},
                                          {kSoUserId, pol::kAllowDelete, {}},
                                          {0x7DA00001, pol::kForbidAll | pol::kAllowSign, {}}};
  auto o = se05x::rules_of_other_sessions(e, kUserUserId);
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(o[0].auth_id, 0u);
  EXPECT_EQ(o[0].rules, 0u);  // no entry 0: nothing outside the named sessions
  EXPECT_EQ(o[1].auth_id, kSoUserId);
  EXPECT_EQ(o[1].rules, pol::kAllowRead | pol::kAllowDelete);
  EXPECT_EQ(o[2].auth_id, 0x7DA00001u);
  EXPECT_EQ(o[2].rules, 0u);  // FORBID_ALL wins
  // With an entry 0, sessions without their own entry get it; the owner is never listed.
  auto z = se05x::rules_of_other_sessions(std::vector<se05x::PolicyEntry>{{0, pol::kAllowSign, {}}}, kUserUserId);
  ASSERT_EQ(z.size(), 1u);
  EXPECT_EQ(z[0].rules, pol::kAllowSign);
  auto u = se05x::rules_of_other_sessions(std::vector<se05x::PolicyEntry>{{kUserUserId, pol::kAllowSign, {}}}, 0);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].auth_id, kUserUserId);
  EXPECT_EQ(u[0].rules, pol::kAllowSign);
}

TEST(ChipPolicy, RightsInWords) {
  EXPECT_EQ(se05x::rights_in_words(pol::kAllowSign | pol::kAllowVerify | pol::kAllowRead | pol::kAllowDelete),
            "sign, verify, read, delete");
  EXPECT_EQ(se05x::rights_in_words(0), "nothing");
  EXPECT_EQ(se05x::rights_in_words(pol::kAllowRead | 0x10u), "read, other bits 0x00000010");
}

TEST(ChipPolicy, ModuleKeysOfAChipPinTokenAreForTheUsersSessionOnly) {
  const ObjectPolicy p = policy_from(token::Token::chip_policy(token::ObjectClass::PrivateKey, false, false));
  EXPECT_EQ(uses_outside_user_session(p), 0u);
  const auto lines = policy_lines(p);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "user session (0x7B5EFFF9): sign, verify, key agreement, encrypt, decrypt, read, delete");
  EXPECT_EQ(lines[1], "SO session (0x7B5EFFF8): read, delete");
  EXPECT_EQ(lines[2], "any session / no session (0x00000000): read");
  EXPECT_TRUE(policy_json(p)["pin_protected_by_chip"].get<bool>());
}

TEST(ChipPolicy, WhatAnotherSessionMayUse) {
  // No policy: the chip's defaults, everything for everybody.
  ObjectPolicy none = policy_from({});
  EXPECT_NE(uses_outside_user_session(none) & pol::kAllowSign, 0u);
  EXPECT_EQ(policy_lines(none), std::vector<std::string>{"no policy: every session may do everything"});
  ObjectPolicy bad;
  bad.malformed = true;
  EXPECT_NE(uses_outside_user_session(bad), 0u);
  // A factory key: signing for everybody.
  EXPECT_EQ(uses_outside_user_session(policy_of({{0, pol::kAllowSign | pol::kAllowRead, {}}})), pol::kAllowSign);
  // The SO's session may sign: not the user's alone.
  EXPECT_EQ(uses_outside_user_session(policy_of({{kUserUserId, pol::kAllowSign, {}}, {kSoUserId, pol::kAllowSign, {}}})),
            pol::kAllowSign);
  // Another tool's auth object falls back to entry 0: only that entry counts for it.
  EXPECT_EQ(uses_outside_user_session(policy_of({{kUserUserId, pol::kAllowSign, {}}, {0x7DA00001, pol::kAllowDecrypt, {}}})),
            pol::kAllowDecrypt);
  // The user's entry alone: nobody else, and the listing says so.
  const ObjectPolicy user_only = policy_of({{kUserUserId, pol::kAllowSign | pol::kAllowKdf, {}}});
  EXPECT_EQ(uses_outside_user_session(user_only), 0u);
  EXPECT_EQ(policy_lines(user_only).back(), "any other session / no session: nothing");
  // FORBID_ALL wins over the rights beside it.
  EXPECT_EQ(uses_outside_user_session(policy_of({{0, pol::kForbidAll | pol::kAllowSign, {}}})), 0u);
}

}  // namespace
}  // namespace sx::cli
