// Cryptographic entry points over the token/mech operation state machines.
// Output-length conventions (2.40 section 5.2): a NULL output buffer asks for
// the length and keeps the operation; CKR_BUFFER_TOO_SMALL keeps it; every
// other result ends it.
#include <cstring>
#include <optional>
#include <span>
#include <utility>

#include "pkcs11/entry_run.h"
#include "pkcs11/export.h"
#include "pkcs11/op_key.h"
#include "token/attr/attr_template.h"
#include "token/attr/attr_types.h"
#include "token/mech/derive_ecdh.h"

using namespace sx::p11;
namespace tk = sx::token;

namespace {

sx::ByteView in_bytes(CK_BYTE_PTR p, CK_ULONG n) {
  return p == nullptr ? sx::ByteView{} : sx::ByteView(p, n);
}

// Answers a length query / too-small buffer; CKR_OK means "go ahead".
// `done` is set when the call is answered without producing output.
CK_RV length_check(CK_BYTE_PTR out, CK_ULONG_PTR out_len, CK_ULONG need, bool& done) {
  done = true;
  if (out == nullptr) {
    *out_len = need;
    return CKR_OK;
  }
  if (*out_len < need) {
    *out_len = need;
    return CKR_BUFFER_TOO_SMALL;
  }
  done = false;
  return CKR_OK;
}

CK_RV deliver(const sx::Bytes& v, CK_BYTE_PTR out, CK_ULONG_PTR out_len) {
  if (*out_len < v.size()) {  // cannot happen when the length was exact; kept as a guard
    *out_len = static_cast<CK_ULONG>(v.size());
    return CKR_BUFFER_TOO_SMALL;
  }
  if (!v.empty()) std::memcpy(out, v.data(), v.size());
  *out_len = static_cast<CK_ULONG>(v.size());
  return CKR_OK;
}

// chip_mu held: runs `f(client)` with the token lock (lock file + link) held.
// `single_apdu`: `f` sends exactly one APDU (a sign, a decrypt). Through a
// broker that APDU is atomic by itself -- the broker never interleaves another
// client's APDU into it and the chip executes it whole -- so the lock file and
// the broker's LOCK/UNLOCK (two extra round trips) are skipped; on an I2C link
// the lock is still taken (another process's T=1 frames could interleave).
// See docs/pkcs11-module.md.
template <class F>
CK_RV on_chip(Module& m, F&& f, bool single_apdu = false) {
  if (CK_RV rv = m.chip.ensure(); rv != CKR_OK) return rv;
  auto hold = single_apdu ? m.chip.token().hold_single() : m.chip.token().hold();
  if (!hold) return rv_from_error(hold.error(), "chip lock");
  const CK_RV rv = f(m.chip.token().client());
  // The key is gone from the chip (token/mech/chip_ops.h): the next refresh lists it again.
  if (rv == CKR_FUNCTION_FAILED) m.chip.token().chip_changed();
  return rv;
}

template <class F>
CK_RV on_chip_single(Module& m, F&& f) {
  return on_chip(m, std::forward<F>(f), true);
}

const tk::ChipCapabilities& caps(Module& m) { return m.chip.facts().caps; }

// The common shape of every C_*Init with a key: argument check, one operation of
// the kind at a time, the key looked up (chip_mu held: the row's lock), then the
// operation's own mechanism validation (`init`).
template <Entry E, class Op, class Init>
CK_RV start_operation(Module& m, std::unique_ptr<Op>& slot, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE hKey, Use use,
                      Init init) {
  if (mech == nullptr) return CKR_ARGUMENTS_BAD;
  if (slot && slot->active()) return CKR_OPERATION_ACTIVE;
  tk::KeyRef key;
  if (CK_RV rv = op_key<E>(m, hKey, use, key, mech); rv != CKR_OK) return rv;
  auto op = std::make_unique<Op>();
  if (CK_RV rv = init(*op, key); rv != CKR_OK) return rv;
  slot = std::move(op);
  return CKR_OK;
}

// A slot of a session: which operation an entry point works on.
template <class Op>
using OpSlot = std::unique_ptr<Op> Session::*;

// C_VerifyInit, C_DecryptInit, C_EncryptInit: start_operation() with the
// operation's plain init(caps, mechanism, key).
template <Entry E, class Op>
CK_RV plain_init(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey, OpSlot<Op> slot,
                 Use use) {
  return run<E>(hSession, [&](Module& m, Session& s) -> CK_RV {
    return start_operation<E>(m, s.*slot, pMechanism, hKey, use, [&](Op& op, const tk::KeyRef& key) {
      return op.init(caps(m), *pMechanism, key);
    });
  });
}

using ContextAuth = Session::ContextAuth;

// chip_mu held, after a successful C_SignInit / C_DecryptInit: whether the key
// is CKA_ALWAYS_AUTHENTICATE, i.e. the operation waits for a context login.
ContextAuth context_auth_for(Module& m, CK_OBJECT_HANDLE h) {
  if (auto so = m.handles.session_object(h))  // a session key pair's private half
    return so->kind.cls == CKO_PRIVATE_KEY && tk::get_bool(so->values, CKA_ALWAYS_AUTHENTICATE) == true
               ? ContextAuth::Pending
               : ContextAuth::None;
  auto ref = m.handles.ref(h);
  const tk::Object* o = ref ? m.chip.token().find(*ref) : nullptr;
  return o && o->cls == tk::ObjectClass::PrivateKey && o->always_authenticate ? ContextAuth::Pending
                                                                              : ContextAuth::None;
}

// An operation still waiting for its context login (CKA_ALWAYS_AUTHENTICATE)
// ends with CKR_USER_NOT_LOGGED_IN, as in SoftHSM2: the PIN comes before the
// data (docs/pkcs11-module.md, "Context-specific login").
template <class Op>
CK_RV context_gate(std::unique_ptr<Op>& op, ContextAuth& auth) {
  if (!op || !op->active() || auth != ContextAuth::Pending) return CKR_OK;
  op.reset();
  auth = ContextAuth::None;
  return CKR_USER_NOT_LOGGED_IN;
}

// Multi-part calls of the single-part RSA mechanisms (2.40).
template <Entry E, class Op>
CK_RV multipart_not_supported(CK_SESSION_HANDLE hSession, OpSlot<Op> slot) {
  return run<E>(hSession, [&](Module&, Session& s) -> CK_RV {
    if (!(s.*slot) || !(s.*slot)->active()) return CKR_OPERATION_NOT_INITIALIZED;
    return CKR_FUNCTION_NOT_SUPPORTED;
  });
}

// C_SignUpdate, C_VerifyUpdate, C_DigestUpdate: any failure ends the operation.
// `auth`: the operation's context-login state (C_SignUpdate), else none.
template <Entry E, class Op>
CK_RV update_part(CK_SESSION_HANDLE hSession, OpSlot<Op> slot, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
                  ContextAuth Session::*auth = nullptr) {
  return run<E>(hSession, [&](Module&, Session& s) -> CK_RV {
    std::unique_ptr<Op>& op = s.*slot;
    if (!op || !op->active()) return CKR_OPERATION_NOT_INITIALIZED;
    if (auth != nullptr && !(pPart == nullptr && ulPartLen != 0))
      if (CK_RV rv = context_gate(op, s.*auth); rv != CKR_OK) return rv;
    CK_RV rv = pPart == nullptr && ulPartLen != 0 ? CKR_ARGUMENTS_BAD : op->update(in_bytes(pPart, ulPartLen));
    if (rv != CKR_OK) op.reset();
    return rv;
  });
}

// The output step of a sign/encrypt/digest (single part or final) whose
// length is known beforehand: `args_ok` false ends the operation with
// CKR_ARGUMENTS_BAD; `need(op)` is the output length, `produce(op, out)` makes it.
template <class Op, class Need, class Produce>
CK_RV output_step(std::unique_ptr<Op>& op, bool args_ok, CK_BYTE_PTR out, CK_ULONG_PTR out_len, Need need,
                  Produce produce) {
  if (!op || !op->active()) return CKR_OPERATION_NOT_INITIALIZED;
  if (!args_ok) {
    op.reset();
    return CKR_ARGUMENTS_BAD;
  }
  bool done = false;
  CK_RV rv = length_check(out, out_len, need(*op), done);
  if (done) return rv;
  sx::Bytes v;
  rv = produce(*op, v);
  op.reset();
  return rv == CKR_OK ? deliver(v, out, out_len) : rv;
}

}  // namespace

// ---------------------------------------------------------------- sign

SX_P11_EXPORT CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return run<Entry::C_SignInit>(hSession, [&](Module& m, Session& s) -> CK_RV {
    CK_RV rv = start_operation<Entry::C_SignInit>(m, s.sign, pMechanism, hKey, Use::Sign,
                                                  [&](tk::SignOperation& op, const tk::KeyRef& key) {
      tk::SignOptions so;
      so.check_signature = key.key_type == CKK_EC || m.cfg.verify_rsa;
      so.check_ecdsa = m.cfg.verify_ecdsa;
      return op.init(caps(m), *pMechanism, key, so);
    });
    if (rv == CKR_OK) s.sign_auth = context_auth_for(m, hKey);
    return rv;
  });
}

SX_P11_EXPORT CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                           CK_ULONG_PTR pulSignatureLen) {
  return run<Entry::C_Sign>(hSession, [&](Module& m, Session& s) -> CK_RV {
    const bool args_ok = pulSignatureLen != nullptr && !(pData == nullptr && ulDataLen != 0);
    if (args_ok)
      if (CK_RV rv = context_gate(s.sign, s.sign_auth); rv != CKR_OK) return rv;
    return output_step(
        s.sign, args_ok, pSignature, pulSignatureLen, [](tk::SignOperation& op) { return op.signature_length(); },
        [&](tk::SignOperation& op, sx::Bytes& sig) {
          return chip_phase<Entry::C_Sign>(m, [&] {
            return on_chip_single(m, [&](sx::se05x::Client& c) { return op.sign(c, in_bytes(pData, ulDataLen), sig); });
          });
        });
  });
}

SX_P11_EXPORT CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return update_part<Entry::C_SignUpdate>(hSession, &Session::sign, pPart, ulPartLen, &Session::sign_auth);
}

SX_P11_EXPORT CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen) {
  return run<Entry::C_SignFinal>(hSession, [&](Module& m, Session& s) -> CK_RV {
    if (pulSignatureLen != nullptr)
      if (CK_RV rv = context_gate(s.sign, s.sign_auth); rv != CKR_OK) return rv;
    return output_step(
        s.sign, pulSignatureLen != nullptr, pSignature, pulSignatureLen,
        [](tk::SignOperation& op) { return op.signature_length(); },
        [&](tk::SignOperation& op, sx::Bytes& sig) {
          return chip_phase<Entry::C_SignFinal>(
              m, [&] { return on_chip_single(m, [&](sx::se05x::Client& c) { return op.final(c, sig); }); });
        });
  });
}

// ---------------------------------------------------------------- verify (host only)

SX_P11_EXPORT CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return plain_init<Entry::C_VerifyInit>(hSession, pMechanism, hKey, &Session::verify, Use::Verify);
}

SX_P11_EXPORT CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                             CK_ULONG ulSignatureLen) {
  return run<Entry::C_Verify>(hSession, [&](Module&, Session& s) -> CK_RV {
    if (!s.verify || !s.verify->active()) return CKR_OPERATION_NOT_INITIALIZED;
    CK_RV rv = CKR_ARGUMENTS_BAD;
    if (!((pData == nullptr && ulDataLen != 0) || (pSignature == nullptr && ulSignatureLen != 0)))
      rv = s.verify->verify(in_bytes(pData, ulDataLen), in_bytes(pSignature, ulSignatureLen));
    s.verify.reset();
    return rv;
  });
}

SX_P11_EXPORT CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return update_part<Entry::C_VerifyUpdate>(hSession, &Session::verify, pPart, ulPartLen);
}

SX_P11_EXPORT CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen) {
  return run<Entry::C_VerifyFinal>(hSession, [&](Module&, Session& s) -> CK_RV {
    if (!s.verify || !s.verify->active()) return CKR_OPERATION_NOT_INITIALIZED;
    CK_RV rv = pSignature == nullptr && ulSignatureLen != 0
                   ? CKR_ARGUMENTS_BAD
                   : s.verify->final(in_bytes(pSignature, ulSignatureLen));
    s.verify.reset();
    return rv;
  });
}

// ---------------------------------------------------------------- decrypt / encrypt (RSA)

SX_P11_EXPORT CK_RV C_DecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return run<Entry::C_DecryptInit>(hSession, [&](Module& m, Session& s) -> CK_RV {
    CK_RV rv = start_operation<Entry::C_DecryptInit>(
        m, s.decrypt, pMechanism, hKey, Use::Decrypt,
        [&](tk::DecryptOperation& op, const tk::KeyRef& key) { return op.init(caps(m), *pMechanism, key); });
    if (rv == CKR_OK) s.decrypt_auth = context_auth_for(m, hKey);
    return rv;
  });
}

// The plaintext length is known only after decrypting: a length query
// decrypts (the operation caches the result, so the real call does not go to
// the chip again).
SX_P11_EXPORT CK_RV C_Decrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData, CK_ULONG ulEncryptedDataLen,
                              CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen) {
  return run<Entry::C_Decrypt>(hSession, [&](Module& m, Session& s) -> CK_RV {
    if (!s.decrypt || !s.decrypt->active()) return CKR_OPERATION_NOT_INITIALIZED;
    if (pulDataLen == nullptr || (pEncryptedData == nullptr && ulEncryptedDataLen != 0)) {
      s.decrypt.reset();
      return CKR_ARGUMENTS_BAD;
    }
    if (CK_RV rv = context_gate(s.decrypt, s.decrypt_auth); rv != CKR_OK) return rv;
    sx::Bytes plain;
    CK_RV rv = on_chip_single(m, [&](sx::se05x::Client& c) {
      return s.decrypt->decrypt(c, in_bytes(pEncryptedData, ulEncryptedDataLen), plain);
    });
    if (rv != CKR_OK) {
      s.decrypt.reset();
      return rv;
    }
    bool done = false;
    rv = length_check(pData, pulDataLen, static_cast<CK_ULONG>(plain.size()), done);
    if (!done) {
      rv = deliver(plain, pData, pulDataLen);
      s.decrypt.reset();
    }
    sx::secure_wipe(plain);
    return rv;
  });
}

SX_P11_EXPORT CK_RV C_DecryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR) {
  return multipart_not_supported<Entry::C_DecryptUpdate>(hSession, &Session::decrypt);
}

SX_P11_EXPORT CK_RV C_DecryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR, CK_ULONG_PTR) {
  return multipart_not_supported<Entry::C_DecryptFinal>(hSession, &Session::decrypt);
}

SX_P11_EXPORT CK_RV C_EncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return plain_init<Entry::C_EncryptInit>(hSession, pMechanism, hKey, &Session::encrypt, Use::Encrypt);
}

SX_P11_EXPORT CK_RV C_Encrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                              CK_BYTE_PTR pEncryptedData, CK_ULONG_PTR pulEncryptedDataLen) {
  return run<Entry::C_Encrypt>(hSession, [&](Module&, Session& s) -> CK_RV {
    const bool args_ok = pulEncryptedDataLen != nullptr && !(pData == nullptr && ulDataLen != 0);
    return output_step(
        s.encrypt, args_ok, pEncryptedData, pulEncryptedDataLen,
        [](tk::EncryptOperation& op) { return op.output_length(); },
        [&](tk::EncryptOperation& op, sx::Bytes& out) { return op.encrypt(in_bytes(pData, ulDataLen), out); });
  });
}

SX_P11_EXPORT CK_RV C_EncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR) {
  return multipart_not_supported<Entry::C_EncryptUpdate>(hSession, &Session::encrypt);
}

SX_P11_EXPORT CK_RV C_EncryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR, CK_ULONG_PTR) {
  return multipart_not_supported<Entry::C_EncryptFinal>(hSession, &Session::encrypt);
}

// ---------------------------------------------------------------- digest (host)

SX_P11_EXPORT CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism) {
  return run<Entry::C_DigestInit>(hSession, [&](Module& m, Session& s) -> CK_RV {
    if (pMechanism == nullptr) return CKR_ARGUMENTS_BAD;
    if (s.digest && s.digest->active()) return CKR_OPERATION_ACTIVE;
    tk::ChipCapabilities c;
    if (m.chip.open()) c = caps(m);
    auto op = std::make_unique<tk::DigestOperation>();
    if (CK_RV rv = op->init(c, *pMechanism); rv != CKR_OK) return rv;
    s.digest = std::move(op);
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pDigest,
                             CK_ULONG_PTR pulDigestLen) {
  return run<Entry::C_Digest>(hSession, [&](Module&, Session& s) -> CK_RV {
    const bool args_ok = pulDigestLen != nullptr && !(pData == nullptr && ulDataLen != 0);
    return output_step(
        s.digest, args_ok, pDigest, pulDigestLen, [](tk::DigestOperation& op) { return op.digest_length(); },
        [&](tk::DigestOperation& op, sx::Bytes& out) { return op.digest(in_bytes(pData, ulDataLen), out); });
  });
}

SX_P11_EXPORT CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return update_part<Entry::C_DigestUpdate>(hSession, &Session::digest, pPart, ulPartLen);
}

SX_P11_EXPORT CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen) {
  return run<Entry::C_DigestFinal>(hSession, [&](Module&, Session& s) -> CK_RV {
    return output_step(
        s.digest, pulDigestLen != nullptr, pDigest, pulDigestLen,
        [](tk::DigestOperation& op) { return op.digest_length(); },
        [](tk::DigestOperation& op, sx::Bytes& out) { return op.final(out); });
  });
}

// ---------------------------------------------------------------- derive (ECDH)

namespace {

// C_DeriveKey's template: a host-held CKO_SECRET_KEY (CKK_GENERIC_SECRET
// unless it says otherwise), never a token object; its CKA_VALUE_LEN (AES:
// required, 16/24/32).
CK_RV derive_template(Module& m, std::span<const CK_ATTRIBUTE> t, tk::ObjectKind& kind, tk::AttrMap& values,
                      std::optional<CK_ULONG>& value_len) {
  bool typed = false;
  for (const auto& a : t) typed = typed || a.type == CKA_KEY_TYPE;
  if (CK_RV rv = tk::classify_template(t, CKO_SECRET_KEY, typed ? CK_UNAVAILABLE_INFORMATION : CKK_GENERIC_SECRET,
                                       kind);
      rv != CKR_OK)
    return rv;
  if (CK_RV rv = tk::validate_template(tk::Phase::Generate, kind, t, values); rv != CKR_OK) return rv;
  if (tk::get_bool(values, CKA_TOKEN).value_or(false)) return CKR_TEMPLATE_INCONSISTENT;  // host-held only
  if (CK_RV rv = may_use_private<Entry::C_DeriveKey>(m, tk::get_bool(values, CKA_PRIVATE).value_or(true));
      rv != CKR_OK)
    return rv;
  value_len = tk::get_ulong(values, CKA_VALUE_LEN);
  if (kind.sub == CKK_AES) {
    if (!value_len) return CKR_TEMPLATE_INCOMPLETE;
    if (*value_len != 16 && *value_len != 24 && *value_len != 32) return CKR_ATTRIBUTE_VALUE_INVALID;
  }
  return CKR_OK;
}

}  // namespace

// CKM_ECDH1_DERIVE: the chip's shared secret, cut or run through the X9.63
// KDF (token/mech/derive_ecdh.h), becomes a host-held session object.
// Checks in this order (docs/pkcs11-module.md, "Return-code audit"):
// arguments, mechanism and its parameter, base key (handle, login, class,
// usage, type), template, the peer's point and the length, then the chip.
SX_P11_EXPORT CK_RV C_DeriveKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hBaseKey,
                                CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey) {
  return run<Entry::C_DeriveKey>(hSession, [&](Module& m, Session& s) -> CK_RV {
    if (pMechanism == nullptr || phKey == nullptr || (pTemplate == nullptr && ulAttributeCount != 0))
      return CKR_ARGUMENTS_BAD;
    if (CK_RV rv = m.chip.ensure(); rv != CKR_OK) return rv;
    if (CK_RV rv = tk::ecdh1_check(caps(m), *pMechanism); rv != CKR_OK) return rv;
    tk::KeyRef key;
    if (CK_RV rv = op_key<Entry::C_DeriveKey>(m, hBaseKey, Use::Derive, key); rv != CKR_OK) return rv;
    if (CK_RV rv = tk::ecdh1_check_key(caps(m), *pMechanism, key); rv != CKR_OK) return rv;
    std::span<const CK_ATTRIBUTE> t =
        pTemplate == nullptr ? std::span<const CK_ATTRIBUTE>{} : std::span<const CK_ATTRIBUTE>(pTemplate, ulAttributeCount);
    tk::ObjectKind kind;
    tk::AttrMap values;
    std::optional<CK_ULONG> value_len;
    if (CK_RV rv = derive_template(m, t, kind, values, value_len); rv != CKR_OK) return rv;
    tk::Ecdh1Plan plan;
    if (CK_RV rv = tk::ecdh1_plan(*pMechanism, key, value_len, plan); rv != CKR_OK) return rv;
    sx::Bytes value;
    CK_RV rv = on_chip(m, [&](sx::se05x::Client& c) { return tk::ecdh1_run(c, key, plan, value); });
    if (rv != CKR_OK) return rv;
    values[CKA_VALUE_LEN] = tk::ck_ulong(static_cast<CK_ULONG>(value.size()));
    values[CKA_VALUE] = std::move(value);
    tk::set_key_origin(kind, tk::KeyOrigin::Derived, pMechanism->mechanism, values);
    *phKey = m.handles.add(s.handle, kind, std::move(values));
    return CKR_OK;
  });
}

// ---------------------------------------------------------------- random

// The chip's RNG takes no seed. The arguments are checked first (2.40 §5.15:
// CKR_ARGUMENTS_BAD is a listed answer; the missing feature is the last one).
SX_P11_EXPORT CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen) {
  return run<Entry::C_SeedRandom>(hSession, [&](Module&, Session&) -> CK_RV {
    if (pSeed == nullptr && ulSeedLen != 0) return CKR_ARGUMENTS_BAD;
    return CKR_RANDOM_SEED_NOT_SUPPORTED;
  });
}

SX_P11_EXPORT CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pRandomData, CK_ULONG ulRandomLen) {
  return run<Entry::C_GenerateRandom>(hSession, [&](Module& m, Session&) -> CK_RV {
    if (pRandomData == nullptr && ulRandomLen != 0) return CKR_ARGUMENTS_BAD;
    return on_chip(m, [&](sx::se05x::Client& c) -> CK_RV {
      CK_ULONG done = 0;
      while (done < ulRandomLen) {
        const CK_ULONG n = std::min<CK_ULONG>(ulRandomLen - done, 512);
        auto r = c.get_random(static_cast<uint16_t>(n));
        if (!r) return rv_from_error(r.error(), "C_GenerateRandom");
        if (r->size() != n) return CKR_DEVICE_ERROR;
        std::memcpy(pRandomData + done, r->data(), n);
        done += n;
      }
      return CKR_OK;
    });
  });
}
