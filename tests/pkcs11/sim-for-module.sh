# Sourced by the module's shell tests: a fresh se05x-sim in a private work directory and a
# module configuration pointing at it. The caller sets sim_bin; afterwards work, sim_pid,
# SE05X_PORT and SE05X_PKCS11_CONF are set and an EXIT trap stops the simulator and removes
# the directory (KEEP=1 keeps it). Exits 2 when the simulator does not start.
#   . sim-for-module.sh PREFIX
work="$(mktemp -d "/tmp/$1.XXXXXX")"
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

# The repository's RSA test key as the factory RSA key: no RSA-2048 generation at start.
export SE05X_SIM_FACTORY_RSA_KEY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../support/rsa2048_test_key.pem"
"$sim_bin" --nvm "$work/chip.nvm" --no-fsync --listen "unix:$work/sim.sock" --ready-file "$work/ready" \
  >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 200); do grep -qx ready "$work/ready" 2>/dev/null && break; sleep 0.05; done
grep -qx ready "$work/ready" 2>/dev/null || { echo "se05x-sim did not start"; cat "$work/sim.log"; exit 2; }

export SE05X_PORT="unix:$work/sim.sock"
export SE05X_PKCS11_CONF="$work/p11.conf"
printf 'lock_file = %s\npin_iterations = 1000\nlog_level = warn\n' "$work/p11.lock" >"$SE05X_PKCS11_CONF"
