#!/usr/bin/env bash
# AWS CRT path (Greengrass's MQTT connection) through Debian's python3-awscrt.
#   check-awscrt.sh ENV_FILE [plain|preinit|both]   (default both)
# 'preinit' first initialises + logs in through PyKCS11 in the same process (Greengrass JVM:
# SunPKCS11 and the CRT share one module instance). The CRT trace log is kept and its PKCS#11
# and key-operation lines are printed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 ENV_FILE [plain|preinit|both]" >&2; exit 2; }
p11_load_env "$1"
which="${2:-both}"
case "$which" in both) variants=(plain preinit) ;; plain|preinit) variants=("$which") ;;
  *) p11_die "variant must be plain, preinit or both" ;; esac
"$P11_PYTHON" -c 'import awscrt.io' 2>/dev/null || p11_die "python3-awscrt not importable by $P11_PYTHON"
p11_ensure_broker
log_dir="$(mktemp -d "$P11_WORK/awscrt.XXXXXX")"
fail=0
for v in "${variants[@]}"; do
  extra=(); [ "$v" = preinit ] && extra=(--preinit)
  rc=0
  p11_run 90 "$P11_PYTHON" "$here/awscrt_check.py" --library "$P11_MODULE" --slot "$P11_SLOT" --pin "$P11_PIN" \
    --label "$P11_LABEL" --cert "$P11_CERT_PEM" --ca "$P11_CA_DIR/ca.pem" --host 127.0.0.1 \
    --port "$P11_BROKER_PORT" --log "$log_dir/crt-$v.log" "${extra[@]}" >"$log_dir/out-$v.txt" 2>&1 || rc=$?
  sed "s/^\[awscrt\]/[awscrt:$v]/" "$log_dir/out-$v.txt"
  grep -hoE "C_Initialize:[A-Z_]+|User (was already )?logged in|Found private key[^\"]*|Begin TLS key operation[^\"]*" \
    "$log_dir/crt-$v.log" 2>/dev/null | sed "s/^/[awscrt:$v] crt-log: /" || true
  if [ "$rc" -ne 0 ]; then
    echo "[awscrt:$v] FAILED (exit $rc); CRT errors:"
    grep -E '^\[(ERROR|WARN)' "$log_dir/crt-$v.log" 2>/dev/null | tail -n 15 | sed 's/^/    /' || true
    p11_broker_log; fail=1
  fi
done
[ "$fail" = 0 ] && echo "[awscrt] check RESULT: OK" || echo "[awscrt] check RESULT: FAILED"
exit "$fail"
