#!/usr/bin/env bash
# Issue 15, item 1: OpenSSL configured to prefer pkcs11-provider (providers default + pkcs11 +
# base, `default_properties = ?provider=pkcs11` -- the layout pkcs11-provider's own documentation
# and tests use) driving libse05x-pkcs11.so on a fresh se05x-sim whose chip holds certificates
# (the simulator's factory certificates). Every provider operation must finish: before the
# module had its own OpenSSL library context, the first token access deadlocked (C_GetSlotInfo
# -> chip scan -> d2i_X509 on the default context -> decoder back into pkcs11-provider -> its
# own lock). A hang fails within TIMEOUT seconds.
#   provider-preferred-on-sim.sh SIM_BINARY MODULE
# Exit 77 (skip) when pkcs11-tool or pkcs11-provider is missing.
set -uo pipefail
[ $# -eq 2 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
sim_bin="$1"; module="$2"
limit="${TIMEOUT:-60}"
command -v pkcs11-tool >/dev/null || { echo "SKIP: pkcs11-tool not installed"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl not installed"; exit 77; }
provider="$(openssl version -m | sed -n 's/^MODULESDIR: "\(.*\)"$/\1/p')/pkcs11.so"
[ -f "$provider" ] || { echo "SKIP: pkcs11-provider not installed ($provider)"; exit 77; }

. "$(cd "$(dirname "$0")" && pwd)/sim-for-module.sh" sx-p11-prov
pin=1234
# Provisioning with OpenSSL's ordinary configuration.
pkcs11-tool --module "$module" --init-token --so-pin 5678 --label sx-prov >/dev/null || exit 1
pkcs11-tool --module "$module" --init-pin --login --so-pin 5678 --pin "$pin" >/dev/null || exit 1
pkcs11-tool --module "$module" --login --pin "$pin" --keypairgen --key-type EC:prime256v1 --label prov-ec \
  --id 01 >/dev/null || exit 1

cat >"$work/openssl.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
alg_section = algorithm_sect
[provider_sect]
default = default_sect
pkcs11 = pkcs11_sect
base = base_sect
[default_sect]
activate = 1
[base_sect]
activate = 1
[pkcs11_sect]
module = $provider
pkcs11-module-path = $module
pkcs11-module-token-pin = $pin
activate = 1
[algorithm_sect]
default_properties = ?provider=pkcs11
CNF
export OPENSSL_CONF="$work/openssl.cnf"

fail=0
# run NAME COMMAND...: the command must finish within the limit and succeed.
run() {
  local name="$1"; shift
  timeout -k 5 "$limit" "$@" >"$work/$name.out" 2>&1
  local rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "FAIL $name: no answer within ${limit}s (hang)"; fail=1
  elif [ "$rc" -ne 0 ]; then
    echo "FAIL $name: exit $rc"; sed 's/^/  /' "$work/$name.out" | tail -20; fail=1
  else
    echo "ok   $name"
  fi
}
key="pkcs11:token=sx-prov;object=prov-ec"
printf 'provider-preferred OpenSSL\n' >"$work/data"
run pubout openssl pkey -in "$key;type=public" -pubin -pubout -out "$work/pub.pem"
run sign openssl pkeyutl -sign -inkey "$key;type=private" -rawin -digest sha256 -in "$work/data" \
  -out "$work/sig"
run req openssl req -new -key "$key;type=private" -subj /CN=prov-ec -out "$work/req.pem"
# The results, checked by OpenSSL without the pkcs11 provider (importing a PEM public key into the
# token as a session object is another part of issue 15).
[ "$fail" = 0 ] || exit 1
OPENSSL_CONF=/dev/null run verify openssl pkeyutl -verify -pubin -inkey "$work/pub.pem" -rawin -digest sha256 \
  -in "$work/data" -sigfile "$work/sig"
OPENSSL_CONF=/dev/null run req-verify openssl req -in "$work/req.pem" -verify -noout
exit "$fail"
