#!/usr/bin/env bash
# The main job: builds the programs it needs, then runs a scripted session through the full
# host stack — on the SE050 at SE05X_PORT when one is given (e.g. i2c:/dev/i2c-1:0x48
# on an Armadillo-IoT A6E), otherwise on the built-in simulator, followed there by the
# whole Greengrass provisioning flow (scripts/greengrass-flow.sh; GG_KEY=ec|rsa|adopt).
# Installs only what the main job needs (scripts/install-deps.sh main).
#   SX_BUILD=DIR  use the existing, configured build tree DIR as it is: no cmake configure,
#                 only `cmake --build DIR --target <the main job's programs>` (scripts/test.sh
#                 runs the main job this way against its consumers tree)
# Default build tree: build/native (created with tests and benchmarks off; an existing tree
# keeps its own settings).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# shellcheck source=progress.sh
. scripts/progress.sh
export SX_TAG="[run]"
start=$SECONDS

SX_TAG="[run] install-deps:" bash scripts/install-deps.sh main

TARGETS=(se05x-sim se05x-demo se05x se05x-pkcs11)
if [ -n "${SX_BUILD:-}" ]; then
  BUILD="$(cd "$SX_BUILD" 2>/dev/null && pwd)" && [ -f "$BUILD/CMakeCache.txt" ] ||
    { sx_say "SX_BUILD=$SX_BUILD is not a configured build tree"; exit 1; }
else
  BUILD="$ROOT/build/native"
  # A new tree needs neither GoogleTest nor Google Benchmark (not installed by the main role);
  # an existing one keeps its settings (cmake --build re-runs the configure step when needed).
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    mkdir -p "$BUILD"
    if ! sx_step "cmake configure ($BUILD)" "$BUILD/run-configure.log" sx_no_status \
           cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSX_BUILD_TESTS=OFF -DSX_BUILD_BENCH=OFF; then
      tail -n 40 "$BUILD/run-configure.log"; exit 1
    fi
  fi
fi
if ! sx_step "build ${TARGETS[*]}" "$BUILD/run-build.log" sx_ninja_status \
       cmake --build "$BUILD" -j "$(nproc)" --target "${TARGETS[@]}"; then
  grep -E -A3 'error|Error' "$BUILD/run-build.log" | head -n 60; exit 1
fi

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
flow_start=$SECONDS
SX_BUILD="$BUILD" "$ROOT/scripts/greengrass-flow.sh" "${GG_KEY:-ec}"
sx_say "greengrass flow: done in $((SECONDS - flow_start)) s; main job done in $((SECONDS - start)) s"
