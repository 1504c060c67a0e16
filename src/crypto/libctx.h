// The one OpenSSL library context of this project's code. Every OpenSSL call
// that fetches an algorithm, builds or decodes a key, or parses a certificate
// goes through it -- never through OpenSSL's default context, which belongs to
// the host application.
//
// Why (issue 15): a host that prefers OpenSSL's pkcs11-provider
// (`default_properties = ?provider=pkcs11`) routes default-context decoders
// and fetches into that provider. Our module is called *by* the provider, with
// its lock held; a d2i_X509 on the default context during C_GetSlotInfo would
// call back into the provider and wait on that lock for ever. This context has
// only OpenSSL's built-in default provider loaded and never reads OPENSSL_CONF.
#pragma once

#include <openssl/types.h>

namespace sx::crypto {

// Created on first use (thread-safe) and kept for the life of the process: it
// is never freed, because OpenSSL's own atexit clean-up may run before static
// destructors of a dlopen()ed module.
OSSL_LIB_CTX* libctx();

// Property query used with libctx(): nullptr (the context has one provider).
inline constexpr const char* kPropq = nullptr;

}  // namespace sx::crypto
