#!/usr/bin/env bash
# OpenSC / GnuTLS / p11-kit path: generic PKCS#11 tooling against the module under test.
#   check-opensc.sh ENV_FILE
# Sub-checks (each reported PASS/FAIL/XFAIL/XPASS/SKIP):
#   list-slots list-mechanisms list-objects identity-sign p11tool test test-fork test-threads
#   keypairgen-ec keypairgen-rsa write-cert sign-ecdsa verify-ecdsa
#   sign-rsa verify-rsa test-ec p11tool p11-kit-module
# Environment:
#   P11_OPENSC_SKIP   sub-checks not to run (space separated)
#   P11_OPENSC_XFAIL  sub-checks known to fail with this module: a failure is reported as XFAIL
#                     and does not fail the check; a pass is reported as XPASS
# Test objects get labels sxp11-opensc-* and IDs a1/a2 (+ test-ec's own); they are deleted at the
# end so the identity (P11_LABEL/P11_ID) stays the only key+cert pair on the token.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"
[ $# -eq 1 ] || { echo "usage: $0 ENV_FILE" >&2; exit 2; }
p11_load_env "$1"
out="$(mktemp -d "$P11_WORK/opensc.XXXXXX")"
skip=" ${P11_OPENSC_SKIP:-} "
xfail=" ${P11_OPENSC_XFAIL:-} "
fails=0
declare -a summary=()

p11t=(pkcs11-tool --module "$P11_MODULE" --slot "$P11_SLOT")
p11l=("${p11t[@]}" --login --pin "$P11_PIN")

# sub NAME CMD...: runs CMD (a shell function or command, output in $out/NAME.log) and reports.
sub() {
  local name="$1"; shift
  if [[ "$skip" == *" $name "* ]]; then summary+=("SKIP  $name"); echo "[opensc] SKIP $name"; return 0; fi
  local rc=0
  "$@" >"$out/$name.log" 2>&1 || rc=$?
  local verdict
  if [ "$rc" -eq 0 ]; then
    verdict=PASS; [[ "$xfail" == *" $name "* ]] && verdict=XPASS
  else
    verdict=FAIL; [[ "$xfail" == *" $name "* ]] && verdict=XFAIL
  fi
  summary+=("$verdict $name")
  echo "[opensc] $verdict $name (log: $out/$name.log)"
  if [ "$verdict" = FAIL ] || [ "$verdict" = XFAIL ]; then
    tail -n 12 "$out/$name.log" | sed 's/^/    /'
  fi
  [ "$verdict" = FAIL ] && fails=$((fails + 1))
  return 0
}

slot_hex="$(printf '0x%x' "$P11_SLOT")"
list_slots() {
  p11_run 30 "${p11t[@]}" -L | tee /dev/stderr | grep -q "($slot_hex)" \
    && p11_run 30 "${p11t[@]}" -L | grep -q "token label *: $P11_TOKEN_LABEL\$" \
    && p11_run 30 "${p11t[@]}" -I
}
list_mechanisms() {
  local m; m="$(p11_run 30 "${p11t[@]}" -M)" || return 1
  echo "$m"
  if [ "$P11_KEYTYPE" = ec ]; then echo "$m" | grep -qE '^  ECDSA,.*sign'; else echo "$m" | grep -qE '^  RSA-PKCS,.*sign'; fi
}
# The identity must be a private key and a certificate with the same label and ID (Greengrass).
list_objects() {
  local o; o="$(p11_run 30 "${p11l[@]}" --list-objects)" || return 1
  echo "$o"
  echo "$o" | awk -v L="$P11_LABEL" -v I="$P11_ID" '
    /^[A-Z][a-z]+ (Key )?Object;/ { kind = $1 }
    /^  label:/ { sub(/^  label: */, ""); lab = $0 }
    /^  ID:/ { sub(/^  ID: */, ""); if (lab == L && tolower($0) == tolower(I)) seen[kind] = 1 }
    END { if (!seen["Private"] || !seen["Certificate"]) { print "identity key/cert with label " L " id " I " not both present"; exit 1 } }'
}
# Exactly the mechanisms Greengrass uses: CKM_ECDSA over a 32-byte hash / CKM_RSA_PKCS over
# DigestInfo(SHA-256); verified by OpenSSL with the certificate's public key.
identity_sign() {
  printf 'greengrass identity sign test' > "$out/id.data"
  openssl dgst -sha256 -binary "$out/id.data" > "$out/id.hash"
  openssl x509 -in "$P11_CERT_PEM" -noout -pubkey > "$out/id.pub.pem"
  if [ "$P11_KEYTYPE" = ec ]; then
    p11_run 30 "${p11l[@]}" --sign --mechanism ECDSA --label "$P11_LABEL" --id "$P11_ID" --signature-format openssl \
      -i "$out/id.hash" -o "$out/id.sig" || return 1
    openssl pkeyutl -verify -pubin -inkey "$out/id.pub.pem" -in "$out/id.hash" -sigfile "$out/id.sig"
  else
    { printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'; cat "$out/id.hash"; } > "$out/id.di"
    p11_run 30 "${p11l[@]}" --sign --mechanism RSA-PKCS --label "$P11_LABEL" --id "$P11_ID" \
      -i "$out/id.di" -o "$out/id.sig" || return 1
    openssl dgst -sha256 -verify "$out/id.pub.pem" -signature "$out/id.sig" "$out/id.data"
  fi
}
# pkcs11-tool --test: RNG, digests, RSA sign/verify/decrypt with every RSA key (HW mechanisms only).
p11_selftest() {
  p11_run 120 "${p11l[@]}" --test || return 1
  grep -q '^No errors' "$out/test.log"
}
test_fork() { p11_run 60 "${p11t[@]}" --test-fork; }
# Three threads each calling C_Initialize(CKF_OS_LOCKING_OK), C_GetInfo, C_GetSlotList and
# C_GetTokenInfo at the same moment: the module must serialise its own initialisation and be
# callable from several threads (SoftHSM 2.6.1 segfaults here most of the time). One run only:
# pkcs11-tool 0.23 polls its finished threads with a 30 s sleep, so a *passing* run takes ~30 s
# (and its pause command Pn stalls as long).
test_threads() {
  p11_run 90 "${p11t[@]}" --use-locking --test-threads ILGISLT0 --test-threads ILGISLT0 --test-threads ILGISLT0 -L \
    || return 1
  grep -q 'all threads have ended with CKR_OK' "$out/test-threads.log"
}
keypairgen_ec() {
  p11_run 120 "${p11l[@]}" --keypairgen --key-type EC:prime256v1 --label sxp11-opensc-ec --id a1 --usage-sign
}
keypairgen_rsa() {
  p11_run 180 "${p11l[@]}" --keypairgen --key-type rsa:2048 --label sxp11-opensc-rsa --id a2 --usage-sign --usage-decrypt
}
# CSR from the fresh EC key through the engine, CA-signed, written with the key's label+ID.
write_cert() {
  OPENSSL_CONF="$P11_OPENSSL_CONF" p11_run 60 openssl req -new -engine pkcs11 -keyform engine \
    -key "pkcs11:token=$P11_TOKEN_LABEL;object=sxp11-opensc-ec;type=private;pin-value=$P11_PIN" \
    -sha256 -subj "/CN=sxp11-opensc-ec" -out "$out/ec.csr" || return 1
  "$here/pki.sh" sign-csr "$P11_CA_DIR" "$out/ec.csr" "$out/ec.pem" || return 1
  openssl x509 -in "$out/ec.pem" -outform DER -out "$out/ec.der"
  p11_run 30 "${p11l[@]}" --write-object "$out/ec.der" --type cert --label sxp11-opensc-ec --id a1 || return 1
  p11_run 30 "${p11t[@]}" --read-object --type cert --id a1 -o "$out/ec.back.der" || return 1
  cmp "$out/ec.der" "$out/ec.back.der"
}
pubkey_pem() {  # pubkey_pem ID OUT.pem: public key object -> PEM
  p11_run 30 "${p11t[@]}" --read-object --type pubkey --id "$1" -o "$out/pub-$1.der" || return 1
  openssl pkey -pubin -inform DER -in "$out/pub-$1.der" -out "$2"
}
printf 'sx-p11 opensc round trip\n' > "$out/data"
openssl dgst -sha256 -binary "$out/data" > "$out/data.sha256"
sign_ecdsa() {
  p11_run 30 "${p11l[@]}" --sign --mechanism ECDSA --id a1 -i "$out/data.sha256" -o "$out/ec.sig.rs" || return 1
  [ "$(stat -c %s "$out/ec.sig.rs")" -eq 64 ] || { echo "raw ECDSA signature is not r||s of 64 bytes"; return 1; }
  p11_run 30 "${p11l[@]}" --sign --mechanism ECDSA --id a1 --signature-format openssl -i "$out/data.sha256" \
    -o "$out/ec.sig.der" || return 1
  pubkey_pem a1 "$out/ec.pub.pem" || return 1
  openssl pkeyutl -verify -pubin -inkey "$out/ec.pub.pem" -in "$out/data.sha256" -sigfile "$out/ec.sig.der"
}
verify_ecdsa() {
  p11_run 30 "${p11l[@]}" --verify --mechanism ECDSA --id a1 -i "$out/data.sha256" --signature-file "$out/ec.sig.rs"
}
sign_rsa() {
  p11_run 30 "${p11l[@]}" --sign --mechanism SHA256-RSA-PKCS --id a2 -i "$out/data" -o "$out/rsa.sig" || return 1
  pubkey_pem a2 "$out/rsa.pub.pem" || return 1
  openssl dgst -sha256 -verify "$out/rsa.pub.pem" -signature "$out/rsa.sig" "$out/data"
}
verify_rsa() {
  p11_run 30 "${p11l[@]}" --verify --mechanism SHA256-RSA-PKCS --id a2 -i "$out/data" --signature-file "$out/rsa.sig"
}
# --test-ec: keygen (RW session), C_SetAttributeValue(CKA_ID, 20 bytes), then a CKM_ECDSA_SHA1 signature.
test_ec() {
  p11_run 120 "${p11l[@]}" --session-rw --test-ec --id a3 --label sxp11-opensc-testec --key-type EC:prime256v1 || return 1
  ! grep -qE '^(ERR|error):' "$out/test-ec.log"
}
# GnuTLS sees key and certificate under the same object= and id= (what pkcs11: URIs select on).
p11tool_list() {
  local l; l="$(GNUTLS_PIN="$P11_PIN" p11_run 30 p11tool --provider "$P11_MODULE" --login --list-all \
    "pkcs11:token=$P11_TOKEN_LABEL")" || return 1
  echo "$l"
  local idenc; idenc="$(echo "$P11_ID" | sed 's/\(..\)/%\1/g')"
  local t
  for t in private cert; do
    echo "$l" | grep -E "^[[:space:]]*URL: pkcs11:" | grep -F ";object=$P11_LABEL;" | grep -F ";type=$t" \
      | grep -qiF "id=$idenc;" || { echo "no $t object with object=$P11_LABEL id=$idenc"; return 1; }
  done
}
# p11-kit registration: an example .module file (as /usr/share/p11-kit/modules/ would hold),
# loaded from a private XDG config dir and listed by p11-kit.
p11kit_module() {
  command -v p11-kit >/dev/null || { echo "p11-kit not installed"; return 1; }
  mkdir -p "$out/xdg/pkcs11/modules"
  cat > "$out/xdg/pkcs11/modules/sx-p11-under-test.module" <<MOD
# Example p11-kit registration for the module under test (system-wide file:
# /usr/share/p11-kit/modules/<name>.module). Keep it out of trust/priority lists: it holds a
# device identity, not trust anchors.
module: $P11_MODULE
critical: no
trust-policy: no
managed: yes
log-calls: no
MOD
  cat "$out/xdg/pkcs11/modules/sx-p11-under-test.module"
  local l; l="$(XDG_CONFIG_HOME="$out/xdg" p11_run 30 p11-kit list-modules)" || return 1
  echo "$l"
  echo "$l" | grep -q '^sx-p11-under-test:' || echo "$l" | grep -q "$P11_TOKEN_LABEL"
}
cleanup_objects() {
  local id t
  for id in a1 a2 a3 6162636465666768696a6b6c6d6e6f7071727374; do
    for t in cert privkey pubkey; do
      "${p11l[@]}" --delete-object --type "$t" --id "$id" >/dev/null 2>&1 || true
    done
  done
}

echo "[opensc] pkcs11-tool from $(dpkg-query -W -f='opensc ${Version}' opensc 2>/dev/null || echo '?'), module $P11_MODULE slot $P11_SLOT"
sub list-slots list_slots
sub list-mechanisms list_mechanisms
sub list-objects list_objects
sub identity-sign identity_sign
sub p11tool p11tool_list
sub test p11_selftest                 # before extra keys exist: --test walks every private key
sub test-fork test_fork
sub test-threads test_threads
sub keypairgen-ec keypairgen_ec
sub keypairgen-rsa keypairgen_rsa
sub write-cert write_cert
sub sign-ecdsa sign_ecdsa
sub verify-ecdsa verify_ecdsa
sub sign-rsa sign_rsa
sub verify-rsa verify_rsa
sub test-ec test_ec
sub p11-kit-module p11kit_module
cleanup_objects
# The identity must still be intact after all that.
sub list-objects-after list_objects

echo "[opensc] summary: ${summary[*]/%/;}"
[ "$fails" -eq 0 ] && echo "[opensc] RESULT: OK" || echo "[opensc] RESULT: FAILED ($fails sub-checks)"
[ "$fails" -eq 0 ]
