#!/usr/bin/env bash
# The main job: builds everything, then runs a scripted session through the full
# host stack — on the SE050 at SE05X_PORT when one is given (e.g. i2c:/dev/i2c-1:0x48
# on an Armadillo-IoT A6E), otherwise on the built-in simulator, followed there by the
# whole Greengrass provisioning flow (scripts/greengrass-flow.sh; GG_KEY=ec|rsa|adopt).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
bash scripts/install-deps.sh
BUILD="$ROOT/build/native"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target se05x-sim se05x-demo se05x se05x-pkcs11 >/dev/null

if [ -n "${SE05X_PORT:-}" ]; then
  exec "$BUILD/src/demo/se05x-demo" --port "$SE05X_PORT"
fi

RUN="$(mktemp -d)"
SIM_PID=""
cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  rm -rf "$RUN"
}
trap cleanup EXIT

"$BUILD/src/sim_server/se05x-sim" --nvm "$RUN/se050.nvm" --listen "unix:$RUN/se05x.sock" \
  --stats-file "$RUN/stats.json" &
SIM_PID=$!
for _ in $(seq 100); do [ -S "$RUN/se05x.sock" ] && break; sleep 0.05; done
echo "simulator: pid $SIM_PID, NVM $RUN/se050.nvm, listening on unix:$RUN/se05x.sock"
"$BUILD/src/demo/se05x-demo" --port "unix:$RUN/se05x.sock"

echo
echo "greengrass: the provisioning flow on a fresh simulator (scripts/greengrass-flow.sh)"
SX_BUILD="$BUILD" "$ROOT/scripts/greengrass-flow.sh" "${GG_KEY:-ec}"
