// The 2.40 function list, built from the entry table (entry_table.h), whose
// rows are in CK_FUNCTION_LIST order. aws-c-io rejects anything but major 2 /
// minor >= 20 here, so the version stays 2.40 (no 3.x interfaces are offered).
#include <cstddef>

#include "pkcs11/entry_run.h"
#include "pkcs11/export.h"

using namespace sx::p11;

namespace {

// One function pointer per member after the version, one row per member, each
// row at its member's place (several members share a type, so the
// initialiser below alone would not notice two rows swapped).
static_assert(sizeof(CK_FUNCTION_LIST) ==
              offsetof(CK_FUNCTION_LIST, C_Initialize) + kEntryCount * sizeof(CK_C_Initialize));
#define SX_P11_ROW_AT_MEMBER(fn, lookup, lock, login)                                               \
  static_assert(offsetof(CK_FUNCTION_LIST, fn) == offsetof(CK_FUNCTION_LIST, C_Initialize) +           \
                                                     static_cast<size_t>(Entry::fn) * sizeof(CK_C_Initialize), \
                "row " #fn " is not at its CK_FUNCTION_LIST place");
SX_P11_ENTRY_TABLE(SX_P11_ROW_AT_MEMBER)
#undef SX_P11_ROW_AT_MEMBER

#define SX_P11_LIST_MEMBER(fn, lookup, lock, login) fn,
CK_FUNCTION_LIST g_list = {{2, 40}, SX_P11_ENTRY_TABLE(SX_P11_LIST_MEMBER)};
#undef SX_P11_LIST_MEMBER

}  // namespace

SX_P11_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList) {
  return run<Entry::C_GetFunctionList>([&]() -> CK_RV {
    if (ppFunctionList == nullptr) return CKR_ARGUMENTS_BAD;
    *ppFunctionList = &g_list;
    return CKR_OK;
  });
}
