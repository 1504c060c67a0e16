#!/usr/bin/env bash
# Java / SunPKCS11 path (Greengrass's JSSE HTTPS path and its KeyStore checks).
#   check-java.sh ENV_FILE [TLSv1.3|TLSv1.2|both]   (default both)
# Compiles GreengrassPkcs11Check.java with javac into $P11_BUILD_DIR/java (default: the work dir)
# and runs it once per protocol against the broker. The JSSE/SunPKCS11 debug log is kept; the
# CertificateVerify signature scheme the client used is printed from it.
# P11_JAVA_EXTRA_CONFIG (optional) is appended to the SunPKCS11 config - NOT what Greengrass does;
# used to emulate a token with fewer mechanisms, e.g.
#   P11_JAVA_EXTRA_CONFIG='disabledMechanisms = { CKM_SHA256_RSA_PKCS CKM_RSA_PKCS_PSS CKM_SHA256_RSA_PKCS_PSS }'

set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 ENV_FILE [TLSv1.3|TLSv1.2|both]" >&2; exit 2; }
p11_load_env "$1"
which="${2:-both}"
case "$which" in both) protos=(TLSv1.3 TLSv1.2) ;; TLSv1.3|TLSv1.2) protos=("$which") ;;
  *) p11_die "protocol must be TLSv1.3, TLSv1.2 or both" ;; esac
command -v javac >/dev/null || p11_die "javac not found (openjdk-17-jdk-headless)"

classes="${P11_BUILD_DIR:-$P11_WORK}/java"
mkdir -p "$classes"
if [ ! -f "$classes/GreengrassPkcs11Check.class" ] || [ "$here/GreengrassPkcs11Check.java" -nt "$classes/GreengrassPkcs11Check.class" ]; then
  p11_run 120 javac -encoding UTF-8 -Xlint:all -Werror -d "$classes" "$here/GreengrassPkcs11Check.java"
fi
p11_ensure_broker
log_dir="$(mktemp -d "$P11_WORK/java.XXXXXX")"
fail=0
for proto in "${protos[@]}"; do
  log="$log_dir/java-$proto.log"
  rc=0
  p11_run 90 java -Djavax.net.debug=ssl:handshake -Djava.security.debug=sunpkcs11 -cp "$classes" \
    GreengrassPkcs11Check "$P11_MODULE" "$P11_SLOT" "$P11_PIN" "$P11_LABEL" "$P11_CA_DIR/ca.pem" \
    127.0.0.1 "$P11_BROKER_PORT" "$proto" ${P11_JAVA_EXTRA_CONFIG:+"$P11_JAVA_EXTRA_CONFIG"} >"$log" 2>&1 || rc=$?
  grep -E '^\[java\]' "$log" || true
  scheme="$(awk '/Produced (client )?CertificateVerify/{f=1} f && /"signature algorithm"/{gsub(/.*: /,""); print; exit}' "$log")"
  echo "[java] $proto client CertificateVerify signature scheme: ${scheme:-<none found>} (debug log: $log)"
  if [ "$rc" -ne 0 ]; then
    echo "[java] FAILED ($proto, exit $rc); last lines of $log:"; tail -n 25 "$log" | sed 's/^/    /'
    p11_broker_log; fail=1
  fi
done
[ "$fail" = 0 ] && echo "[java] check RESULT: OK" || echo "[java] check RESULT: FAILED"
exit "$fail"
