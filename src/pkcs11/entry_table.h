// What every PKCS#11 entry point needs before its body runs, in one table:
// how the call is looked up (module, session), which module mutexes it holds,
// and which login it requires (docs/pkcs11-module.md, "Entry table").
// The runner in entry_run.h reads a row and does the lookup, locking and
// login gate, so the entry bodies hold no lock code of their own. The rows
// are in CK_FUNCTION_LIST order: function_list.cpp builds the list from them.
#pragma once

#include <p11-kit/pkcs11.h>

#include <cstddef>
#include <cstdint>
#include <iterator>

namespace sx::p11 {

// How the call reaches its state. Every lookup but kNoLookup keeps the module
// alive for the call and answers CKR_CRYPTOKI_NOT_INITIALIZED without it;
// kBySession also answers CKR_SESSION_HANDLE_INVALID and holds Session::mu.
enum class Lookup : uint8_t { kNoLookup, kByModule, kBySession };

// Module mutexes held around the body, taken after the lookup in the lock
// order of module.h. kChipPhase: the body holds chip_mu for part of its work
// only, through chip_phase<E>() (entry_run.h), e.g. C_Sign answers a length
// query without waiting for another session's chip operation.
enum class Lock : uint8_t { kFree, kChip, kChipPhase, kAuth, kAuthChip };

// Login requirements, flags. The gates (kLoggedIn, kSoLoggedIn) are checked
// by the runner before the body, under the row's locks. The object rules are
// checked by the body where it knows the object, through may_write_token<E>()
// and may_use_private<E>(), which refuse to compile for a row without them.
using Login = uint8_t;
inline constexpr Login kNoLogin = 0;
inline constexpr Login kLoggedIn = 1;       // gate: user or SO, else CKR_USER_NOT_LOGGED_IN
inline constexpr Login kSoLoggedIn = 2;     // gate: the SO, else CKR_USER_NOT_LOGGED_IN
inline constexpr Login kWriteToken = 4;     // a token object written: R/W session and the user
inline constexpr Login kPrivateObject = 8;  // a private object used or made: the user
inline constexpr Login kLoginGates = kLoggedIn | kSoLoggedIn;

namespace entry_cols {
// Short names for the table below only.
inline constexpr Lookup Call = Lookup::kNoLookup, Mod = Lookup::kByModule, Ses = Lookup::kBySession;
inline constexpr Lock Free = Lock::kFree, Chip = Lock::kChip, Phase = Lock::kChipPhase, Auth = Lock::kAuth,
                      AuthChip = Lock::kAuthChip;
inline constexpr Login None = kNoLogin, Any = kLoggedIn, So = kSoLoggedIn, Write = kWriteToken,
                       Private = kPrivateObject;
}  // namespace entry_cols

// clang-format off
// X(entry,              lookup, lock,     login)
#define SX_P11_ENTRY_TABLE(X)                                                                  \
  X(C_Initialize,          Call, Free,     None)                                               \
  X(C_Finalize,            Call, Free,     None)                                               \
  X(C_GetInfo,             Mod,  Free,     None)                                               \
  X(C_GetFunctionList,     Call, Free,     None)                                               \
  X(C_GetSlotList,         Mod,  Phase,    None)   /* the chip only for tokenPresent */        \
  X(C_GetSlotInfo,         Mod,  Chip,     None)                                               \
  X(C_GetTokenInfo,        Mod,  Chip,     None)                                               \
  X(C_GetMechanismList,    Mod,  Chip,     None)                                               \
  X(C_GetMechanismInfo,    Mod,  Chip,     None)                                               \
  X(C_InitToken,           Mod,  AuthChip, None)   /* no session may exist: the body */        \
  X(C_InitPIN,             Ses,  AuthChip, So)                                                 \
  X(C_SetPIN,              Ses,  AuthChip, None)   /* the PIN of whoever is logged in */       \
  X(C_OpenSession,         Mod,  Chip,     None)                                               \
  X(C_CloseSession,        Mod,  Free,     None)   /* chip_mu only to end the login */    \
  X(C_CloseAllSessions,    Mod,  Free,     None)                                               \
  X(C_GetSessionInfo,      Ses,  Free,     None)                                               \
  X(C_GetOperationState,   Ses,  Free,     None)                                               \
  X(C_SetOperationState,   Ses,  Chip,     None)   /* reads the capabilities if open */        \
  /* C_Login: login-state answers after arguments; CKU_CONTEXT_SPECIFIC needs the user      */ \
  /* (its body checks: an operation waiting for the PIN comes first, docs §8c)             */ \
  X(C_Login,               Ses,  AuthChip, None)                                               \
  X(C_Logout,              Ses,  AuthChip, Any)    /* closes the chip session */               \
  X(C_CreateObject,        Ses,  Chip,     Write | Private)                                    \
  X(C_CopyObject,          Ses,  Chip,     Write | Private)                                    \
  X(C_DestroyObject,       Ses,  Chip,     Write)                                              \
  X(C_GetObjectSize,       Ses,  Chip,     None)                                               \
  X(C_GetAttributeValue,   Ses,  Chip,     None)                                               \
  X(C_SetAttributeValue,   Ses,  Chip,     Write)                                              \
  X(C_FindObjectsInit,     Ses,  Chip,     None)                                               \
  X(C_FindObjects,         Ses,  Free,     None)                                               \
  X(C_FindObjectsFinal,    Ses,  Free,     None)                                               \
  X(C_EncryptInit,         Ses,  Chip,     Private)                                            \
  X(C_Encrypt,             Ses,  Free,     None)                                               \
  X(C_EncryptUpdate,       Ses,  Free,     None)                                               \
  X(C_EncryptFinal,        Ses,  Free,     None)                                               \
  X(C_DecryptInit,         Ses,  Chip,     Private)                                            \
  X(C_Decrypt,             Ses,  Chip,     None)                                               \
  X(C_DecryptUpdate,       Ses,  Free,     None)                                               \
  X(C_DecryptFinal,        Ses,  Free,     None)                                               \
  X(C_DigestInit,          Ses,  Chip,     None)   /* reads the capabilities if open */        \
  X(C_Digest,              Ses,  Free,     None)                                               \
  X(C_DigestUpdate,        Ses,  Free,     None)                                               \
  X(C_DigestKey,           Mod,  Free,     None)                                               \
  X(C_DigestFinal,         Ses,  Free,     None)                                               \
  X(C_SignInit,            Ses,  Chip,     Private)                                            \
  X(C_Sign,                Ses,  Phase,    None)   /* length queries never wait on the chip */ \
  X(C_SignUpdate,          Ses,  Free,     None)                                               \
  X(C_SignFinal,           Ses,  Phase,    None)                                               \
  X(C_SignRecoverInit,     Mod,  Free,     None)                                               \
  X(C_SignRecover,         Mod,  Free,     None)                                               \
  X(C_VerifyInit,          Ses,  Chip,     Private)                                            \
  X(C_Verify,              Ses,  Free,     None)                                               \
  X(C_VerifyUpdate,        Ses,  Free,     None)                                               \
  X(C_VerifyFinal,         Ses,  Free,     None)                                               \
  X(C_VerifyRecoverInit,   Mod,  Free,     None)                                               \
  X(C_VerifyRecover,       Mod,  Free,     None)                                               \
  X(C_DigestEncryptUpdate, Mod,  Free,     None)                                               \
  X(C_DecryptDigestUpdate, Mod,  Free,     None)                                               \
  X(C_SignEncryptUpdate,   Mod,  Free,     None)                                               \
  X(C_DecryptVerifyUpdate, Mod,  Free,     None)                                               \
  X(C_GenerateKey,         Mod,  Free,     None)                                               \
  X(C_GenerateKeyPair,     Ses,  Chip,     Write | Private) /* session keys: Private */        \
  X(C_WrapKey,             Mod,  Free,     None)                                               \
  X(C_UnwrapKey,           Mod,  Free,     None)                                               \
  X(C_DeriveKey,           Ses,  Chip,     Private)                                            \
  X(C_SeedRandom,          Ses,  Free,     None)                                               \
  X(C_GenerateRandom,      Ses,  Chip,     None)                                               \
  X(C_GetFunctionStatus,   Ses,  Free,     None)                                               \
  X(C_CancelFunction,      Ses,  Free,     None)                                               \
  X(C_WaitForSlotEvent,    Mod,  Free,     None)
// clang-format on

#define SX_P11_ENTRY_ENUM(fn, lookup, lock, login) fn,
enum class Entry : uint8_t { SX_P11_ENTRY_TABLE(SX_P11_ENTRY_ENUM) };
#undef SX_P11_ENTRY_ENUM

struct EntryRule {
  const char* name;
  Lookup lookup;
  Lock lock;
  Login login;
};

namespace entry_cols {
#define SX_P11_ENTRY_ROW(fn, lookup, lock, login) EntryRule{#fn, lookup, lock, static_cast<Login>(login)},
inline constexpr EntryRule kEntryRules[] = {SX_P11_ENTRY_TABLE(SX_P11_ENTRY_ROW)};
#undef SX_P11_ENTRY_ROW
}  // namespace entry_cols

using entry_cols::kEntryRules;
inline constexpr size_t kEntryCount = std::size(kEntryRules);

constexpr const EntryRule& rule(Entry e) { return kEntryRules[static_cast<size_t>(e)]; }
constexpr bool has(Login set, Login flag) { return (set & flag) == flag; }

}  // namespace sx::p11
