#!/usr/bin/env bash
# Installs the amd64 packages into a fresh Debian 12 root and runs the Greengrass checks there,
# using only the installed product files:
#   debootstrap --variant=minbase bookworm -> dist/container/install-packages.sh --all (our four
#   packages + the Greengrass prerequisites, so their Depends must resolve from Debian alone) ->
#   smoke checks of the fixed layout -> the test tools (JDK for javac, python3-awscrt,
#   python3-pykcs11, mosquitto, openssl, opensc) -> per key type: the packaged se05x-sim as the
#   chip, the packaged se05xd in front of it (the installed /etc/se05xd.conf with only
#   "connection" changed, default socket /run/se05x/se05xd.sock) and scripts/greengrass-flow.sh
#   with GG_CHIP=external: the CLI and the module find the broker socket on their own and read
#   the installed /etc/se05x-pkcs11.conf (Java SunPKCS11 and awscrt mTLS to a local mosquitto).
# Only test code comes from the repository (scripts/greengrass-flow.sh, tests/integration/p11/,
# dist/container/install-packages.sh); binaries and configuration come from the packages.
#
#   install-test.sh DEB_DIR          DEB_DIR holds <pkg>_<version>_amd64.deb of se05x-pkcs11,
#                                    se05x, se05xd and se05x-sim
# Exit: 0 pass, 1 fail, 77 skip (not root, not amd64, debootstrap/unshare missing, or no
# mount/pid namespaces allowed; the reason given is unshare's or mount's own error).
# Everything runs in private mount and pid namespaces (unshare): the root's tmpfs, /proc and the
# package-cache bind mount vanish with them, and every process started inside dies with them,
# whatever way the test ends. Network: only the Debian archive.
# In a chroot whose / is not a mount point (e.g. a debootstrap root entered with chroot) unshare
# cannot make / private; the work directory is then bind-mounted onto itself first and made
# private inside the namespace instead (every mount of the test is below it), and unmounted at
# the end.
# Environment:
#   SX_INSTALL_TEST_WORK   parent of the work directory (default ${TMPDIR:-/tmp})
#   SX_INSTALL_TEST_KEYS   key types to run the flow with (default "ec rsa adopt")
#   SX_INSTALL_TEST_TMPFS  1 (default): the root (~650 MB) lives on a tmpfs when >= 2.5 GiB RAM
#                          are free (debootstrap's dpkg fsyncs: ~40 s there, ~85 s on disk); 0: disk
#   SX_DEBIAN_MIRROR       default http://deb.debian.org/debian
#   SX_DEBIAN_SECURITY     default http://deb.debian.org/debian-security ("" = none)
#   SX_APT_CACHE           .debs already downloaded on this host, hard-linked into the private
#                          cache when on the same file system (default /var/cache/apt/archives;
#                          "" = none). Never written to.
#   KEEP=1                 keep the work directory (logs; the root is on tmpfs unless TMPFS=0)
# shellcheck disable=SC2317  # functions run through --step / --in-root / traps
set -euo pipefail
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
repo="$(cd "$(dirname "$self")/../.." && pwd)"
suite=bookworm
arch=amd64
multiarch=x86_64-linux-gnu
pkgs=(se05x-pkcs11 se05x se05xd se05x-sim)
module_path="/usr/lib/$multiarch/pkcs11/libse05x-pkcs11.so"
# What the checks need besides our packages and install-packages.sh's prerequisites.
test_tools="openjdk-17-jdk-headless python3-awscrt python3-pykcs11 python3-yaml mosquitto openssl opensc"
# Nucleus lite's path (OpenSSL's pkcs11-provider) exists for Debian 12 only in bookworm-backports.
backports_tools="pkcs11-provider/bookworm-backports"
root_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { printf '[install-test] %s\n' "$*"; }
die() { printf '[install-test] FAILED: %s\n' "$*" >&2; exit 1; }
skip() { printf '[install-test] SKIP: %s\n' "$*"; exit 77; }

# ---------------------------------------------------------------------------------------------
# Part 3: inside the installed root (chroot). Invoked as: install-test.sh --in-root CMD ...
in_root_smoke() {
  local f
  say "fixed layout of the installed packages"
  for f in "$module_path" /usr/share/p11-kit/modules/se05x.module /etc/se05x-pkcs11.conf \
           /usr/bin/se05x /usr/sbin/se05xd /lib/systemd/system/se05xd.service /etc/se05xd.conf \
           /usr/bin/se05x-sim /usr/bin/se05x-demo; do
    if [ -e "$f" ]; then echo "  ok  $f ($(dpkg -S "$f" 2>/dev/null | cut -d: -f1))"; else echo "  MISSING $f"; return 1; fi
  done
  say "shared libraries resolve with only the packages' Depends installed"
  for f in "$module_path" /usr/bin/se05x /usr/sbin/se05xd /usr/bin/se05x-sim /usr/bin/se05x-demo; do
    if ldd "$f" | grep -q 'not found'; then ldd "$f"; echo "  $f: unresolved libraries"; return 1; fi
    echo "  ok  $f"
  done
  grep -Eq "^module:[[:space:]]*($module_path|$(basename "$module_path"))[[:space:]]*\$" /usr/share/p11-kit/modules/se05x.module \
    || { cat /usr/share/p11-kit/modules/se05x.module; echo "  se05x.module does not name the module"; return 1; }
  # The packaged module config is all commented defaults: no active key line.
  if grep -Ev '^[[:space:]]*(#|$)' /etc/se05x-pkcs11.conf; then echo "  /etc/se05x-pkcs11.conf has active settings"; return 1; fi
  se05x --help >/dev/null || { echo "  se05x --help failed"; return 1; }
  se05x-sim --help >/dev/null || { echo "  se05x-sim --help failed"; return 1; }
  se05xd --check-config || { echo "  se05xd --check-config of the installed /etc/se05xd.conf failed"; return 1; }
  say "the broker's group se05x (kept at the GID created before the install) and system user"
  [ "$(getent group se05x | cut -d: -f3)" = 950 ] || { getent group se05x; echo "  se05x is not GID 950 any more"; return 1; }
  grep -q '"socket_group": *"se05x"' /etc/se05xd.conf && grep -q '"allow_gids": *\["se05x"\]' /etc/se05xd.conf \
    || { echo "  /etc/se05xd.conf does not admit the group se05x"; return 1; }
  getent passwd se05xd || { echo "  no user se05xd"; return 1; }
  [ "$(id -gn se05xd)" = se05x ] || { echo "  se05xd's primary group is $(id -gn se05xd), not se05x"; return 1; }
  id -Gn se05xd | tr ' ' '\n' | grep -qx i2c || { echo "  se05xd is not in the group i2c"; return 1; }
  grep -q '^User=se05xd$' /lib/systemd/system/se05xd.service || { echo "  the unit does not run as se05xd"; return 1; }
  [ -f /lib/udev/rules.d/60-se05xd.rules ] || { echo "  no udev rule"; return 1; }
  setpriv --reuid=se05xd --regid=se05x --init-groups --inh-caps=-all --bounding-set=-all --no-new-privs \
    se05xd --check-config || { echo "  se05xd --check-config as se05xd failed"; return 1; }
}

wait_ready() {  # FILE PID WHAT
  local _
  for _ in $(seq 200); do
    grep -qx ready "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.05
  done
  echo "  $3 did not become ready"; return 1
}

in_root_flow() {
  local key="$1" d="/var/lib/sx-install-test/$1" rc=0
  sim_pid="" brk_pid=""   # global: the EXIT trap needs them
  rm -rf "$d"; mkdir -p "$d" /run/se05x-sim
  stop_chip() {
    [ -z "$brk_pid" ] || { kill "$brk_pid" 2>/dev/null || true; wait "$brk_pid" 2>/dev/null || true; }
    [ -z "$sim_pid" ] || { kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; }
    brk_pid=""; sim_pid=""
  }
  trap stop_chip EXIT   # this process runs one flow; nothing may outlive it into the next
  say "$key: packaged se05x-sim (fresh NVM) on unix:/run/se05x-sim/sim.sock"
  se05x-sim --nvm "$d/chip.nvm" --no-fsync --listen unix:/run/se05x-sim/sim.sock \
    --ready-file "$d/sim.ready" >"$d/sim.log" 2>&1 &
  sim_pid=$!
  wait_ready "$d/sim.ready" "$sim_pid" se05x-sim || { cat "$d/sim.log"; return 1; }
  say "$key: packaged se05xd with the installed /etc/se05xd.conf, connection = the simulator"
  sed -i -E 's|^([[:space:]]*"connection":[[:space:]]*)"[^"]*"|\1"unix:/run/se05x-sim/sim.sock"|' /etc/se05xd.conf
  grep -q '"connection": *"unix:/run/se05x-sim/sim.sock"' /etc/se05xd.conf \
    || { echo "  could not set connection in /etc/se05xd.conf"; return 1; }
  se05xd --check-config >/dev/null || { se05xd --check-config; return 1; }
  # As se05xd.service runs it: user se05xd, group se05x (+ i2c), no capabilities,
  # umask 0077, /run/se05x created for it (RuntimeDirectory=se05x, mode 0755).
  rm -rf /run/se05x; install -d -o se05xd -g se05x -m 0755 /run/se05x
  chmod 0666 /run/se05x-sim/sim.sock   # the simulator (root) stands for /dev/i2c-1, rw for group i2c
  chown se05xd "$d"                     # --ready-file
  (umask 0077; exec setpriv --reuid=se05xd --regid=se05x --init-groups --inh-caps=-all --bounding-set=-all \
     --no-new-privs se05xd --foreground --ready-file "$d/broker.ready") >"$d/se05xd.log" 2>&1 &
  brk_pid=$!
  wait_ready "$d/broker.ready" "$brk_pid" se05xd || { cat "$d/se05xd.log"; return 1; }
  [ -S /run/se05x/se05xd.sock ] || { echo "  /run/se05x/se05xd.sock missing"; cat "$d/se05xd.log"; return 1; }
  [ "$(stat -c '%U:%G %a' /run/se05x/se05xd.sock)" = "se05xd:se05x 660" ] \
    || { ls -ln /run/se05x/se05xd.sock; echo "  socket owner/mode wrong"; return 1; }
  # Admission by the shipped policy: a member of se05x gets in, anyone else is refused.
  local gid
  gid="$(getent group se05x | cut -d: -f3)"
  setpriv --reuid=65534 --regid=65534 --groups="$gid" se05x info >/dev/null \
    || { echo "  a member of se05x (uid 65534) was refused"; return 1; }
  if setpriv --reuid=65534 --regid=65534 --clear-groups se05x info >"$d/refused.log" 2>&1; then
    echo "  a user outside se05x was admitted"; return 1
  fi
  grep -q "Permission denied" "$d/refused.log" || { cat "$d/refused.log"; echo "  no clear refusal"; return 1; }
  grep -v '^ready$' "$d/broker.ready" | sed 's/^/  se05xd listening: /'
  local extra=()
  if [ "$key" = adopt ]; then
    se05x-sim --nvm "$d/chip.nvm" --print-factory-ca >"$d/factory-ca.pem" || return 1
    extra=(GG_FACTORY_CA="$d/factory-ca.pem")
  fi
  say "$key: scripts/greengrass-flow.sh with GG_CHIP=external (no SE05X_PORT, no SE05X_PKCS11_CONF)"
  env -u SE05X_PORT -u SE05X_PKCS11_CONF -u EX_SSS_BOOT_SSS_PORT -u SE05X_BROKER_SOCKET \
    GG_CHIP=external GG_LITE=require SE05X_CLI_BIN=/usr/bin/se05x SE05X_MODULE_BIN="$module_path" "${extra[@]}" \
    bash /opt/sx-test/scripts/greengrass-flow.sh "$key" || rc=$?
  # The flow only counts if the CLI and the module really went through the broker.
  local n
  n="$(grep -c 'connected on unix:/run/se05x/se05xd.sock' "$d/se05xd.log" || true)"
  say "$key: se05xd served $n client connection(s) on /run/se05x/se05xd.sock"
  if [ "$rc" -ne 0 ] || [ "$n" -lt 2 ]; then
    echo "---- se05xd.log (last 30 lines)"; tail -n 30 "$d/se05xd.log"
    [ "$rc" -ne 0 ] && return "$rc"
    echo "  expected the CLI and the module to connect through se05xd"; return 1
  fi
  return 0
}

if [ "${1:-}" = --in-root ]; then
  shift
  case "$1" in
    smoke) in_root_smoke ;;
    flow) in_root_flow "$2" ;;
    *) echo "unknown --in-root command $1" >&2; exit 2 ;;
  esac
  exit $?
fi

# ---------------------------------------------------------------------------------------------
# Part 2: inside private mount + pid namespaces on the host. install-test.sh --in-ns WORK DEBDIR
phase() {  # NAME FUNCTION ARGS...: a timed phase, its output also in WORK/logs/NAME.log
  # The function runs in a fresh bash (--step) so that set -e holds inside it.
  local name="$1" start=$SECONDS rc=0 secs; shift
  say "---- phase $name"
  # The console gets the steps; dpkg's per-file chatter stays in the log.
  bash "$self" --step "$@" 2>&1 | tee "$work/logs/$name.log" \
    | { grep --line-buffered -Ev '^(Adding debian:|Selecting previously|\(Reading database|Preparing to unpack|Unpacking |Get:[0-9]|update-alternatives: using)' || true; } \
    || rc=$?
  secs=$((SECONDS - start))
  say "---- phase $name: $( [ "$rc" -eq 0 ] && echo ok || echo "FAILED (exit $rc)" ) in $secs s"
  printf '%s %s %s\n' "$name" "$secs" "$rc" >>"$work/times"
  return "$rc"
}

in_chroot() {  # CMD...: clean environment, nothing from the host's
  local proxy=() v
  for v in http_proxy https_proxy no_proxy; do [ -z "${!v:-}" ] || proxy+=("$v=${!v}"); done
  chroot "$R" /usr/bin/env -i PATH="$root_path" HOME=/root LANG=C.UTF-8 TERM=dumb \
    DEBIAN_FRONTEND=noninteractive "${proxy[@]}" "$@"
}

link_host_cache() {  # hard links only (no copies); a different file system means no reuse
  mkdir -p "$work/cache/partial"
  [ -n "$host_cache" ] && [ -d "$host_cache" ] || return 0
  local n
  n="$(find "$host_cache" -maxdepth 1 -name '*.deb' | wc -l)"
  if cp -l -n "$host_cache"/*.deb "$work/cache/" 2>/dev/null; then
    say "package cache: $n .debs of $host_cache hard-linked (used when their checksums match)"
  else
    say "package cache: $host_cache not reusable (other file system?); downloading everything"
  fi
}

do_debootstrap() {
  debootstrap --variant=minbase --arch="$arch" --cache-dir="$work/cache" "$suite" "$R" "$mirror" \
    >"$work/logs/debootstrap.full.log" 2>&1 \
    || { tail -n 40 "$work/logs/debootstrap.full.log"; [ -f "$R/debootstrap/debootstrap.log" ] && tail -n 40 "$R/debootstrap/debootstrap.log"; return 1; }
  grep -E '^(I: Retrieving Release|I: Base system)' "$work/logs/debootstrap.full.log" || true
  echo "retrieved $(grep -c '^I: Retrieving .*\.deb\|^I: Retrieving [a-z0-9]' "$work/logs/debootstrap.full.log" || true) files"
}

setup_root() {
  {
    echo "deb $mirror $suite main"
    echo "deb $mirror $suite-updates main"
    [ -z "$security" ] || echo "deb $security $suite-security main"
    echo "deb $mirror $suite-backports main"
  } >"$R/etc/apt/sources.list"
  cat "$R/etc/apt/sources.list"
  printf 'Acquire::Languages "none";\nDpkg::Use-Pty "false";\nAPT::Install-Suggests "false";\n' \
    >"$R/etc/apt/apt.conf.d/90sx-install-test"
  # As Docker's Debian images do: no fsync per file (a throw-away root).
  echo force-unsafe-io >"$R/etc/dpkg/dpkg.cfg.d/90sx-install-test"
  mount -t proc proc "$R/proc"
  mount --bind "$work/cache" "$R/var/cache/apt/archives"
  mkdir -p "$R/opt/sx-test/pkgs" "$R/opt/sx-test/scripts" "$R/opt/sx-test/tests/integration" "$R/opt/sx-test/tests/packaging"
  local p
  for p in "${pkgs[@]}"; do cp "$debdir/${p}"_*_"$arch".deb "$R/opt/sx-test/pkgs/"; done
  ls -l "$R/opt/sx-test/pkgs"
  # Test code only: the flow script, the consumer checks, the container install recipe, this script.
  cp "$repo/scripts/greengrass-flow.sh" "$R/opt/sx-test/scripts/"
  cp -r "$repo/tests/integration/p11" "$R/opt/sx-test/tests/integration/"
  cp "$repo/dist/container/install-packages.sh" "$R/opt/sx-test/install-packages.sh"
  cp "$self" "$R/opt/sx-test/tests/packaging/install-test.sh"
}

install_packages() {  # the container recipe, as in dist/container/Containerfile (plus the sim)
  # As the Containerfiles do: the broker group exists first, with the GID shared between images.
  in_chroot groupadd --system --gid 950 se05x
  in_chroot sh /opt/sx-test/install-packages.sh --all --keep-lists /opt/sx-test/pkgs
}

smoke() { in_chroot bash /opt/sx-test/tests/packaging/install-test.sh --in-root smoke; }

flow() { in_chroot bash /opt/sx-test/tests/packaging/install-test.sh --in-root flow "$1"; }

install_test_tools() {
  in_chroot sh -c 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
  # shellcheck disable=SC2086
  in_chroot apt-get install -y -q --no-install-recommends $test_tools $backports_tools
}

run_in_ns() {
  export work="$1" debdir="$2" R="$1/root"
  export mirror="${SX_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
  export security="${SX_DEBIAN_SECURITY-http://deb.debian.org/debian-security}"
  export host_cache="${SX_APT_CACHE-/var/cache/apt/archives}"
  mkdir -p "$R" "$work/logs"
  # Nothing mounted here may propagate back to the host. Every mount of the test is below
  # $work: when / cannot be made private (a chroot), $work is its own mount point (part 1).
  if [ "$ns_mode" = own-mount ]; then mount --make-rprivate "$work"; else mount --make-rprivate /; fi
  local avail_kb
  avail_kb="$(awk '/^MemAvailable:/{print $2}' /proc/meminfo)"
  if [ "${SX_INSTALL_TEST_TMPFS:-1}" = 1 ] && [ "${avail_kb:-0}" -ge $((5 * 1024 * 1024 / 2)) ] \
     && mount -t tmpfs -o size=2g,mode=0755 sx-install-test "$R"; then
    say "root: tmpfs at $R"
  else
    say "root: on disk at $R"
  fi
  bash "$self" --step link_host_cache
  phase debootstrap do_debootstrap || return 1
  phase setup setup_root || return 1
  phase install-packages install_packages || return 1
  phase smoke smoke || return 1
  bash "$self" --step link_host_cache   # install-packages.sh ran apt-get clean
  phase test-tools install_test_tools || return 1
  local key fail=0
  for key in ${SX_INSTALL_TEST_KEYS:-ec rsa adopt}; do
    phase "flow-$key" flow "$key" || fail=1
  done
  return "$fail"
}

if [ "${1:-}" = --step ]; then   # one function of part 2, environment exported by run_in_ns
  shift
  "$@"
  exit 0
fi
if [ "${1:-}" = --in-ns ]; then
  export ns_mode="$4"
  run_in_ns "$2" "$3"
  exit $?
fi

# ---------------------------------------------------------------------------------------------
# Part 1: on the host.
[ $# -eq 1 ] || { echo "usage: $0 DEB_DIR" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot, mount)"
[ "$(dpkg --print-architecture 2>/dev/null)" = "$arch" ] || skip "host is not $arch"
for t in debootstrap unshare chroot mount dpkg-deb; do
  command -v "$t" >/dev/null || skip "$t not installed (apt-get install debootstrap)"
done
# unshare makes / private (recursively) in the new namespace; that fails where / is not a mount
# point (a chroot: "cannot change root filesystem propagation"). Then the namespace keeps the
# host's propagation and the work directory becomes a mount point of its own (below).
ns_mode=private-root
if ! ns_err="$(unshare --mount --pid --fork --kill-child -- mount -t tmpfs none /mnt 2>&1)"; then
  if unshare --mount --propagation unchanged --pid --fork --kill-child -- true 2>/dev/null; then
    ns_mode=own-mount
  else
    skip "no private mount/pid namespaces here (unshare --mount --pid: ${ns_err:-failed})"
  fi
fi
[ -d "$1" ] || die "$1: no such directory"
debdir="$(cd "$1" && pwd)"
for p in "${pkgs[@]}"; do
  set -- "$debdir/${p}"_*_"$arch".deb
  { [ $# -eq 1 ] && [ -f "$1" ]; } || die "need exactly one ${p}_<version>_$arch.deb in $debdir (found: $*)"
  [ "$(dpkg-deb --field "$1" Package)" = "$p" ] || die "$1 is not package $p"
done
[ -f "$repo/dist/container/install-packages.sh" ] || die "$repo/dist/container/install-packages.sh missing"

parent="${SX_INSTALL_TEST_WORK:-${TMPDIR:-/tmp}}"
mkdir -p "$parent"
work="$(mktemp -d "$parent/sx-install-test.XXXXXX")"
start=$SECONDS
ns_pid=""
work_bound=0
cleanup() {
  # Every mount (tmpfs root, /proc, the cache bind) exists only in the private mount namespace:
  # from here $work is plain files, so deleting it can never reach through a mount.
  # unshare ignores SIGTERM while it waits; SIGKILL makes it SIGKILL its child (--kill-child).
  if [ -n "$ns_pid" ]; then kill -KILL "$ns_pid" 2>/dev/null || true; wait "$ns_pid" 2>/dev/null || true; fi
  # The self bind mount of $work (own-mount mode) is the only mount made on the host side.
  if [ "$work_bound" = 1 ]; then umount "$work" 2>/dev/null || umount -l "$work" || true; fi
  if [ "${KEEP:-0}" = 1 ]; then say "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM
say "packages from $debdir; work directory $work"
if [ "$ns_mode" = own-mount ]; then
  # Bound while still sharing the host's propagation, so that the unmount at the end reaches
  # every copy; inside the namespace it is made private before anything is mounted below it.
  bind_err="$(mount --bind "$work" "$work" 2>&1)" || { rm -rf "$work"; skip "/ is not a mount point here (chroot) and $work cannot be bind-mounted: $bind_err"; }
  work_bound=1
  say "/ is not a mount point (a chroot?): $work is bind-mounted onto itself and made private in the namespace"
fi
rc=0
# In the background so that a signal is handled at once (bash defers traps while a foreground
# command runs). Killing unshare SIGKILLs its child (--kill-child), the pid namespace's init, and
# with it every process of the test; its mount namespace goes with them.
ns_opts=()
[ "$ns_mode" = own-mount ] && ns_opts=(--propagation unchanged)
unshare --mount "${ns_opts[@]}" --pid --fork --kill-child -- bash "$self" --in-ns "$work" "$debdir" "$ns_mode" &
ns_pid=$!
wait "$ns_pid" || rc=$?
ns_pid=""
say "phase times (s):"
[ -f "$work/times" ] && while read -r name secs prc; do
  printf '[install-test]   %-18s %4s  %s\n' "$name" "$secs" "$([ "$prc" = 0 ] && echo ok || echo FAILED)"
done <"$work/times"
say "total $((SECONDS - start)) s"
if [ "$rc" -eq 0 ]; then say "PASSED"; exit 0; fi
say "FAILED (full logs of every phase: rerun with KEEP=1, they stay in $parent/sx-install-test.*/logs)"
exit 1
