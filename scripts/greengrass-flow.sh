#!/usr/bin/env bash
# The Greengrass provisioning flow on the simulator, end to end:
#   start se05x-sim -> se05x token init / init-pin -> se05x keygen --csr (or se05x adopt of the
#   factory key + certificate) -> sign the CSR with a local test CA (stands in for AWS IoT
#   create-certificate-from-csr) -> se05x import-cert -> se05x greengrass-config -> se05x doctor
#   -> mTLS to a local mosquitto (client certificates required), for both Greengrass nuclei,
#   configured ONLY with what greengrass-config wrote or printed:
#     Java nucleus: `greengrass-config --nucleus java --output DIR`; DIR/config.yaml read like the
#       nucleus reads it (one YAML document; URIs decoded like the PKCS#11 plugin) -> Java
#       SunPKCS11/JSSE, TLS 1.3 and 1.2; python3-awscrt with the same values.
#     nucleus lite: `greengrass-config --nucleus lite --output DIR` -> OPENSSL_CONF=DIR/openssl-
#       se05x.cnf openssl s_client -key/-cert <the pkcs11: URIs of DIR/config.yaml> (OpenSSL 3 +
#       pkcs11-provider), TLS 1.3 and 1.2, as the current user. Without pkcs11-provider (Debian 12:
#       bookworm-backports) this part is reported as skipped, unless GG_LITE=require.
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
/usr/bin/python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml missing (reads config.yaml like the nucleus)"; exit 77; }
# OpenSSL's pkcs11-provider (nucleus lite's way to the key): Debian 12 bookworm-backports, Debian 13 main.
lite_provider="$(find /usr/lib -path '*/ossl-modules/pkcs11.so' -print -quit 2>/dev/null || true)"
if [ -z "$lite_provider" ] && [ "${GG_LITE:-}" = require ]; then
  echo "greengrass-flow: GG_LITE=require but OpenSSL's pkcs11-provider is not installed" >&2; exit 1
fi

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

label=greengrass-core; so_pin=5678; pin=58203917; token_label=se050   # a PIN no path or number contains by chance
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

step "greengrass-config (printed: the Java nucleus's config.yaml, no PIN)"
se greengrass-config --label "$label" --module "$module" | tee "$work/config.txt" || fail "greengrass-config"
grep -q "$pin" "$work/config.txt" && fail "greengrass-config printed the PIN"
t 60 "$cli" --json greengrass-config --label "$label" --module "$module" >"$work/config.json" \
  || fail "greengrass-config --json"
# Only these values (what Greengrass's config.yaml gets) reach the checks below.
eval "$(/usr/bin/python3 - "$work/config.json" <<'PY'
import json, shlex, sys
c = json.load(open(sys.argv[1]))
for k in ("name", "library", "slot", "private_key_uri", "certificate_uri"):
    print("gg_%s_json=%s" % (k, shlex.quote(str(c[k]))))
PY
)" || fail "parsing greengrass-config --json"
uri_object() {  # the object= attribute of a pkcs11: URI whose type= is $2
  case "$1" in *";type=$2"*|*"type=$2;"*) ;; *) return 1 ;; esac
  printf '%s\n' "$1" | tr ';:' '\n\n' | sed -n 's/^object=//p' | head -n 1
}
key_obj="$(uri_object "$gg_private_key_uri_json" private)" || fail "privateKeyPath is not a private-key URI: $gg_private_key_uri_json"
cert_obj="$(uri_object "$gg_certificate_uri_json" cert)" || fail "certificateFilePath is not a certificate URI: $gg_certificate_uri_json"
[ "$key_obj" = "$cert_obj" ] || fail "key and certificate URIs name different objects"
echo "--json: name=$gg_name_json library=$gg_library_json slot=$gg_slot_json privateKeyPath=$gg_private_key_uri_json certificateFilePath=$gg_certificate_uri_json"

step "greengrass-config --nucleus java --output (PIN from SE05X_PIN into a 0600 file)"
se greengrass-config --nucleus java --label "$label" --module "$module" --output "$work/gg-java" \
  || fail "greengrass-config --nucleus java --output"
[ "$(stat -c %a "$work/gg-java/config.yaml")" = 600 ] || fail "$work/gg-java/config.yaml is not 0600"
sed -E 's/(userPin: *).*/\1****/' "$work/gg-java/config.yaml"
# What the Java nucleus and its PKCS#11 plugin read from that file, nothing else.
eval "$(/usr/bin/python3 "$p11/gg-values.py" java "$work/gg-java/config.yaml")" \
  || fail "$work/gg-java/config.yaml is not what the Java nucleus reads"
[ "$gg_library" = "$gg_library_json" ] || [ -z "${gg_library_json:-}" ] || fail "config.yaml and --json disagree on library"
echo "from config.yaml: name=$gg_name library=$gg_library slot=$gg_slot userPin=(${#gg_pin} chars) object=$gg_key_label"

step "doctor, then doctor --config on the written config.yaml (read as the Java nucleus reads it)"
se doctor --label "$label" --module "$gg_library" || fail "doctor"
se doctor --config "$work/gg-java/config.yaml" || fail "doctor --config (Java nucleus)"

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
  printf 'P11_MODULE=%q\nP11_SLOT=%q\nP11_PIN=%q\nP11_LABEL=%q\nP11_ID=01\n' "$gg_library" "$gg_slot" "$gg_pin" "$gg_key_label"
  printf 'P11_TOKEN_LABEL=%q\nP11_KEYTYPE=%q\nP11_CERT_PEM=%q\nP11_CA_DIR=%q\nP11_WORK=%q\n' \
    "$token_label" "$keytype" "$work/token-cert.pem" "$work/ca" "$work"
  printf 'P11_BROKER_PORT=%q\nP11_BROKER_DIR=%q\n' "$port" "$work/broker"
} >"$work/p11.env"

step "Java nucleus: SunPKCS11 with $work/gg-java/config.yaml (name=$gg_name library slot userPin, key $gg_key_uri) -> mTLS MQTT"
t 240 "$p11/check-java.sh" "$work/p11.env" both || fail "Java SunPKCS11 check"
step "python3-awscrt (library slot userPin, key $gg_key_uri) -> mTLS MQTT"
t 240 "$p11/check-awscrt.sh" "$work/p11.env" both || fail "awscrt check"

lite="skipped (OpenSSL's pkcs11-provider not installed)"
if [ -n "$lite_provider" ]; then
  step "greengrass-config --nucleus lite --output (config.yaml, OpenSSL configuration, PIN file, systemd drop-ins)"
  se greengrass-config --nucleus lite --label "$label" --module "$module" --output "$work/gg-lite" \
    || fail "greengrass-config --nucleus lite --output"
  (cd "$work/gg-lite" && find . -type f | sort)
  grep -q "$pin" "$work/gg-lite/config.yaml" && fail "nucleus lite's config.yaml contains the PIN"
  eval "$(/usr/bin/python3 "$p11/gg-values.py" lite "$work/gg-lite/config.yaml")" \
    || fail "$work/gg-lite/config.yaml is not what nucleus lite reads"
  se doctor --config "$work/gg-lite/config.yaml" --nucleus lite --openssl-conf "$work/gg-lite/openssl-se05x.cnf" \
    || fail "doctor --config (nucleus lite)"
  step "nucleus lite: OPENSSL_CONF=openssl-se05x.cnf openssl s_client -key $gg_key_uri -> mTLS MQTT"
  t 240 /usr/bin/python3 "$p11/check-lite.py" "$work/gg-lite" "$work/ca/ca.pem" "$port" || fail "nucleus lite's OpenSSL path"
  lite="passed"
else
  step "nucleus lite: SKIPPED, OpenSSL's pkcs11-provider is not installed (apt-get install -t bookworm-backports pkcs11-provider)"
fi

printf '\ngreengrass-flow (%s): all steps passed (Java nucleus: passed; nucleus lite: %s)\n' "$mode" "$lite"
