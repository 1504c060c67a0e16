#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "token/attr/attr_types.h"

namespace sx::token::test {

// A template that owns its value buffers.
class Tmpl {
 public:
  Tmpl& ulong(CK_ATTRIBUTE_TYPE t, CK_ULONG v) { return raw(t, ck_ulong(v)); }
  Tmpl& boolean(CK_ATTRIBUTE_TYPE t, bool v) { return raw(t, ck_bool(v)); }
  Tmpl& str(CK_ATTRIBUTE_TYPE t, const std::string& s) { return raw(t, Bytes(s.begin(), s.end())); }
  Tmpl& raw(CK_ATTRIBUTE_TYPE t, Bytes v) {
    bufs_.push_back(std::make_unique<Bytes>(std::move(v)));
    attrs_.push_back(CK_ATTRIBUTE{t, bufs_.back()->empty() ? nullptr : bufs_.back()->data(),
                                  static_cast<CK_ULONG>(bufs_.back()->size())});
    return *this;
  }
  Tmpl& null(CK_ATTRIBUTE_TYPE t, CK_ULONG len) {
    attrs_.push_back(CK_ATTRIBUTE{t, nullptr, len});
    return *this;
  }
  std::span<const CK_ATTRIBUTE> span() const { return attrs_; }
  operator std::span<const CK_ATTRIBUTE>() const { return attrs_; }

 private:
  std::vector<std::unique_ptr<Bytes>> bufs_;
  std::vector<CK_ATTRIBUTE> attrs_;
};

// A self-signed EC P-256 certificate (DER) with the given common name.
Bytes make_cert(const std::string& cn);

}  // namespace sx::token::test
