#!/usr/bin/env bash
# Local test PKI for the PKCS#11 consumer harnesses (openssl only, files only, no network).
#   pki.sh init DIR                 -> DIR/ca.pem ca.key server.pem server.key (server: 127.0.0.1, localhost)
#   pki.sh sign-csr DIR CSR OUT.pem -> client certificate for the CSR's key, signed by DIR's CA.
# sign-csr stands in for AWS IoT CreateCertificateFromCsr: it takes the subject and public key
# from the CSR, verifies the CSR self-signature (made by the token key) and adds clientAuth.
set -euo pipefail
# CA work never needs the pkcs11 engine config a caller may have exported.
unset OPENSSL_CONF

usage() { echo "usage: $0 init DIR | sign-csr DIR CSR OUT.pem" >&2; exit 2; }

cmd="${1:-}"; shift || true
case "$cmd" in
  init)
    [ $# -eq 1 ] || usage
    dir="$1"; mkdir -p "$dir"
    openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key" 2>/dev/null
    openssl req -new -x509 -key "$dir/ca.key" -sha256 -days 30 -subj "/O=sx-p11-test/CN=sx-p11 test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$dir/ca.pem"
    openssl ecparam -name prime256v1 -genkey -noout -out "$dir/server.key" 2>/dev/null
    openssl req -new -key "$dir/server.key" -subj "/O=sx-p11-test/CN=localhost" -out "$dir/server.csr"
    cat > "$dir/server.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EXT
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
      -days 30 -sha256 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
    openssl verify -CAfile "$dir/ca.pem" "$dir/server.pem" >/dev/null
    chmod 0644 "$dir"/*.key   # mosquitto may drop privileges; the keys are throw-away test keys
    ;;
  sign-csr)
    [ $# -eq 3 ] || usage
    dir="$1"; csr="$2"; out="$3"
    openssl req -in "$csr" -noout -verify 2>/dev/null || { echo "pki.sh: CSR self-signature invalid: $csr" >&2; exit 1; }
    ext="$(mktemp)"
    cat > "$ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
    openssl x509 -req -in "$csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
      -days 30 -sha256 -extfile "$ext" -out "$out" 2>/dev/null
    rm -f "$ext"
    openssl verify -CAfile "$dir/ca.pem" "$out" >/dev/null
    ;;
  *) usage ;;
esac
