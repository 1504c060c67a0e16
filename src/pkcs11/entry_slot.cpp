// Slot, token and mechanism information. One slot, ID 0, always listed
// without C_GetSlotList first (SunPKCS11 goes straight to C_GetSlotInfo).
#include <algorithm>

#include "pkcs11/entry_run.h"
#include "pkcs11/export.h"
#include "token/pin.h"

using namespace sx::p11;

namespace {

// Opens the link if needed (chip_mu held: the row's lock or its chip phase).
bool present(Module& m) { return m.chip.ensure() == CKR_OK; }

}  // namespace

SX_P11_EXPORT CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount) {
  return run<Entry::C_GetSlotList>([&](Module& m) -> CK_RV {
    if (pulCount == nullptr) return CKR_ARGUMENTS_BAD;
    CK_ULONG n = 1;
    if (tokenPresent != CK_FALSE)
      n = chip_phase<Entry::C_GetSlotList>(m, [&]() -> CK_ULONG { return present(m) ? 1 : 0; });
    if (pSlotList == nullptr) {
      *pulCount = n;
      return CKR_OK;
    }
    if (*pulCount < n) {
      *pulCount = n;
      return CKR_BUFFER_TOO_SMALL;
    }
    if (n == 1) pSlotList[0] = kSlotId;
    *pulCount = n;
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo) {
  return run<Entry::C_GetSlotInfo>([&](Module& m) -> CK_RV {
    if (slotID != kSlotId) return CKR_SLOT_ID_INVALID;
    if (pInfo == nullptr) return CKR_ARGUMENTS_BAD;
    *pInfo = CK_SLOT_INFO{};
    pad_copy(pInfo->slotDescription, sizeof pInfo->slotDescription, "NXP SE05x secure element");
    pad_copy(pInfo->manufacturerID, sizeof pInfo->manufacturerID, "NXP Semiconductors");
    // Not CKF_REMOVABLE_DEVICE: SunPKCS11 would poll and drop the token on a transient error.
    pInfo->flags = CKF_HW_SLOT;
    if (present(m)) {
      pInfo->flags |= CKF_TOKEN_PRESENT;
      const ChipFacts& f = m.chip.facts();
      pInfo->hardwareVersion = {f.applet_major, f.applet_minor};
      pInfo->firmwareVersion = {f.applet_major, f.applet_minor};
    }
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo) {
  return run<Entry::C_GetTokenInfo>([&](Module& m) -> CK_RV {
    if (slotID != kSlotId) return CKR_SLOT_ID_INVALID;
    if (pInfo == nullptr) return CKR_ARGUMENTS_BAD;
    if (!present(m)) return CKR_TOKEN_NOT_PRESENT;
    auto& tok = m.chip.token();
    // One small read when nothing changed (none within freshness_ms of the
    // last): PIN counters of other processes show up.
    if (auto st = tok.refresh_within(std::chrono::milliseconds(m.cfg.freshness_ms)); !st)
      return rv_from_error(st.error(), "C_GetTokenInfo: refresh");
    // Chip-PIN tokens: the counters live on the chip (2 ReadObjectAttributes, cached
    // like the freshness check), read once this process has tried a PIN.
    if (tok.chip_pin() && tok.pin_counters_wanted()) {
      if (auto st = tok.read_pin_counters(std::chrono::milliseconds(m.cfg.freshness_ms)); !st)
        return rv_from_error(st.error(), "C_GetTokenInfo: PIN counters");
    }
    const sx::token::TokenInfo ti = tok.info();
    const ChipFacts& f = m.chip.facts();
    *pInfo = CK_TOKEN_INFO{};
    pad_copy(pInfo->label, sizeof pInfo->label, ti.label.empty() ? m.cfg.token_label : ti.label);
    pad_copy(pInfo->manufacturerID, sizeof pInfo->manufacturerID, "NXP Semiconductors");
    pad_copy(pInfo->model, sizeof pInfo->model, f.model);
    pad_copy(pInfo->serialNumber, sizeof pInfo->serialNumber, f.serial);
    CK_FLAGS fl = CKF_RNG | CKF_LOGIN_REQUIRED;
    if (ti.initialized) fl |= CKF_TOKEN_INITIALIZED;
    if (ti.user_pin_set) fl |= CKF_USER_PIN_INITIALIZED;
    if (ti.user_locked) fl |= CKF_USER_PIN_LOCKED;
    else if (ti.user_failures + 1 == ti.user_max) fl |= CKF_USER_PIN_FINAL_TRY;
    else if (ti.user_failures > 0) fl |= CKF_USER_PIN_COUNT_LOW;
    if (ti.so_locked) fl |= CKF_SO_PIN_LOCKED;
    else if (ti.so_failures + 1 == ti.so_max) fl |= CKF_SO_PIN_FINAL_TRY;
    else if (ti.so_failures > 0) fl |= CKF_SO_PIN_COUNT_LOW;
    pInfo->flags = fl;
    pInfo->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
    pInfo->ulSessionCount = m.sessions.count(false);
    pInfo->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
    pInfo->ulRwSessionCount = m.sessions.count(true);
    pInfo->ulMaxPinLen = kMaxPinLen;
    pInfo->ulMinPinLen = kMinPinLen;
    pInfo->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
    // Not asked of the chip: one more APDU for every cold open (SoftHSM2 and OpenSC
    // report none either); `se05x info` shows the chip's free memory.
    pInfo->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->hardwareVersion = {f.applet_major, f.applet_minor};
    pInfo->firmwareVersion = {static_cast<CK_BYTE>(f.securebox >> 8), static_cast<CK_BYTE>(f.securebox & 0xFF)};
    pad_copy(pInfo->utcTime, sizeof pInfo->utcTime, "");
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
                                       CK_ULONG_PTR pulCount) {
  return run<Entry::C_GetMechanismList>([&](Module& m) -> CK_RV {
    if (slotID != kSlotId) return CKR_SLOT_ID_INVALID;
    if (pulCount == nullptr) return CKR_ARGUMENTS_BAD;
    if (!present(m)) return CKR_TOKEN_NOT_PRESENT;
    auto rows = sx::token::supported_mechanisms(m.chip.facts().caps);
    const CK_ULONG n = static_cast<CK_ULONG>(rows.size());
    if (pMechanismList == nullptr) {
      *pulCount = n;
      return CKR_OK;
    }
    if (*pulCount < n) {
      *pulCount = n;
      return CKR_BUFFER_TOO_SMALL;
    }
    for (size_t i = 0; i < rows.size(); ++i) pMechanismList[i] = rows[i]->type;
    *pulCount = n;
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo) {
  return run<Entry::C_GetMechanismInfo>([&](Module& m) -> CK_RV {
    if (slotID != kSlotId) return CKR_SLOT_ID_INVALID;
    if (pInfo == nullptr) return CKR_ARGUMENTS_BAD;
    if (!present(m)) return CKR_TOKEN_NOT_PRESENT;
    return sx::token::mechanism_info(m.chip.facts().caps, type, *pInfo);
  });
}
