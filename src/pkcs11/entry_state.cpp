// C_GetOperationState / C_SetOperationState (2.40 §5.6): a session's digest
// operation saved and continued, in the same or another session of the
// application. Only digests are saveable; an operation with a key is not
// (CKR_STATE_UNSAVEABLE) -- docs/pkcs11-module.md "Operation state".
#include <cstring>

#include "pkcs11/entry_run.h"
#include "pkcs11/export.h"

using namespace sx::p11;
namespace tk = sx::token;

namespace {

bool keyed_operation_active(const Session& s) {
  return (s.sign && s.sign->active()) || (s.verify && s.verify->active()) || (s.decrypt && s.decrypt->active()) ||
         (s.encrypt && s.encrypt->active());
}

}  // namespace

SX_P11_EXPORT CK_RV C_GetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
                                        CK_ULONG_PTR pulOperationStateLen) {
  return run<Entry::C_GetOperationState>(hSession, [&](Module&, Session& s) -> CK_RV {
    if (pulOperationStateLen == nullptr) return CKR_ARGUMENTS_BAD;
    if (keyed_operation_active(s)) return CKR_STATE_UNSAVEABLE;
    if (!s.digest || !s.digest->active()) return CKR_OPERATION_NOT_INITIALIZED;
    sx::Bytes state;
    if (CK_RV rv = s.digest->save(state); rv != CKR_OK) return rv;
    const auto need = static_cast<CK_ULONG>(state.size());
    if (pOperationState == nullptr) {
      *pulOperationStateLen = need;
      return CKR_OK;
    }
    if (*pulOperationStateLen < need) {
      *pulOperationStateLen = need;
      return CKR_BUFFER_TOO_SMALL;
    }
    std::memcpy(pOperationState, state.data(), state.size());
    *pulOperationStateLen = need;
    sx::secure_wipe(state);
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_SetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
                                        CK_ULONG ulOperationStateLen, CK_OBJECT_HANDLE hEncryptionKey,
                                        CK_OBJECT_HANDLE hAuthenticationKey) {
  return run<Entry::C_SetOperationState>(hSession, [&](Module& m, Session& s) -> CK_RV {
    if (pOperationState == nullptr || ulOperationStateLen == 0) return CKR_ARGUMENTS_BAD;
    tk::ChipCapabilities caps;
    if (m.chip.open()) caps = m.chip.facts().caps;
    std::unique_ptr<tk::DigestOperation> op;
    if (CK_RV rv = tk::DigestOperation::restore(caps, sx::ByteView(pOperationState, ulOperationStateLen), op);
        rv != CKR_OK)
      return rv;
    // A digest's state needs no key (2.40 §5.6).
    if (hEncryptionKey != CK_INVALID_HANDLE || hAuthenticationKey != CK_INVALID_HANDLE) return CKR_KEY_NOT_NEEDED;
    // The restored state is the session's whole operation state: what ran before ends.
    s.sign.reset();
    s.verify.reset();
    s.decrypt.reset();
    s.encrypt.reset();
    s.digest = std::move(op);
    return CKR_OK;
  });
}
