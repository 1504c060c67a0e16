#!/usr/bin/env bash
# The Greengrass provisioning flow on the simulator, end to end:
#   start se05x-sim -> se05x token init / init-pin -> se05x keygen --csr (or se05x adopt of the
#   factory key + certificate) -> sign the CSR with a local test CA (stands in for AWS IoT
#   create-certificate-from-csr) -> se05x import-cert -> se05x greengrass-config -> se05x doctor
#   -> mTLS to a local mosquitto (client certificates required) through Java SunPKCS11 and
#   python3-awscrt, configured ONLY with the values greengrass-config printed.
#
#   greengrass-flow.sh [ec|rsa|adopt]        (default ec; also GG_KEY=...)
# Binaries: SX_BUILD (default build/native) or SE05X_SIM_BIN / SE05X_CLI_BIN / SE05X_MODULE_BIN.
# GG_CHIP=external: use the chip the installed defaults reach (SE05X_PORT if set, else the se05xd
# socket /run/se05x/se05xd.sock) with the installed /etc/se05x-pkcs11.conf: no simulator is started
# and no SE05X_PORT / module config is exported; the chip must be fresh (no token yet). adopt then
# needs GG_FACTORY_CA (the simulator's --print-factory-ca). Used by tests/packaging/install-test.sh.
# Everything runs on 127.0.0.1 and in a temp dir removed at exit (KEEP=1 keeps it).
# Exit 0 only if every step passed; 77 if a tool the checks need is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
p11="$root/tests/integration/p11"
mode="${1:-${GG_KEY:-ec}}"
case "$mode" in ec|rsa|adopt) ;; *) echo "usage: $0 [ec|rsa|adopt]" >&2; exit 2 ;; esac
chip="${GG_CHIP:-sim}"
case "$chip" in sim|external) ;; *) echo "GG_CHIP must be sim or external" >&2; exit 2 ;; esac
build="${SX_BUILD:-$root/build/native}"
sim_bin="${SE05X_SIM_BIN:-$build/src/sim_server/se05x-sim}"
cli="${SE05X_CLI_BIN:-$build/src/cli/se05x}"
module="${SE05X_MODULE_BIN:-$build/src/pkcs11/libse05x-pkcs11.so}"
[ -d "$(dirname "$module")" ] && module="$(cd "$(dirname "$module")" && pwd)/$(basename "$module")"   # SunPKCS11 wants an absolute path
[ "$chip" = external ] && sim_bin="$cli"   # not used
for f in "$sim_bin" "$cli" "$module"; do [ -e "$f" ] || { echo "greengrass-flow: $f not built" >&2; exit 2; }; done
for t in mosquitto java javac openssl pkcs11-tool timeout; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
/usr/bin/python3 -c 'import awscrt.io, PyKCS11' 2>/dev/null || { echo "SKIP: python3-awscrt/python3-pykcs11 missing"; exit 77; }

work="$(mktemp -d /tmp/sx-greengrass.XXXXXX)"
sim_pid=""
cleanup() {
  "$p11/mosquitto-ctl.sh" stop "$work/broker" >/dev/null 2>&1 || true
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  [ "${KEEP:-0}" = 1 ] && echo "work directory kept: $work" || rm -rf "$work"
}
trap cleanup EXIT
n=0
step() { n=$((n + 1)); printf '\n== %d. %s\n' "$n" "$*"; }
fail() { printf 'greengrass-flow: FAILED at step %d: %s\n' "$n" "$*" >&2; exit 1; }
t() { timeout --kill-after=5 "$@"; }     # every external step is bounded

label=greengrass-core; so_pin=5678; pin=1234; token_label=se050
if [ "$chip" = external ]; then
step "use the installed configuration's chip ($mode): ${SE05X_PORT:-default connection (the se05xd socket if present)}"
[ "$mode" != adopt ] || [ -f "${GG_FACTORY_CA:-}" ] || fail "adopt with GG_CHIP=external needs GG_FACTORY_CA"
[ "$mode" != adopt ] || cp "$GG_FACTORY_CA" "$work/factory-ca.pem"
else
step "start the simulator ($mode)"
t 10 "$sim_bin" --nvm "$work/chip.nvm" --print-factory-ca >"$work/factory-ca.pem" || fail "factory NVM"
"$sim_bin" --nvm "$work/chip.nvm" --no-fsync --listen "unix:$work/se05x.sock" --ready-file "$work/ready" \
  >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 200); do grep -qx ready "$work/ready" 2>/dev/null && break; sleep 0.05; done
grep -qx ready "$work/ready" 2>/dev/null || { cat "$work/sim.log"; fail "se05x-sim did not start"; }
export SE05X_PORT="unix:$work/se05x.sock" SE05X_LOCK_FILE="$work/p11.lock"
export SE05X_PKCS11_CONF="$work/p11.conf"
printf 'lock_file = %s\npin_iterations = 1000\nlog_level = warn\n' "$work/p11.lock" >"$SE05X_PKCS11_CONF"
echo "se05x-sim pid $sim_pid on $SE05X_PORT"
fi
se() { echo "\$ se05x $*"; t 120 "$cli" "$@"; }

step "token: label and PINs"
SE05X_SO_PIN=$so_pin se token init --label "$token_label" || fail "token init"
SE05X_SO_PIN=$so_pin SE05X_NEW_PIN=$pin se token init-pin || fail "token init-pin"
export SE05X_PIN=$pin

mkdir -p "$work/ca"
"$p11/pki.sh" init "$work/ca" >/dev/null 2>&1 || fail "test CA"
if [ "$mode" = adopt ]; then
  step "adopt the factory key 0xF0000100 and certificate 0xF0000101"
  se adopt --key 0xF0000100 --cert 0xF0000101 --label "$label" --id 01 || fail "adopt"
  # The factory certificate was issued by the (simulated) NXP CA: the broker trusts that CA.
  cat "$work/factory-ca.pem" >>"$work/ca/ca.pem"
  echo "broker trusts the test CA and the simulated NXP CA (se05x-sim --print-factory-ca)"
else
  type=ec:p256; [ "$mode" = rsa ] && type=rsa:2048
  step "keygen $type inside the chip, with a CSR signed by it"
  se keygen --label "$label" --id 01 --type "$type" --csr "$work/core.csr" --subject "CN=MyArmadilloCore" \
    || fail "keygen"
  step "sign the CSR with the local test CA (stands in for aws iot create-certificate-from-csr)"
  "$p11/pki.sh" sign-csr "$work/ca" "$work/core.csr" "$work/core.pem" || fail "sign CSR"
  openssl x509 -in "$work/core.pem" -noout -subject -issuer
  step "import-cert"
  se import-cert --label "$label" "$work/core.pem" || fail "import-cert"
fi

step "greengrass-config"
se greengrass-config --label "$label" --module "$module" | tee "$work/config.txt" || fail "greengrass-config"
t 60 "$cli" --json greengrass-config --label "$label" --module "$module" >"$work/config.json" \
  || fail "greengrass-config --json"
# Only these values (what Greengrass's config.yaml gets) reach the checks below.
eval "$(/usr/bin/python3 - "$work/config.json" <<'PY'
import json, shlex, sys
c = json.load(open(sys.argv[1]))
for k in ("name", "library", "slot", "private_key_uri", "certificate_uri"):
    print("gg_%s=%s" % (k, shlex.quote(str(c[k]))))
PY
)" || fail "parsing greengrass-config --json"
uri_object() {  # the object= attribute of a pkcs11: URI whose type= is $2
  case "$1" in *";type=$2"*|*"type=$2;"*) ;; *) return 1 ;; esac
  printf '%s\n' "$1" | tr ';:' '\n\n' | sed -n 's/^object=//p' | head -n 1
}
key_obj="$(uri_object "$gg_private_key_uri" private)" || fail "privateKeyPath is not a private-key URI: $gg_private_key_uri"
cert_obj="$(uri_object "$gg_certificate_uri" cert)" || fail "certificateFilePath is not a certificate URI: $gg_certificate_uri"
[ "$key_obj" = "$cert_obj" ] || fail "key and certificate URIs name different objects"
echo "parsed: name=$gg_name library=$gg_library slot=$gg_slot privateKeyPath=$gg_private_key_uri certificateFilePath=$gg_certificate_uri"

step "doctor"
se doctor --label "$label" --module "$gg_library" || fail "doctor"

step "certificate from the token (as Greengrass reads certificateFilePath)"
t 60 pkcs11-tool --module "$gg_library" --slot "$gg_slot" --read-object --type cert --label "$cert_obj" \
  -o "$work/token-cert.der" >/dev/null 2>&1 || fail "reading $gg_certificate_uri through $gg_library slot $gg_slot"
openssl x509 -inform DER -in "$work/token-cert.der" -out "$work/token-cert.pem"
openssl x509 -in "$work/token-cert.pem" -noout -subject -issuer
openssl verify -CAfile "$work/ca/ca.pem" "$work/token-cert.pem" || fail "broker CA does not trust the certificate"

step "local mosquitto on 127.0.0.1 requiring client certificates"
port="$("$p11/mosquitto-ctl.sh" start "$work/broker" "$work/ca")" || fail "mosquitto"
echo "mosquitto on 127.0.0.1:$port"
keytype=ec; [ "$mode" = rsa ] && keytype=rsa
{
  printf 'P11_MODULE=%q\nP11_SLOT=%q\nP11_PIN=%q\nP11_LABEL=%q\nP11_ID=01\n' "$gg_library" "$gg_slot" "$pin" "$key_obj"
  printf 'P11_TOKEN_LABEL=%q\nP11_KEYTYPE=%q\nP11_CERT_PEM=%q\nP11_CA_DIR=%q\nP11_WORK=%q\n' \
    "$token_label" "$keytype" "$work/token-cert.pem" "$work/ca" "$work"
  printf 'P11_BROKER_PORT=%q\nP11_BROKER_DIR=%q\n' "$port" "$work/broker"
} >"$work/p11.env"

step "Java SunPKCS11 (name=$gg_name library slot userPin, key $gg_private_key_uri) -> mTLS MQTT"
t 240 "$p11/check-java.sh" "$work/p11.env" both || fail "Java SunPKCS11 check"
step "python3-awscrt (library slot userPin, key $gg_private_key_uri) -> mTLS MQTT"
t 240 "$p11/check-awscrt.sh" "$work/p11.env" both || fail "awscrt check"

printf '\ngreengrass-flow (%s): all steps passed\n' "$mode"
