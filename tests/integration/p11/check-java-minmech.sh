#!/usr/bin/env bash
# Java path with the token restricted to the mechanisms an SE050 module is expected to offer for
# TLS client keys: CKM_ECDSA and CKM_RSA_PKCS (no hash-and-sign, no PSS). Done with SunPKCS11's
# disabledMechanisms - an emulation for the SoftHSM2 oracle, NOT what Greengrass configures.
#   check-java-minmech.sh ENV_FILE
# Expected: EC P-256 works with TLS 1.3 and 1.2 (ecdsa_secp256r1_sha256 over CKM_ECDSA);
# RSA works with TLS 1.2 (rsa_pkcs1_sha256 over CKM_RSA_PKCS) and must FAIL with TLS 1.3
# ("No supported CertificateVerify signature algorithm for RSA key": TLS 1.3 needs RSA-PSS).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"
[ $# -eq 1 ] || { echo "usage: $0 ENV_FILE" >&2; exit 2; }
p11_load_env "$1"
export P11_JAVA_EXTRA_CONFIG='disabledMechanisms = { CKM_SHA1_RSA_PKCS CKM_SHA224_RSA_PKCS CKM_SHA256_RSA_PKCS CKM_SHA384_RSA_PKCS CKM_SHA512_RSA_PKCS CKM_RSA_PKCS_PSS CKM_SHA1_RSA_PKCS_PSS CKM_SHA224_RSA_PKCS_PSS CKM_SHA256_RSA_PKCS_PSS CKM_SHA384_RSA_PKCS_PSS CKM_SHA512_RSA_PKCS_PSS CKM_ECDSA_SHA1 CKM_ECDSA_SHA224 CKM_ECDSA_SHA256 CKM_ECDSA_SHA384 CKM_ECDSA_SHA512 }'
fail=0
if [ "$P11_KEYTYPE" = ec ]; then
  "$here/check-java.sh" "$1" both || fail=1
else
  "$here/check-java.sh" "$1" TLSv1.2 || fail=1
  out="$("$here/check-java.sh" "$1" TLSv1.3 2>&1)" && { echo "$out"; echo "[java-minmech] FAILED: RSA TLS 1.3 without PSS unexpectedly worked"; fail=1; }
  if echo "$out" | grep -q 'No supported CertificateVerify signature algorithm for RSA'; then
    echo "[java-minmech] RSA + TLSv1.3 without CKM_RSA_PKCS_PSS fails as expected: No supported CertificateVerify signature algorithm"
  else
    echo "$out" | tail -n 20; echo "[java-minmech] FAILED: RSA TLS 1.3 failed for another reason"; fail=1
  fi
fi
[ "$fail" = 0 ] && echo "[java-minmech] check RESULT: OK" || echo "[java-minmech] check RESULT: FAILED"
exit "$fail"
