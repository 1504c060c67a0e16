#!/usr/bin/env bash
# The files `se05x greengrass-config --output DIR` writes, used UNMODIFIED by each nucleus's own
# path to the key, on a simulator behind se05xd:
#
#   greengrass-config-test.sh lite   nucleus lite: --nucleus lite --owner 65534:GID; then, as uid
#                                    65534 in the broker's group GID only (setpriv, no user
#                                    created), OPENSSL_CONF=DIR/openssl-se05x.cnf openssl s_client
#                                    -key/-cert <the pkcs11: URIs of DIR/config.yaml> -> MQTT
#                                    CONNACK, TLS 1.3 and 1.2 (OpenSSL 3 + pkcs11-provider). The
#                                    same uid without the group is refused. The systemd drop-ins
#                                    are checked for OPENSSL_CONF and SupplementaryGroups.
#   greengrass-config-test.sh java   Java nucleus: --nucleus java --output DIR; DIR/config.yaml
#                                    is one YAML document; library, slot, userPin and the URIs
#                                    (decoded like the Greengrass PKCS#11 plugin) come from it
#                                    into SunPKCS11/JSSE -> CONNACK over TLS 1.3 and 1.2; then 20
#                                    nucleus-start logins leave the user-PIN failure counter alone
#                                    (and one wrong PIN does move it, so the check can fail).
#
# Binaries from the environment: SE05X_SIM_BIN, SE05X_CLI_BIN, SE05X_MODULE_BIN, SE05XD_BIN.
# The broker is private to the test (its own socket, config admitting uid 0 and a test GID; the
# shipped /etc/se05xd.conf admits the group se05x the same way). The module finds it through
# SE05X_BROKER_SOCKET, which stands in for the default /run/se05x/se05xd.sock — no SE05X_PORT.
# Must run as root (the broker checks real credentials). Exit 77 when a tool is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mode="${1:-}"
case "$mode" in lite|java) ;; *) echo "usage: $0 lite|java" >&2; exit 2 ;; esac
skip() { echo "SKIP: $*"; exit 77; }
for v in SE05X_SIM_BIN SE05X_CLI_BIN SE05X_MODULE_BIN SE05XD_BIN; do
  [ -x "${!v:-}" ] || [ -f "${!v:-}" ] || { echo "$v not set or missing" >&2; exit 2; }
done
sim_bin="$SE05X_SIM_BIN" cli="$SE05X_CLI_BIN" broker_bin="$SE05XD_BIN"
module="$(cd "$(dirname "$SE05X_MODULE_BIN")" && pwd)/$(basename "$SE05X_MODULE_BIN")"
[ "$(id -u)" = 0 ] || skip "needs root (se05xd checks the real uid/gid of its clients)"
for t in mosquitto openssl timeout setpriv /usr/bin/python3; do command -v "$t" >/dev/null || skip "$t not installed"; done
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml missing"
if [ "$mode" = lite ]; then
  # Debian 12: bookworm-backports; Debian 13: main.
  [ -n "$(find /usr/lib -path '*/ossl-modules/pkcs11.so' -print -quit 2>/dev/null)" ] \
    || skip "OpenSSL's pkcs11-provider not installed (apt-get install -t bookworm-backports pkcs11-provider)"
else
  for t in java javac; do command -v "$t" >/dev/null || skip "$t not installed"; done
fi

work="$(mktemp -d /tmp/sx-ggconf.XXXXXX)"
sim_pid="" broker_pid=""
cleanup() {
  "$here/mosquitto-ctl.sh" stop "$work/mqtt" >/dev/null 2>&1 || true
  for p in $broker_pid $sim_pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [ "${KEEP:-0}" = 1 ] && echo "work directory kept: $work" || rm -rf "$work"
}
trap cleanup EXIT
n=0
step() { n=$((n + 1)); printf '\n== %d. %s\n' "$n" "$*"; }
fail() {
  printf 'greengrass-config-test (%s): FAILED at step %d: %s\n' "$mode" "$n" "$*" >&2
  [ -f "$work/se05xd.log" ] && { echo "---- se05xd.log (last lines)"; tail -n 15 "$work/se05xd.log"; } >&2
  exit 1
}
t() { timeout --kill-after=5 "$@"; }
wait_ready() {  # file log what
  for _ in $(seq 200); do grep -qx ready "$1" 2>/dev/null && return 0; sleep 0.05; done
  cat "$2" >&2; fail "$3 did not start"
}

# Unprivileged test identity: uid 65534 (nobody) and a group number nobody else uses.
test_uid=65534
test_gid=47010
while getent group "$test_gid" >/dev/null; do test_gid=$((test_gid + 1)); done
chmod 0711 "$work"   # the test user must reach the broker socket and the files under $work

step "se05x-sim behind a private se05xd (socket 0660 group $test_gid; admits uid 0 and gid $test_gid)"
"$sim_bin" --nvm "$work/chip.nvm" --no-fsync --listen "unix:$work/chip.sock" --ready-file "$work/sim.ready" \
  >"$work/sim.log" 2>&1 &
sim_pid=$!
wait_ready "$work/sim.ready" "$work/sim.log" se05x-sim
mkdir -m 0755 "$work/run"
cat >"$work/se05xd.conf" <<EOF
{
  // as dist/se05xd.conf ships it, with a test group number instead of "se05x"
  "connection": "unix:$work/chip.sock",
  "socket": "$work/run/se05xd.sock",
  "socket_mode": "0660",
  "socket_group": $test_gid,
  "allow_uids": [0],
  "allow_gids": [$test_gid],
  "log_level": "info"
}
EOF
t 10 "$broker_bin" --config "$work/se05xd.conf" --check-config || fail "se05xd --check-config"
"$broker_bin" --config "$work/se05xd.conf" --foreground --ready-file "$work/broker.ready" >"$work/se05xd.log" 2>&1 &
broker_pid=$!
wait_ready "$work/broker.ready" "$work/se05xd.log" se05xd
ls -l "$work/run/se05xd.sock"
[ "$(stat -c '%a %g' "$work/run/se05xd.sock")" = "660 $test_gid" ] || fail "broker socket is not 0660 group $test_gid"
# The module's and the CLI's default connection is the broker socket; this names a private one.
export SE05X_BROKER_SOCKET="$work/run/se05xd.sock"
unset SE05X_PORT EX_SSS_BOOT_SSS_PORT OPENSSL_CONF
# Readable by the test user; lock_file empty as for any broker client (the broker serialises).
printf 'lock_file =\npin_iterations = 1000\nlog_level = warn\n' >"$work/p11.conf"
chmod 0644 "$work/p11.conf"
export SE05X_PKCS11_CONF="$work/p11.conf"
se() { echo "\$ se05x $*"; t 120 "$cli" "$@"; }

label=greengrass-core so_pin=5678 pin=58203917   # a PIN no path or number contains by chance
step "provision as root through the broker: token init, init-pin, keygen --csr, test CA, import-cert"
SE05X_SO_PIN=$so_pin se token init --label se050 || fail "token init"
SE05X_SO_PIN=$so_pin SE05X_NEW_PIN=$pin se token init-pin || fail "token init-pin"
export SE05X_PIN=$pin
mkdir -p "$work/ca"
"$here/pki.sh" init "$work/ca" >/dev/null 2>&1 || fail "test CA"
se keygen --label "$label" --id 01 --type ec:p256 --csr "$work/core.csr" --subject "CN=MyArmadilloCore" || fail "keygen"
"$here/pki.sh" sign-csr "$work/ca" "$work/core.csr" "$work/core.pem" || fail "sign CSR"
se import-cert --label "$label" "$work/core.pem" || fail "import-cert"
chmod -R a+rX "$work/ca"

step "local mosquitto requiring client certificates"
port="$("$here/mosquitto-ctl.sh" start "$work/mqtt" "$work/ca")" || fail "mosquitto"
echo "mosquitto on 127.0.0.1:$port"

# Mode and owner of a file greengrass-config wrote: check_file FILE MODE [UID:GID]
check_file() {
  local got
  got="$(stat -c '%a %u:%g' "$1")"
  [ "${got%% *}" = "$2" ] || fail "$1 has mode ${got%% *}, want $2"
  [ -z "${3:-}" ] || [ "${got#* }" = "$3" ] || fail "$1 is owned by ${got#* }, want $3"
  echo "  $1: $got"
}

if [ "$mode" = lite ]; then
  out="$work/gg-lite"
  step "greengrass-config --nucleus lite --output $out --owner $test_uid:$test_gid"
  printf '%s\n' "$pin" >"$work/pin"; chmod 0600 "$work/pin"
  se --pin-file "$work/pin" greengrass-config --nucleus lite --label "$label" --output "$out" \
    --owner "$test_uid:$test_gid" --module "$module" || fail "greengrass-config --nucleus lite"
  find "$out" -type f | sort
  # The nucleus reads config.yaml, the OpenSSL configuration and the PIN file: --owner gets
  # them; only the PIN file is private. The drop-ins are systemd's, root's.
  check_file "$out/config.yaml" 644 "$test_uid:$test_gid"
  check_file "$out/openssl-se05x.cnf" 644 "$test_uid:$test_gid"
  check_file "$out/user-pin" 600 "$test_uid:$test_gid"
  [ "$(cat "$out/user-pin")" = "$pin" ] || fail "user-pin does not hold the PIN"
  echo "---- $out/config.yaml"; cat "$out/config.yaml"
  echo "---- $out/openssl-se05x.cnf"; cat "$out/openssl-se05x.cnf"
  grep -qE "^pkcs11-module-path *= *$module\$" "$out/openssl-se05x.cnf" || fail "openssl-se05x.cnf does not name $module"
  grep -qE "^pkcs11-module-token-pin *= *file:$out/user-pin\$" "$out/openssl-se05x.cnf" \
    || fail "openssl-se05x.cnf does not take the PIN from $out/user-pin"
  ! grep -q "$pin" "$out/config.yaml" "$out/openssl-se05x.cnf" || fail "the PIN is in config.yaml or openssl-se05x.cnf"
  eval "$(/usr/bin/python3 "$here/gg-values.py" lite "$out/config.yaml")" || fail "config.yaml (lite) is not what nucleus lite reads"
  echo "parsed: privateKeyPath=$gg_key_uri certificateFilePath=$gg_cert_uri (token $gg_token)"
  for svc in ggl.core.iotcored ggl.core.tesd ggl.core.ggdeploymentd; do
    d="$out/systemd/$svc.service.d/se05x.conf"
    [ -f "$d" ] || fail "missing drop-in $d"
    check_file "$d" 644 0:0 >/dev/null
    grep -qx '\[Service\]' "$d" || fail "$d: no [Service] section"
    grep -qx "Environment=OPENSSL_CONF=$out/openssl-se05x.cnf" "$d" || fail "$d: no Environment=OPENSSL_CONF=$out/openssl-se05x.cnf"
    grep -qx 'SupplementaryGroups=se05x' "$d" || fail "$d: no SupplementaryGroups=se05x"
    echo "  $d: OPENSSL_CONF + SupplementaryGroups=se05x"
  done
  if command -v systemd-analyze >/dev/null; then
    # The drop-ins must parse as unit files (no unknown keys or sections).
    mkdir -p "$work/units"
    for svc in ggl.core.iotcored ggl.core.tesd ggl.core.ggdeploymentd; do
      printf '[Service]\nExecStart=/bin/true\n' >"$work/units/$svc.service"
      cp -r "$out/systemd/$svc.service.d" "$work/units/"
    done
    # (Trailing ':' = plus the system's unit path, for sysinit.target & co.)
    v="$(SYSTEMD_UNIT_PATH="$work/units:" t 30 systemd-analyze verify --man=no "$work/units/"*.service 2>&1)" \
      || fail "systemd-analyze verify: $v"
    ! grep -F 'se05x.conf' <<<"$v" || fail "systemd-analyze objects to the drop-ins"
    echo "  systemd-analyze verify: the drop-ins parse (no unknown keys)"
  fi

  step "as uid $test_uid in group $test_gid only (like ggcore with SupplementaryGroups=se05x): OpenSSL pkcs11-provider -> mTLS MQTT"
  t 180 setpriv --reuid="$test_uid" --regid="$test_gid" --groups="$test_gid" --inh-caps=-all \
    /usr/bin/python3 "$here/check-lite.py" "$out" "$work/ca/ca.pem" "$port" || fail "nucleus lite's OpenSSL path"
  grep -E "uid $test_uid gid $test_gid.*connected" "$work/se05xd.log" | head -n 1

  step "the same uid without the group: refused"
  t 180 setpriv --reuid="$test_uid" --regid="$test_uid" --clear-groups --inh-caps=-all \
    /usr/bin/python3 "$here/check-lite.py" --expect-refused "$out" "$work/ca/ca.pem" "$port" \
    || fail "a user outside the broker group reached the key"
  printf '\ngreengrass-config-test (lite): all steps passed\n'
  exit 0
fi

out="$work/gg-java"
step "greengrass-config --nucleus java --output $out (PIN from SE05X_PIN)"
se greengrass-config --nucleus java --label "$label" --output "$out" --module "$module" \
  || fail "greengrass-config --nucleus java"
check_file "$out/config.yaml" 600 0:0
echo "---- $out/config.yaml (PIN masked here)"; sed -E 's/(userPin: *).*/\1****/' "$out/config.yaml"
eval "$(/usr/bin/python3 "$here/gg-values.py" java "$out/config.yaml")" || fail "config.yaml (java) is not what the nucleus reads"
[ "$gg_pin" = "$pin" ] || fail "userPin in config.yaml is not the PIN given"
[ "$gg_library" = "$module" ] || fail "library is $gg_library, want $module"
echo "parsed: name=$gg_name library=$gg_library slot=$gg_slot userPin=(${#gg_pin} chars) object=$gg_key_label"
t 60 "$cli" --json info >"$work/info.json" || fail "se05x info"

{
  printf 'P11_MODULE=%q\nP11_SLOT=%q\nP11_PIN=%q\nP11_LABEL=%q\nP11_ID=01\n' "$gg_library" "$gg_slot" "$gg_pin" "$gg_key_label"
  printf 'P11_TOKEN_LABEL=se050\nP11_KEYTYPE=ec\nP11_CERT_PEM=%q\nP11_CA_DIR=%q\nP11_WORK=%q\n' "$work/core.pem" "$work/ca" "$work"
  printf 'P11_BROKER_PORT=%q\nP11_BROKER_DIR=%q\n' "$port" "$work/mqtt"
} >"$work/p11.env"
step "Java SunPKCS11 with the values of config.yaml -> mTLS MQTT (TLS 1.3 and 1.2)"
t 240 "$here/check-java.sh" "$work/p11.env" both || fail "Java SunPKCS11 check"

pin_failures() {
  t 60 "$cli" --json info | /usr/bin/python3 -c 'import json,sys; t=json.load(sys.stdin)["token"]; print(t["user_pin_failures"], t["user_pin_locked"])'
}
step "20 nucleus starts (each a JVM: SunPKCS11 from config.yaml's values + KeyStore.load = C_Initialize + C_Login) keep the user-PIN failure counter"
before="$(pin_failures)" || fail "se05x info --json"
echo "user_pin_failures user_pin_locked before: $before"
mkdir -p "$work/java-login"
t 120 javac -Xlint:all -Werror -d "$work/java-login" "$here/Pkcs11LoginLoop.java" || fail "javac Pkcs11LoginLoop"
t0=$SECONDS
for i in $(seq 20); do   # ~0.4 s a JVM here
  t 60 java -cp "$work/java-login" Pkcs11LoginLoop "$gg_library" "$gg_slot" "$gg_pin" "$gg_key_label" 1 \
    >"$work/java-login/start-$i.log" 2>&1 || { cat "$work/java-login/start-$i.log"; fail "nucleus start $i"; }
done
tail -n 1 "$work/java-login/start-20.log"
echo "20 JVM starts: $((SECONDS - t0)) s"
after="$(pin_failures)" || fail "se05x info --json"
echo "user_pin_failures user_pin_locked after:  $after"
[ "$before" = "$after" ] || fail "the user-PIN failure counter changed: $before -> $after"
# The counter read above must be able to move: one start with a wrong PIN costs one try.
t 120 java -cp "$work/java-login" Pkcs11LoginLoop "$gg_library" "$gg_slot" "0000" "$gg_key_label" 1 --expect-wrong-pin \
  || fail "a wrong PIN was not refused"
wrong="$(pin_failures)" || fail "se05x info --json"
echo "user_pin_failures user_pin_locked after one wrong PIN: $wrong"
[ "${wrong%% *}" = "$(( ${before%% *} + 1 ))" ] || fail "a wrong PIN did not move the failure counter ($before -> $wrong)"
printf '\ngreengrass-config-test (java): all steps passed\n'
