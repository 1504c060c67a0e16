// C_CopyObject (2.40 §5.7): a copy with the template's changes, as a session object or a
// token object (docs/pkcs11-module.md "Session objects"). Private keys live in the chip
// and cannot be copied out of it (CKR_ACTION_PROHIBITED, as CKA_COPYABLE = FALSE says);
// token copies are data objects and certificates (the token keeps no public-key-only
// objects).
#include <span>

#include "pkcs11/entry_run.h"
#include "pkcs11/export.h"
#include "pkcs11/session_objects.h"
#include "pkcs11/templates.h"
#include "token/attr/attr_types.h"

using namespace sx::p11;
namespace tk = sx::token;

namespace {

CK_RV token_copy(Module& m, const tk::ObjectKind& kind, tk::AttrMap& values, CK_OBJECT_HANDLE* out) {
  tk::NewObject attrs;
  if (CK_RV rv = new_object_attrs(values, attrs); rv != CKR_OK) return rv;
  auto& tok = m.chip.token();
  auto ref = kind.cls == CKO_CERTIFICATE ? tok.create_certificate(values[CKA_VALUE], attrs)
                                         : tok.create_data(values[CKA_VALUE], attrs);
  if (!ref) return rv_from_error(ref.error(), "C_CopyObject");
  *out = m.handles.for_ref(*ref);
  return CKR_OK;
}

}  // namespace

SX_P11_EXPORT CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                                 CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phNewObject) {
  return run<Entry::C_CopyObject>(hSession, [&](Module& m, Session& s) -> CK_RV {
    if ((pTemplate == nullptr && ulCount != 0) || phNewObject == nullptr) return CKR_ARGUMENTS_BAD;
    Resolved r;
    if (CK_RV rv = resolve(m, hObject, r); rv != CKR_OK) return rv;
    const bool secret = r.kind.cls == CKO_SECRET_KEY;  // host-held key bytes in both maps
    WipeMap wipe_source{r.values, secret};
    if (r.kind.cls == CKO_PRIVATE_KEY || tk::get_bool(r.values, CKA_COPYABLE) == false) return CKR_ACTION_PROHIBITED;
    tk::AttrMap values;
    WipeMap wipe_copy{values, secret};
    const std::span<const CK_ATTRIBUTE> t(pTemplate, pTemplate == nullptr ? 0 : ulCount);
    if (CK_RV rv = copy_values(r.kind, r.values, t, values); rv != CKR_OK) return rv;
    if (tk::get_bool(values, CKA_TOKEN).value_or(false)) {
      if (r.kind.cls != CKO_DATA && r.kind.cls != CKO_CERTIFICATE)
        return CKR_TEMPLATE_INCONSISTENT;  // no public-key-only or secret token objects
      if (CK_RV rv = may_write_token<Entry::C_CopyObject>(m, s); rv != CKR_OK) return rv;
      return token_copy(m, r.kind, values, phNewObject);
    }
    if (CK_RV rv = may_use_private<Entry::C_CopyObject>(m, tk::get_bool(values, CKA_PRIVATE).value_or(false));
        rv != CKR_OK)
      return rv;
    std::shared_ptr<SessionObject> o;
    if (CK_RV rv = make_session_object(s.handle, r.kind, values, o); rv != CKR_OK) return rv;
    *phNewObject = m.handles.add(std::move(o));
    return CKR_OK;
  });
}
