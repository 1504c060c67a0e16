#!/usr/bin/env bash
# The README's main job as a test: se05x-sim + se05x-demo over every transport kind.
# usage: main_job_test.sh SE05X_SIM SE05X_DEMO
set -euo pipefail
SIM="$1"
DEMO="$2"
dir="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

"$SIM" --nvm "$dir/nvm" --no-fsync --listen "unix:$dir/s.sock" --listen jrcp:127.0.0.1:0 \
  --listen "vi2c:$dir/i2c.sock" --ready-file "$dir/ready" &
pid=$!
for _ in $(seq 200); do grep -qx ready "$dir/ready" 2>/dev/null && break; sleep 0.05; done
grep -qx ready "$dir/ready" || { echo "se05x-sim did not become ready"; exit 1; }

status=0
while read -r ep; do
  [ "$ep" = ready ] && continue
  echo "=== $ep"
  out="$(SE05X_T1_TIMING=immediate "$DEMO" --port "$ep" 2>&1)" || { echo "$out"; echo "FAIL: demo over $ep"; status=1; continue; }
  echo "$out"
  for want in "OpenSSL verified the signature" "identical; subject CN=se05x-demo device" "all steps succeeded" \
              "0xF0000100  EC key pair  (factory provisioned)"; do
    grep -qF "$want" <<<"$out" || { echo "FAIL: '$want' missing over $ep"; status=1; }
  done
done < "$dir/ready"

# Bad command lines are refused with a message and a non-zero exit code.
if "$SIM" --listen "unix:$dir/x.sock" --variant NOPE 2>"$dir/err"; then echo "FAIL: unknown variant accepted"; status=1; fi
grep -q "unknown variant" "$dir/err" || { echo "FAIL: no message for an unknown variant"; status=1; }
if "$SIM" --listen "i2c:/dev/i2c-1" --ready-file "$dir/r2" 2>"$dir/err"; then echo "FAIL: i2c listener accepted"; status=1; fi
if "$DEMO" --port "unix:$dir/nothing-here.sock" >"$dir/out" 2>&1; then echo "FAIL: demo without a chip succeeded"; status=1; fi
grep -q "cannot open" "$dir/out" || { echo "FAIL: no clear message without a chip"; status=1; }
exit $status
