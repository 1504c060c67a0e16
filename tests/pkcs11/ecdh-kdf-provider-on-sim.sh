#!/usr/bin/env bash
# Issue 15, item 5, through a real consumer: OpenSSL's pkcs11-provider maps an ECDH key
# exchange with kdf-type X963KDF onto C_DeriveKey(CKM_ECDH1_DERIVE, CKD_SHA*_KDF, shared data =
# the UKM, CKA_VALUE_LEN = kdf-outlen). On a fresh se05x-sim with two token EC keys A and B:
#  1. `openssl pkeyutl -derive` A with B's public key, no KDF (CKD_NULL): the shared secret Z;
#  2. the same with X963KDF for SHA-1 .. SHA-512 and a UKM: must equal ANSI X9.63 computed by
#     python3 (hashlib) over that Z -- and B with A's public key must give the same.
#   ecdh-kdf-provider-on-sim.sh SIM_BINARY MODULE
# Exit 77 (skip) when pkcs11-tool, python3 or pkcs11-provider is missing.
set -uo pipefail
[ $# -eq 2 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
sim_bin="$1"; module="$2"
limit="${TIMEOUT:-60}"
command -v pkcs11-tool >/dev/null || { echo "SKIP: pkcs11-tool not installed"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
provider="$(openssl version -m | sed -n 's/^MODULESDIR: "\(.*\)"$/\1/p')/pkcs11.so"
[ -f "$provider" ] || { echo "SKIP: pkcs11-provider not installed ($provider)"; exit 77; }

. "$(cd "$(dirname "$0")" && pwd)/sim-for-module.sh" sx-p11-kdf
pin=1234
# tool ARGS...: pkcs11-tool on the module, its chatter shown only when it fails.
tool() {
  pkcs11-tool --module "$module" "$@" >"$work/tool.out" 2>&1 || { sed 's/^/  /' "$work/tool.out"; exit 1; }
}
tool --init-token --so-pin 5678 --label sx-kdf
tool --init-pin --login --so-pin 5678 --pin "$pin"
for k in a:0A b:0B; do
  tool --login --pin "$pin" --keypairgen --key-type EC:prime256v1 --label "kdf-${k%%:*}" --id "${k##*:}" --usage-derive
done

cat >"$work/openssl.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
pkcs11 = pkcs11_sect
[default_sect]
activate = 1
[pkcs11_sect]
module = $provider
pkcs11-module-path = $module
pkcs11-module-token-pin = $pin
activate = 1
CNF
export OPENSSL_CONF="$work/openssl.cnf"

uri="pkcs11:token=sx-kdf;object=kdf"
ukm=0102030405060708
fail=0
# derive NAME MINE PEER [PKEYOPT...]: openssl pkeyutl -derive into $work/NAME.bin.
derive() {
  local name="$1" mine="$2" peer="$3"; shift 3
  local opts=()
  for o in "$@"; do opts+=(-pkeyopt "$o"); done
  if ! timeout -k 5 "$limit" openssl pkeyutl -derive -inkey "$uri-$mine;type=private" \
      -peerkey "$uri-$peer;type=public" "${opts[@]}" -out "$work/$name.bin" >"$work/$name.out" 2>&1; then
    echo "FAIL $name"; sed 's/^/  /' "$work/$name.out" | tail -20; fail=1; return 1
  fi
}
derive z a b || exit 1
[ "$(stat -c %s "$work/z.bin")" = 32 ] || { echo "FAIL z: not 32 bytes"; exit 1; }
for md in SHA1 SHA224 SHA256 SHA384 SHA512; do
  derive "$md-ab" a b kdf-type:X963KDF "kdf-digest:$md" kdf-outlen:32 "hexkdf-ukm:$ukm" || continue
  derive "$md-ba" b a kdf-type:X963KDF "kdf-digest:$md" kdf-outlen:32 "hexkdf-ukm:$ukm" || continue
  want="$(python3 - "$work/z.bin" "$md" "$ukm" <<'PY'
import hashlib, sys
z = open(sys.argv[1], 'rb').read()
h = {'SHA1': 'sha1', 'SHA224': 'sha224', 'SHA256': 'sha256', 'SHA384': 'sha384', 'SHA512': 'sha512'}[sys.argv[2]]
info = bytes.fromhex(sys.argv[3])
out, c = b'', 1
while len(out) < 32:
    out += hashlib.new(h, z + c.to_bytes(4, 'big') + info).digest()
    c += 1
print(out[:32].hex())
PY
)"
  got="$(od -An -tx1 -v "$work/$md-ab.bin" | tr -d ' \n')"
  other="$(od -An -tx1 -v "$work/$md-ba.bin" | tr -d ' \n')"
  if [ "$got" = "$want" ] && [ "$other" = "$want" ]; then
    echo "ok   X963KDF $md"
  else
    echo "FAIL X963KDF $md: got $got / $other, want $want"; fail=1
  fi
done
exit "$fail"
