#!/usr/bin/env bash
# OpenSSL path: libengine-pkcs11-openssl (libp11) loading the module under test through
# MODULE_PATH in a generated openssl.cnf.
#   check-openssl.sh ENV_FILE
# 1. CSR signed by the token key via the engine; CSR signature verified; signed by the test CA
#    (pki.sh sign-csr = CreateCertificateFromCsr stand-in); its public key must equal the token
#    certificate's public key.
# 2. openssl s_client -engine pkcs11 -keyform engine -key pkcs11:... : mTLS handshake with
#    mosquitto with TLS 1.3 and with TLS 1.2, then an MQTT CONNECT; CONNACK rc 0 proves the broker
#    accepted the client certificate (in TLS 1.3 the client alone can't tell).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"
[ $# -eq 1 ] || { echo "usage: $0 ENV_FILE" >&2; exit 2; }
p11_load_env "$1"
export OPENSSL_CONF="$P11_OPENSSL_CONF"
out="$(mktemp -d "$P11_WORK/openssl.XXXXXX")"
key_uri="$(p11_uri_key)"
fail=0

echo "[openssl] engine config $OPENSSL_CONF (MODULE_PATH=$P11_MODULE)"
if p11_run 60 openssl req -new -engine pkcs11 -keyform engine -key "$key_uri" -sha256 \
     -subj "/O=sx-p11-test/CN=openssl-check" -out "$out/check.csr" 2>"$out/req.log" \
   && openssl req -in "$out/check.csr" -noout -verify >/dev/null 2>&1 \
   && "$here/pki.sh" sign-csr "$P11_CA_DIR" "$out/check.csr" "$out/check.pem"; then
  a="$(openssl x509 -in "$out/check.pem" -noout -pubkey)"
  b="$(openssl x509 -in "$P11_CERT_PEM" -noout -pubkey)"
  if [ "$a" = "$b" ]; then
    echo "[openssl] CSR from token key via engine, CA-signed, public key matches token certificate: OK"
  else
    echo "[openssl] FAILED: CSR public key differs from the token certificate's"; fail=1
  fi
else
  echo "[openssl] FAILED: CSR via engine"; cat "$out/req.log"; fail=1
fi

p11_ensure_broker
# MQTT 3.1.1 CONNECT (clean session, keep-alive 60) followed by DISCONNECT: the broker answers
# CONNACK and then closes, which ends s_client (-quiet implies -ign_eof).
mqtt_connect_disconnect() {
  local id="$1" n
  n=$(( 10 + 2 + ${#id} ))
  printf '\x10'"$(printf '\\x%02x' "$n")"'\x00\x04MQTT\x04\x02\x00\x3c\x00'"$(printf '\\x%02x' "${#id}")"'%s\xe0\x00' "$id"
}
for proto in tls1_3 tls1_2; do
  log="$out/s_client-$proto.log"
  mqtt_connect_disconnect "sxp11-openssl-$proto" | p11_run 30 openssl s_client -engine pkcs11 -keyform engine \
      -key "$key_uri" -cert "$P11_CERT_PEM" -CAfile "$P11_CA_DIR/ca.pem" -verify_return_error \
      -verify_ip 127.0.0.1 -connect "127.0.0.1:$P11_BROKER_PORT" "-$proto" -quiet \
      >"$out/mqtt-$proto.bin" 2>"$log" || true
  reply="$(od -An -tx1 -N4 "$out/mqtt-$proto.bin" | tr -d ' \n')"
  if [ "$reply" = "20020000" ]; then
    echo "[openssl] s_client -$proto with engine key: handshake + MQTT CONNACK rc=0: OK"
  else
    echo "[openssl] FAILED: s_client -$proto: MQTT reply '${reply}' (want 20020000); log:"
    sed 's/^/    /' "$log" | tail -n 20; p11_broker_log; fail=1
  fi
done
[ "$fail" = 0 ] && echo "[openssl] RESULT: OK" || echo "[openssl] RESULT: FAILED"
exit "$fail"
