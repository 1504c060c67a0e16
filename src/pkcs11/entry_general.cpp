// C_Initialize / C_Finalize / C_GetInfo and the entry points this token does
// not implement (present in the function list, answering as 2.40 says).
#include "pkcs11/entry_run.h"
#include "pkcs11/export.h"

using namespace sx::p11;

SX_P11_EXPORT CK_RV C_Initialize(CK_VOID_PTR pInitArgs) {
  return run<Entry::C_Initialize>([&] { return initialize(static_cast<const CK_C_INITIALIZE_ARGS*>(pInitArgs)); });
}

SX_P11_EXPORT CK_RV C_Finalize(CK_VOID_PTR pReserved) {
  return run<Entry::C_Finalize>([&]() -> CK_RV {
    if (pReserved != nullptr) {
      // CKR_CRYPTOKI_NOT_INITIALIZED comes first (docs/pkcs11-module.md,
      // "Return-code audit"); the probe's lifecycle lock is released before
      // finalize() would take it exclusively.
      Call probe;
      return probe.m == nullptr ? CKR_CRYPTOKI_NOT_INITIALIZED : CKR_ARGUMENTS_BAD;
    }
    return finalize();
  });
}

SX_P11_EXPORT CK_RV C_GetInfo(CK_INFO_PTR pInfo) {
  return run<Entry::C_GetInfo>([&](Module&) -> CK_RV {
    if (pInfo == nullptr) return CKR_ARGUMENTS_BAD;
    *pInfo = CK_INFO{};
    pInfo->cryptokiVersion = {2, 40};
    pad_copy(pInfo->manufacturerID, sizeof pInfo->manufacturerID, "se05x-pkcs11 project");
    pInfo->flags = 0;
    pad_copy(pInfo->libraryDescription, sizeof pInfo->libraryDescription, "NXP SE05x PKCS#11 module");
    pInfo->libraryVersion = {0, 1};
    return CKR_OK;
  });
}

// --- not implemented: the call is valid, this token just has no such function
#define SX_NOT_SUPPORTED(name, params)                                                        \
  SX_P11_EXPORT CK_RV name params {                                                           \
    return run<Entry::name>([&](Module&) { return CK_RV{CKR_FUNCTION_NOT_SUPPORTED}; }); \
  }

SX_NOT_SUPPORTED(C_DigestKey, (CK_SESSION_HANDLE, CK_OBJECT_HANDLE))
SX_NOT_SUPPORTED(C_SignRecoverInit, (CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE))
SX_NOT_SUPPORTED(C_SignRecover, (CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR))
SX_NOT_SUPPORTED(C_VerifyRecoverInit, (CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE))
SX_NOT_SUPPORTED(C_VerifyRecover, (CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR))
SX_NOT_SUPPORTED(C_DigestEncryptUpdate, (CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR))
SX_NOT_SUPPORTED(C_DecryptDigestUpdate, (CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR))
SX_NOT_SUPPORTED(C_SignEncryptUpdate, (CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR))
SX_NOT_SUPPORTED(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR))
SX_NOT_SUPPORTED(C_GenerateKey, (CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_ATTRIBUTE_PTR, CK_ULONG, CK_OBJECT_HANDLE_PTR))
SX_NOT_SUPPORTED(C_WrapKey, (CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE, CK_OBJECT_HANDLE, CK_BYTE_PTR,
                             CK_ULONG_PTR))
SX_NOT_SUPPORTED(C_UnwrapKey, (CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE, CK_BYTE_PTR, CK_ULONG,
                               CK_ATTRIBUTE_PTR, CK_ULONG, CK_OBJECT_HANDLE_PTR))
SX_NOT_SUPPORTED(C_WaitForSlotEvent, (CK_FLAGS, CK_SLOT_ID_PTR, CK_VOID_PTR))

// Legacy parallel-function calls (2.40 section 5.16).
SX_P11_EXPORT CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession) {
  return run<Entry::C_GetFunctionStatus>(hSession, [&](Module&, Session&) { return CK_RV{CKR_FUNCTION_NOT_PARALLEL}; });
}
SX_P11_EXPORT CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession) {
  return run<Entry::C_CancelFunction>(hSession, [&](Module&, Session&) { return CK_RV{CKR_FUNCTION_NOT_PARALLEL}; });
}
