#include "cli/module_probe.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <iostream>
#include <vector>

namespace sx::cli {
namespace {

std::string trimmed(const unsigned char* s, size_t n) {
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0')) --n;
  return std::string(reinterpret_cast<const char*>(s), n);
}

std::string rv_text(const char* call, CK_RV rv) {
  const char* name = rv == CKR_TOKEN_NOT_PRESENT    ? "CKR_TOKEN_NOT_PRESENT"
                     : rv == CKR_DEVICE_ERROR       ? "CKR_DEVICE_ERROR"
                     : rv == CKR_DEVICE_REMOVED     ? "CKR_DEVICE_REMOVED"
                     : rv == CKR_GENERAL_ERROR      ? "CKR_GENERAL_ERROR"
                     : rv == CKR_FUNCTION_FAILED    ? "CKR_FUNCTION_FAILED"
                     : rv == CKR_ARGUMENTS_BAD      ? "CKR_ARGUMENTS_BAD"
                     : rv == CKR_CANT_LOCK          ? "CKR_CANT_LOCK"
                     : rv == CKR_SLOT_ID_INVALID    ? "CKR_SLOT_ID_INVALID"
                     : rv == CKR_HOST_MEMORY        ? "CKR_HOST_MEMORY"
                                                    : nullptr;
  char buf[32];
  if (name == nullptr) std::snprintf(buf, sizeof buf, "CKR 0x%08lX", static_cast<unsigned long>(rv));
  return std::string(call) + " returned " + (name ? name : buf);
}

// dlclose on every path; C_Finalize when C_Initialize succeeded.
struct Loaded {
  void* handle = nullptr;
  CK_FUNCTION_LIST_PTR f = nullptr;
  bool initialised = false;
  ~Loaded() {
    if (initialised) f->C_Finalize(nullptr);
    if (handle != nullptr) ::dlclose(handle);
  }
};

// fd 2 goes to an anonymous temporary file while alive; take() restores it
// and returns what was written. Without a temporary file, stderr is left alone.
class StderrCapture {
 public:
  StderrCapture() {
    std::cerr.flush();
    std::fflush(stderr);
    file_ = std::tmpfile();
    if (file_ == nullptr) return;
    saved_ = ::dup(STDERR_FILENO);
    if (saved_ < 0 || ::dup2(::fileno(file_), STDERR_FILENO) < 0) restore();
  }
  ~StderrCapture() { restore(); }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  std::string take() {
    restore();
    std::string out;
    if (file_ == nullptr) return out;
    std::rewind(file_);
    char buf[1024];
    size_t n = 0;
    while (out.size() < 16384 && (n = std::fread(buf, 1, sizeof buf, file_)) > 0) out.append(buf, n);
    std::fclose(file_);
    file_ = nullptr;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

 private:
  void restore() {
    if (saved_ >= 0) {
      std::cerr.flush();
      std::fflush(stderr);
      ::dup2(saved_, STDERR_FILENO);
      ::close(saved_);
      saved_ = -1;
    }
  }
  std::FILE* file_ = nullptr;
  int saved_ = -1;
};

ModuleProbe probe_inner(const std::string& path, bool query_token);

}  // namespace

ModuleProbe probe_module(const std::string& path, bool query_token) {
  StderrCapture cap;
  ModuleProbe p = probe_inner(path, query_token);
  p.log = cap.take();
  return p;
}

namespace {

ModuleProbe probe_inner(const std::string& path, bool query_token) {
  ModuleProbe p;
  Loaded m;
  // RTLD_NODELETE: the module stays mapped after dlclose — what it allocated in its
  // constructors stays reachable (LeakSanitizer would call it lost otherwise) and
  // nothing of it can run from unmapped code; this process exits soon anyway.
  m.handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (m.handle == nullptr) {
    const char* e = ::dlerror();
    p.error = std::string("cannot load: ") + (e ? e : "dlopen failed");
    return p;
  }
  auto get = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(m.handle, "C_GetFunctionList"));
  if (get == nullptr) {
    p.error = "not a PKCS#11 module (no C_GetFunctionList)";
    return p;
  }
  if (CK_RV rv = get(&m.f); rv != CKR_OK || m.f == nullptr) {
    p.error = rv_text("C_GetFunctionList", rv);
    return p;
  }
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  if (CK_RV rv = m.f->C_Initialize(&args); rv != CKR_OK) {
    p.error = rv_text("C_Initialize", rv);
    return p;
  }
  m.initialised = true;
  p.loaded = true;
  CK_INFO info{};
  if (m.f->C_GetInfo(&info) == CKR_OK) {
    p.library = trimmed(info.libraryDescription, sizeof info.libraryDescription) + " " +
                std::to_string(info.libraryVersion.major) + "." + std::to_string(info.libraryVersion.minor);
  }
  CK_ULONG all = 0;
  if (m.f->C_GetSlotList(CK_FALSE, nullptr, &all) == CKR_OK && all > 0) {
    std::vector<CK_SLOT_ID> ids(all);
    if (m.f->C_GetSlotList(CK_FALSE, ids.data(), &all) == CKR_OK)
      p.slots.assign(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(all));
  }
  if (!query_token) return p;
  CK_ULONG n = 0;
  if (CK_RV rv = m.f->C_GetSlotList(CK_TRUE, nullptr, &n); rv != CKR_OK) {
    p.error = rv_text("C_GetSlotList", rv);
    return p;
  }
  if (n == 0) {
    p.error = "no token present (the module cannot reach the chip with its configuration)";
    return p;
  }
  std::vector<CK_SLOT_ID> slots(n);
  if (CK_RV rv = m.f->C_GetSlotList(CK_TRUE, slots.data(), &n); rv != CKR_OK || n == 0) {
    p.error = rv_text("C_GetSlotList", rv);
    return p;
  }
  CK_TOKEN_INFO ti{};
  if (CK_RV rv = m.f->C_GetTokenInfo(slots[0], &ti); rv != CKR_OK) {
    p.error = rv_text("C_GetTokenInfo", rv);
    return p;
  }
  p.token_present = true;
  p.token_label = trimmed(ti.label, sizeof ti.label);
  return p;
}

}  // namespace

}  // namespace sx::cli
