// C_GetOperationState / C_SetOperationState of digests (docs/pkcs11-module.md
// "Operation state"): what OpenSSL's TLS needs when pkcs11-provider is the
// preferred provider (it copies the handshake hash that way).
#include "support/ossl_check.h"
#include "pkcs11/p11_fixture.h"

namespace sx::p11test {

using sx::testing::sha256;

namespace {

using OperationStateTest = P11Test;

Bytes saved_state(CK_FUNCTION_LIST* f, CK_SESSION_HANDLE s) {
  CK_ULONG n = 0;
  EXPECT_EQ(f->C_GetOperationState(s, nullptr, &n), CKR_OK);
  Bytes state(n);
  EXPECT_EQ(f->C_GetOperationState(s, state.data(), &n), CKR_OK);
  state.resize(n);
  return state;
}

Bytes digest_final(CK_FUNCTION_LIST* f, CK_SESSION_HANDLE s) {
  Bytes out(32);
  CK_ULONG n = 32;
  EXPECT_EQ(f->C_DigestFinal(s, out.data(), &n), CKR_OK);
  out.resize(n);
  return out;
}

TEST_F(OperationStateTest, ADigestContinuesInAnotherSessionAndTheOriginalGoesOn) {
  init();
  CK_SESSION_HANDLE a = open(false), b = open(false);
  CK_MECHANISM sha{CKM_SHA256, nullptr, 0};
  ASSERT_EQ(f->C_DigestInit(a, &sha), CKR_OK);
  Bytes part1 = {'h', 'e', 'l', 'l', 'o', ' '}, part2 = {'w', 'o', 'r', 'l', 'd'};
  ASSERT_EQ(f->C_DigestUpdate(a, part1.data(), static_cast<CK_ULONG>(part1.size())), CKR_OK);
  const Bytes state = saved_state(f, a);
  ASSERT_FALSE(state.empty());
  // A buffer one byte short: the length, and the operation goes on.
  CK_ULONG n = static_cast<CK_ULONG>(state.size() - 1);
  Bytes small(state.size());
  EXPECT_EQ(f->C_GetOperationState(a, small.data(), &n), CKR_BUFFER_TOO_SMALL);
  EXPECT_EQ(n, state.size());

  Bytes st = state;
  ASSERT_EQ(f->C_SetOperationState(b, st.data(), static_cast<CK_ULONG>(st.size()), 0, 0), CKR_OK);
  ASSERT_EQ(f->C_DigestUpdate(b, part2.data(), static_cast<CK_ULONG>(part2.size())), CKR_OK);
  Bytes all = part1;
  all.insert(all.end(), part2.begin(), part2.end());
  EXPECT_EQ(digest_final(f, b), sha256(all));
  // The copy did not disturb the original.
  ASSERT_EQ(f->C_DigestUpdate(a, part2.data(), static_cast<CK_ULONG>(part2.size())), CKR_OK);
  EXPECT_EQ(digest_final(f, a), sha256(all));
  // A saved state is a value: restoring it twice gives two equal operations.
  ASSERT_EQ(f->C_SetOperationState(a, st.data(), static_cast<CK_ULONG>(st.size()), 0, 0), CKR_OK);
  EXPECT_EQ(digest_final(f, a), sha256(part1));
}

TEST_F(OperationStateTest, AFreshDigestStillTakesSinglePartAfterARestore) {
  init();
  CK_SESSION_HANDLE a = open(false), b = open(false);
  CK_MECHANISM sha{CKM_SHA256, nullptr, 0};
  ASSERT_EQ(f->C_DigestInit(a, &sha), CKR_OK);
  Bytes st = saved_state(f, a);
  ASSERT_EQ(f->C_SetOperationState(b, st.data(), static_cast<CK_ULONG>(st.size()), 0, 0), CKR_OK);
  Bytes data = {1, 2, 3};
  Bytes out(32);
  CK_ULONG n = 32;
  ASSERT_EQ(f->C_Digest(b, data.data(), 3, out.data(), &n), CKR_OK);
  EXPECT_EQ(out, sha256(data));
}

TEST_F(OperationStateTest, WhatCannotBeSavedOrRestoredIsRefused) {
  init();
  CK_SESSION_HANDLE s = open(false);
  CK_ULONG n = 0;
  EXPECT_EQ(f->C_GetOperationState(s, nullptr, nullptr), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(f->C_GetOperationState(s, nullptr, &n), CKR_OPERATION_NOT_INITIALIZED);
  EXPECT_EQ(f->C_GetOperationState(CK_INVALID_HANDLE, nullptr, &n), CKR_SESSION_HANDLE_INVALID);

  CK_MECHANISM sha{CKM_SHA256, nullptr, 0};
  ASSERT_EQ(f->C_DigestInit(s, &sha), CKR_OK);
  Bytes st = saved_state(f, s);
  EXPECT_EQ(f->C_SetOperationState(s, nullptr, 4, 0, 0), CKR_ARGUMENTS_BAD);
  // A digest's state needs no key.
  EXPECT_EQ(f->C_SetOperationState(s, st.data(), static_cast<CK_ULONG>(st.size()), 1, 0), CKR_KEY_NOT_NEEDED);
  // Anything the module did not make, including a truncated or altered state.
  Bytes bad = st;
  bad[0] ^= 0xFF;
  EXPECT_EQ(f->C_SetOperationState(s, bad.data(), static_cast<CK_ULONG>(bad.size()), 0, 0), CKR_SAVED_STATE_INVALID);
  bad = st;
  bad.push_back(0);
  EXPECT_EQ(f->C_SetOperationState(s, bad.data(), static_cast<CK_ULONG>(bad.size()), 0, 0), CKR_SAVED_STATE_INVALID);
  bad = st;
  bad[7] = 0x77;  // no such mechanism
  EXPECT_EQ(f->C_SetOperationState(s, bad.data(), static_cast<CK_ULONG>(bad.size()), 0, 0), CKR_SAVED_STATE_INVALID);
  bad.assign(st.begin(), st.begin() + 5);
  EXPECT_EQ(f->C_SetOperationState(s, bad.data(), static_cast<CK_ULONG>(bad.size()), 0, 0), CKR_SAVED_STATE_INVALID);

  // More input than the module keeps for a saved state: unsaveable, the digest goes on.
  Bytes big(64 * 1024 + 1, 0x5A);
  ASSERT_EQ(f->C_DigestUpdate(s, big.data(), static_cast<CK_ULONG>(big.size())), CKR_OK);
  EXPECT_EQ(f->C_GetOperationState(s, nullptr, &n), CKR_STATE_UNSAVEABLE);
  EXPECT_EQ(digest_final(f, s), sha256(big));
}

TEST_F(OperationStateTest, AnOperationWithAKeyIsUnsaveable) {
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  auto [pub, priv] = generate_ec(s, "opstate", {0x0A});
  CK_MECHANISM ecdsa{CKM_ECDSA_SHA256, nullptr, 0};
  ASSERT_EQ(f->C_SignInit(s, &ecdsa, priv), CKR_OK);
  CK_ULONG n = 0;
  EXPECT_EQ(f->C_GetOperationState(s, nullptr, &n), CKR_STATE_UNSAVEABLE);
  // Restoring a digest ends the signing operation: the restored state is the session's.
  CK_SESSION_HANDLE d = open(false);
  CK_MECHANISM sha{CKM_SHA256, nullptr, 0};
  ASSERT_EQ(f->C_DigestInit(d, &sha), CKR_OK);
  Bytes st = saved_state(f, d);
  ASSERT_EQ(f->C_SetOperationState(s, st.data(), static_cast<CK_ULONG>(st.size()), 0, 0), CKR_OK);
  Bytes data = {1};
  CK_ULONG len = 0;
  EXPECT_EQ(f->C_Sign(s, data.data(), 1, nullptr, &len), CKR_OPERATION_NOT_INITIALIZED);
  (void)pub;
}

}  // namespace
}  // namespace sx::p11test
