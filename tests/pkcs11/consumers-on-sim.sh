#!/usr/bin/env bash
# Runs the third-party PKCS#11 consumer harness (tests/integration/p11) against
# libse05x-pkcs11.so on a fresh se05x-sim: provisions a token with pkcs11-tool
# (init token, init PIN) and then runs run-consumer-tests.sh in keygen mode.
# With P11_ADOPT_CLI=<path of the se05x CLI> the identity is instead the simulator's
# factory key + certificate, adopted under one label and ID with `se05x adopt`, and the
# broker trusts the simulated NXP CA (se05x-sim --print-factory-ca).
#   consumers-on-sim.sh SIM_BINARY MODULE KEYS CHECKS
# Exit 77 (skip) when the harness or a tool it needs is missing.
set -uo pipefail
[ $# -eq 4 ] || { sed -n '2,7p' "$0" >&2; exit 2; }
sim_bin="$1"; module="$2"; keys="$3"; checks="$4"
here="$(cd "$(dirname "$0")" && pwd)"
harness="$here/../integration/p11/run-consumer-tests.sh"
[ -x "$harness" ] || { echo "SKIP: $harness not present"; exit 77; }
command -v pkcs11-tool >/dev/null || { echo "SKIP: pkcs11-tool not installed"; exit 77; }

. "$here/sim-for-module.sh" sx-p11-sim
so_pin="${P11_SO_PIN:-5678}"; pin="${P11_PIN:-1234}"; token_label="${P11_TOKEN_LABEL:-sx-p11-test}"
pkcs11-tool --module "$module" --init-token --so-pin "$so_pin" --label "$token_label" >/dev/null || exit 1
pkcs11-tool --module "$module" --init-pin --login --so-pin "$so_pin" --pin "$pin" >/dev/null || exit 1
# p11-kit ignores user module configs when run as root: that sub-check cannot pass there.
if [ "$(id -u)" = 0 ] && [ -z "${P11_OPENSC_XFAIL+x}" ]; then export P11_OPENSC_XFAIL="p11-kit-module"; fi
mode=keygen
if [ -n "${P11_ADOPT_CLI:-}" ]; then
  case "$keys" in
    ec) factory_key=0xF0000100; factory_cert=0xF0000101 ;;
    rsa) factory_key=0xF0000110; factory_cert=0xF0000111 ;;
    *) echo "adoption needs KEYS ec or rsa"; exit 2 ;;
  esac
  export P11_LABEL="factory-$keys" P11_ID=01
  SE05X_PIN="$pin" "$P11_ADOPT_CLI" --port "$SE05X_PORT" --lock-file "$work/p11.lock" adopt \
    --key "$factory_key" --cert "$factory_cert" --label "$P11_LABEL" --id "$P11_ID" || exit 1
  export P11_CA_DIR="$work/ca"
  "$here/../integration/p11/pki.sh" init "$P11_CA_DIR" >/dev/null || exit 1
  "$sim_bin" --nvm "$work/chip.nvm" --print-factory-ca >>"$P11_CA_DIR/ca.pem" || exit 1
  mode=existing
fi
"$harness" "$module" "$mode" --keys "$keys" --checks "$checks" --work "$work/consumers"
