// Session objects (CKA_TOKEN = FALSE; docs/pkcs11-module.md "Session objects"): data,
// certificates, public and secret keys in host memory, and session key pairs whose
// private half is a transient chip object. They belong to the session that made them,
// are visible to every session of the application and go with their session.
#pragma once

#include <p11-kit/pkcs11.h>

#include <memory>
#include <span>
#include <vector>

#include "pkcs11/module.h"
#include "token/object.h"

namespace sx::p11 {

// A session object of session `owner` from validated values (token/attr). Public keys
// get their operation key: an EC point on its curve, an RSA modulus of 1024-16384 bits
// with an odd public exponent (else CKR_ATTRIBUTE_VALUE_INVALID).
CK_RV make_session_object(CK_SESSION_HANDLE owner, const token::ObjectKind& kind, token::AttrMap values,
                          std::shared_ptr<SessionObject>& out);

// chip_mu held. C_GenerateKeyPair of a session pair: the private key a transient chip
// object (Token::generate_session_key), the public key a session object with its point /
// modulus. `pubv`/`privv`: the validated templates; `attrs`: key_pair_request's.
CK_RV generate_session_pair(Module& m, CK_SESSION_HANDLE owner, CK_MECHANISM_TYPE mech, const token::KeySpec& spec,
                            const token::NewObject& attrs, token::AttrMap pubv, token::AttrMap privv,
                            CK_OBJECT_HANDLE* pub, CK_OBJECT_HANDLE* priv);

// chip_mu held. A token key pair whose public template said CKA_TOKEN = FALSE: the
// public half as a session object (a copy of the token public view's point / modulus,
// with the template's attributes).
CK_RV session_public_half(Module& m, CK_SESSION_HANDLE owner, token::ObjectRef pair, const token::AttrMap& pubv,
                          CK_OBJECT_HANDLE* pub);

// Deletes session keys from the chip, best effort: a failure is logged, never returned
// (a key left behind is gone at the next chip reset). The first form takes chip_mu.
void release_session_keys(Module& m, const std::vector<uint32_t>& chip_ids);
void release_session_keys_locked(Module& m, const std::vector<uint32_t>& chip_ids);

// C_CopyObject: the copy's values, the source's with the template's changes. Allowed:
// CKA_TOKEN, CKA_PRIVATE, CKA_MODIFIABLE, CKA_DESTROYABLE, CKA_COPYABLE (to FALSE only)
// and every attribute C_SetAttributeValue may change; any other attribute only with its
// current value (else CKR_ATTRIBUTE_READ_ONLY).
CK_RV copy_values(const token::ObjectKind& kind, const token::AttrMap& src, std::span<const CK_ATTRIBUTE> t,
                  token::AttrMap& out);

}  // namespace sx::p11
