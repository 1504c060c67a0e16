#!/usr/bin/env bash
# Puts a Greengrass-style identity on a PKCS#11 token and writes WORKDIR/p11.env for the checks.
#   provision.sh MODE MODULE_PATH WORKDIR KEYTYPE
# MODE
#   softhsm   fresh SoftHSM2 token in WORKDIR (own SOFTHSM2_CONF), then as 'keygen'
#   keygen    token already initialised with a user PIN (e.g. our SE050 module): generate the key
#             pair on the token, CSR via the OpenSSL pkcs11 engine, sign with the test CA, write the
#             certificate back under the same CKA_LABEL and CKA_ID
#   existing  key and certificate are already on the token (same label+ID): only export the cert;
#             the test CA must then have issued it -> set P11_CA_DIR to that pki.sh directory
# KEYTYPE   ec (P-256) | rsa (2048)
# Optional environment: P11_PIN (1234), P11_SO_PIN (5678), P11_LABEL (greengrass-core),
#   P11_ID (hex, 01), P11_TOKEN_LABEL (sx-p11-test), P11_SLOT (default: slot whose token has
#   P11_TOKEN_LABEL), P11_CA_DIR (default WORKDIR/ca, created).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

[ $# -eq 4 ] || { sed -n '2,17p' "$0" >&2; exit 2; }
mode="$1"; module="$2"; work="$3"; keytype="$4"
case "$module" in /*) ;; *) p11_die "MODULE_PATH must be absolute (SunPKCS11 rejects relative paths)";; esac
[ -f "$module" ] || p11_die "module $module not found"
mkdir -p "$work"; work="$(cd "$work" && pwd)"

pin="${P11_PIN:-1234}"
so_pin="${P11_SO_PIN:-5678}"
label="${P11_LABEL:-greengrass-core}"
id="${P11_ID:-01}"
token_label="${P11_TOKEN_LABEL:-sx-p11-test}"
ca_dir="${P11_CA_DIR:-$work/ca}"
case "$keytype" in
  ec)  keyspec="EC:prime256v1"; usage=(--usage-sign) ;;
  rsa) keyspec="rsa:2048"; usage=(--usage-sign --usage-decrypt) ;;
  *) p11_die "KEYTYPE must be ec or rsa" ;;
esac

if [ "$mode" = softhsm ]; then
  mkdir -p "$work/softhsm/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
    "$work/softhsm/tokens" > "$work/softhsm/softhsm2.conf"
  export SOFTHSM2_CONF="$work/softhsm/softhsm2.conf"
  out="$(softhsm2-util --module "$module" --init-token --free --label "$token_label" --pin "$pin" --so-pin "$so_pin")"
  p11_log "$out"
fi

# Slot *ID* (not index) of the token: what Greengrass's `slot` and SunPKCS11's `slot=` want.
slot="${P11_SLOT:-}"
if [ -z "$slot" ]; then
  slot="$(pkcs11-tool --module "$module" -L 2>/dev/null | awk -v want="$token_label" '
    /^Slot [0-9]+ \(0x[0-9a-fA-F]+\)/ { match($0, /\(0x[0-9a-fA-F]+\)/); cur = substr($0, RSTART + 1, RLENGTH - 2) }
    /^  token label/ { sub(/^  token label *: /, ""); if ($0 == want && !found) { found = cur } }
    END { if (found) print found }')"
  [ -n "$slot" ] || p11_die "no slot with token label '$token_label' (set P11_SLOT)"
  slot="$((slot))"   # hex -> decimal (Java parses slot= as a decimal int)
fi
p11_log "token '$token_label' is in slot ID $slot"
p11t=(pkcs11-tool --module "$module" --slot "$slot")

# OpenSSL config that loads the pkcs11 engine with MODULE_PATH = the module under test.
cat > "$work/openssl-p11.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $(p11_engines_dir)/pkcs11.so
MODULE_PATH = $module
init = 0
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = $label
CNF

[ -f "$ca_dir/ca.pem" ] || "$here/pki.sh" init "$ca_dir"
cert_pem="$work/device.pem"

if [ "$mode" = softhsm ] || [ "$mode" = keygen ]; then
  if [ "$mode" = keygen ]; then  # a fresh identity: remove what an earlier run left under this label
    for t in cert privkey pubkey; do
      "${p11t[@]}" --login --pin "$pin" --delete-object --type "$t" --label "$label" >/dev/null 2>&1 || true
    done
  fi
  p11_run 120 "${p11t[@]}" --login --pin "$pin" --keypairgen --key-type "$keyspec" \
    --label "$label" --id "$id" "${usage[@]}" >"$work/keypairgen.log" 2>&1 \
    || { cat "$work/keypairgen.log" >&2; p11_die "keypairgen failed"; }
  key_uri="pkcs11:token=$token_label;object=$label;type=private;pin-value=$pin"
  OPENSSL_CONF="$work/openssl-p11.cnf" p11_run 60 openssl req -new -engine pkcs11 -keyform engine \
    -key "$key_uri" -sha256 -subj "/O=sx-p11-test/CN=$label" -out "$work/device.csr" 2>"$work/csr.log" \
    || { cat "$work/csr.log" >&2; p11_die "CSR via pkcs11 engine failed"; }
  "$here/pki.sh" sign-csr "$ca_dir" "$work/device.csr" "$cert_pem"
  openssl x509 -in "$cert_pem" -outform DER -out "$work/device.der"
  p11_run 60 "${p11t[@]}" --login --pin "$pin" --write-object "$work/device.der" --type cert \
    --label "$label" --id "$id" >"$work/writecert.log" 2>&1 \
    || { cat "$work/writecert.log" >&2; p11_die "writing the certificate failed"; }
elif [ "$mode" != existing ]; then
  p11_die "MODE must be softhsm, keygen or existing"
fi

# Read the certificate back from the token (as Greengrass does) and check it pairs with the key.
p11_run 60 "${p11t[@]}" --read-object --type cert --label "$label" -o "$work/token-cert.der" >/dev/null 2>&1 \
  || p11_die "certificate '$label' not readable from the token"
openssl x509 -inform DER -in "$work/token-cert.der" -out "$work/token-cert.pem"
if [ "$mode" != existing ]; then
  cmp -s "$work/device.der" "$work/token-cert.der" || p11_die "certificate read back differs from the one written"
fi
cert_pem="$work/token-cert.pem"

{
  printf 'P11_MODULE=%q\nP11_SLOT=%q\nP11_PIN=%q\nP11_LABEL=%q\nP11_ID=%q\n' "$module" "$slot" "$pin" "$label" "$id"
  printf 'P11_TOKEN_LABEL=%q\nP11_KEYTYPE=%q\nP11_CERT_PEM=%q\nP11_CA_DIR=%q\nP11_WORK=%q\n' \
    "$token_label" "$keytype" "$cert_pem" "$ca_dir" "$work"
  printf 'P11_OPENSSL_CONF=%q\n' "$work/openssl-p11.cnf"
  [ -n "${SOFTHSM2_CONF:-}" ] && printf 'SOFTHSM2_CONF=%q\n' "$SOFTHSM2_CONF"
} > "$work/p11.env"
p11_log "provisioned $keytype key+cert label=$label id=$id in slot $slot -> $work/p11.env"
