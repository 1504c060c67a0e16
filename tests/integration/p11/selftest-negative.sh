#!/usr/bin/env bash
# Proves the harnesses can fail: breaks a good SoftHSM2 identity in the two ways Greengrass users
# hit and expects the consumers to reject it.
#   selftest-negative.sh [MODULE_PATH]   (default: SoftHSM2; always provisions a fresh SoftHSM token)
# 1. certificate CKA_ID != private key CKA_ID (same label): SunPKCS11 cannot pair them ->
#    check-java.sh must FAIL; the CRT finds the key by label only -> check-awscrt.sh still PASSes.
# 2. label not on the token: check-java.sh and check-awscrt.sh must FAIL.
# 3. wrong PIN: check-openssl.sh must FAIL.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"
module="${1:-/usr/lib/softhsm/libsofthsm2.so}"
for t in softhsm2-util pkcs11-tool mosquitto java javac; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
work="$(mktemp -d /tmp/sx-p11-negative.XXXXXX)"
fails=0
expect() {  # expect pass|fail NAME CMD...
  local want="$1" name="$2"; shift 2
  local rc=0
  "$@" >"$work/$name.log" 2>&1 || rc=$?
  if { [ "$want" = pass ] && [ "$rc" -eq 0 ]; } || { [ "$want" = fail ] && [ "$rc" -ne 0 ]; }; then
    echo "PASS: $name (expected $want, exit $rc)"
  else
    echo "FAIL: $name (expected $want, exit $rc) - log $work/$name.log"; tail -n 15 "$work/$name.log"; fails=$((fails + 1))
  fi
}

"$here/provision.sh" softhsm "$module" "$work/ec" ec >"$work/provision.log" 2>&1 || { cat "$work/provision.log"; exit 2; }
env_file="$work/ec/p11.env"
p11_load_env "$env_file"
port="$("$here/mosquitto-ctl.sh" start "$work/broker" "$P11_CA_DIR")" || exit 2
printf 'P11_BROKER_PORT=%q\n' "$port" >> "$env_file"
p11l=(pkcs11-tool --module "$module" --slot "$P11_SLOT" --login --pin "$P11_PIN")

expect pass baseline-java "$here/check-java.sh" "$env_file" TLSv1.3

# 1. same label, different CKA_ID on the certificate.
"${p11l[@]}" --delete-object --type cert --id "$P11_ID" >/dev/null 2>&1
openssl x509 -in "$P11_CERT_PEM" -outform DER -out "$work/cert.der"
"${p11l[@]}" --write-object "$work/cert.der" --type cert --label "$P11_LABEL" --id 7f >/dev/null 2>&1
expect fail id-mismatch-java "$here/check-java.sh" "$env_file" TLSv1.3
grep -q 'does not exist' "$work/id-mismatch-java.log" \
  && echo "PASS: id-mismatch-java reports the Greengrass 'does not exist' condition" \
  || { echo "FAIL: id-mismatch-java failed for another reason"; fails=$((fails + 1)); }
expect pass id-mismatch-awscrt "$here/check-awscrt.sh" "$env_file" plain

# 2. a label that is not on the token.
sed "s/^P11_LABEL=.*/P11_LABEL=no-such-label/" "$env_file" > "$work/wrong-label.env"
expect fail wrong-label-java "$here/check-java.sh" "$work/wrong-label.env" TLSv1.2
expect fail wrong-label-awscrt "$here/check-awscrt.sh" "$work/wrong-label.env" plain

# 3. wrong PIN.
sed "s/^P11_PIN=.*/P11_PIN=9999/" "$env_file" > "$work/wrong-pin.env"
expect fail wrong-pin-openssl "$here/check-openssl.sh" "$work/wrong-pin.env"

"$here/mosquitto-ctl.sh" stop "$work/broker"
if [ "$fails" -eq 0 ]; then rm -rf "$work"; echo "negative self-test: all expectations met"; else echo "kept $work"; fi
[ "$fails" -eq 0 ]
