# shellcheck shell=bash
# Shared helpers for the PKCS#11 consumer harnesses. Sourced, never executed.
# Everything a check needs about the token comes from an env file written by provision.sh,
# so the same checks run against SoftHSM2 (the oracle) and later against our SE050 module.

P11_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Debian's python3 (python3-awscrt / python3-pykcs11 live there); a pyenv shim earlier on PATH
# would hide them.
P11_PYTHON="${P11_PYTHON:-/usr/bin/python3}"

p11_log()  { printf '[p11] %s\n' "$*" >&2; }
p11_die()  { printf '[p11] ERROR: %s\n' "$*" >&2; exit 2; }

# Runs a command with a hard time limit so no check can hang CTest.
p11_run() {
  local secs="$1"; shift
  timeout --kill-after=5 "$secs" "$@"
}

# A TCP port on 127.0.0.1 that was free a moment ago (race is acceptable for tests).
p11_free_port() {
  "$P11_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits (bounded) until something accepts TCP connections on 127.0.0.1:$1.
p11_wait_port() {
  local port="$1" deadline=$((SECONDS + ${2:-10}))
  while (( SECONDS < deadline )); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Directory of OpenSSL engines (multiarch-independent: works on armhf too).
p11_engines_dir() {
  openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p'
}

# Loads the env file written by provision.sh and checks the essentials are there.
p11_load_env() {
  local f="$1"
  [ -f "$f" ] || p11_die "env file $f not found (run provision.sh first)"
  # shellcheck disable=SC1090
  . "$f"
  local v
  for v in P11_MODULE P11_SLOT P11_PIN P11_LABEL P11_ID P11_CERT_PEM P11_CA_DIR P11_WORK; do
    [ -n "${!v:-}" ] || p11_die "$v missing in $f"
  done
  export SOFTHSM2_CONF="${SOFTHSM2_CONF:-}"
  [ -n "$SOFTHSM2_CONF" ] || unset SOFTHSM2_CONF
}

# Percent-encodes a pkcs11: URI attribute value (RFC 7512) — labels are [A-Za-z0-9._-] anyway.
p11_uri_key() {
  printf 'pkcs11:token=%s;object=%s;type=private;pin-value=%s' "$P11_TOKEN_LABEL" "$P11_LABEL" "$P11_PIN"
}

# Ensures a broker is running for this check: reuse the driver's one if the env names it,
# otherwise start a private one and stop it when the calling script exits.
p11_ensure_broker() {
  if [ -n "${P11_BROKER_PORT:-}" ] && p11_wait_port "$P11_BROKER_PORT" 1; then
    return 0
  fi
  local dir
  dir="$(mktemp -d "$P11_WORK/broker.XXXXXX")"
  "$P11_HERE/mosquitto-ctl.sh" start "$dir" "$P11_CA_DIR" >/dev/null || p11_die "broker did not start (see $dir/mosquitto.log)"
  P11_BROKER_PORT="$(cat "$dir/port")"
  P11_BROKER_DIR="$dir"
  # shellcheck disable=SC2064
  trap "\"$P11_HERE/mosquitto-ctl.sh\" stop \"$dir\" >/dev/null 2>&1 || true" EXIT
}

# Prints the broker log (for failure diagnostics) of the broker this check used.
p11_broker_log() {
  local d="${P11_BROKER_DIR:-}"
  [ -n "$d" ] && [ -f "$d/mosquitto.log" ] && { echo "---- mosquitto.log ($d)"; tail -n 40 "$d/mosquitto.log"; } >&2
  return 0
}
