#!/usr/bin/env bash
# Installs the Debian 12 packages one role needs; idempotent, quiet and fast when all is there.
#   install-deps.sh main   what scripts/run.sh needs: the build of the main job's programs and
#                          the Greengrass flow (scripts/greengrass-flow.sh) on the simulator
#   install-deps.sh test   (default) everything scripts/test.sh needs: the above plus test
#                          libraries, clang, the armhf cross toolchain, qemu-user, packaging tools
#   install-deps.sh ROLE --plan   only print what would be added to this system
# Only Debian's archive is used. pkcs11-provider exists for Debian 12 only in bookworm-backports:
# when no apt source names that suite, one is added (deb822 file SOURCES_FILE below, same mirror
# as the machine's Debian source), and only pkcs11-provider is taken from it.
# Environment: SX_TAG (line prefix, default "[install-deps]").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=progress.sh
. "$here/progress.sh"
SX_TAG="${SX_TAG:-[install-deps]}"

role="test" plan=0
for a in "$@"; do
  case "$a" in
    main|test) role="$a" ;;
    --plan) plan=1 ;;
    *) echo "usage: $0 [main|test] [--plan]" >&2; exit 2 ;;
  esac
done

MAIN=(
  # build of se05x, se05x-pkcs11, se05x-sim, se05xd, se05x-demo
  build-essential cmake ninja-build pkg-config
  libssl-dev openssl nlohmann-json3-dev libcli11-dev libp11-kit-dev libyaml-cpp-dev
  # the Greengrass flow: Java SunPKCS11 (javac), awscrt MQTT, OpenSC's pkcs11-tool, a local
  # broker, OpenSSL's pkcs11-provider (nucleus lite's path; from bookworm-backports)
  mosquitto openjdk-17-jdk-headless python3 python3-awscrt python3-pykcs11 python3-yaml opensc
  pkcs11-provider
)
TEST=(
  "${MAIN[@]}"
  git
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  clang libclang-rt-14-dev
  qemu-user crossbuild-essential-armhf
  # more PKCS#11 consumers the module is tested with
  gnutls-bin p11-kit libengine-pkcs11-openssl
  # Debian packages: checked with lintian, installed into a fresh debootstrap root
  lintian debootstrap fakeroot dpkg-dev
)
BACKPORTS_PKG=pkcs11-provider
SOURCES_FILE=/etc/apt/sources.list.d/se05x-bookworm-backports.sources

if [ "$role" = main ]; then wanted=("${MAIN[@]}"); else wanted=("${TEST[@]}"); fi

# One dpkg-query for all: unknown names print nothing on stdout.
declare -A have=()
while read -r name status; do
  [ "$status" = installed ] && have["$name"]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${wanted[@]}" 2>/dev/null || true)
missing=()
for p in "${wanted[@]}"; do [ -n "${have[$p]:-}" ] || missing+=("$p"); done
[ "${#missing[@]}" -eq 0 ] && exit 0

need_backports=0
[[ " ${missing[*]} " == *" $BACKPORTS_PKG "* ]] && need_backports=1

apt_sources() {  # every active source file
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && echo "$f"
  done
}

has_backports_source() {  # a one-line or deb822 source naming bookworm-backports
  local f
  while read -r f; do
    case "$f" in
      *.sources) awk 'BEGIN{RS=""; FS="\n"}
          { t=""; s=""; e=""
            for (i = 1; i <= NF; i++) {
              if ($i ~ /^Types:/) t=$i; else if ($i ~ /^Suites:/) s=$i; else if ($i ~ /^Enabled:/) e=$i }
            if ((t " ") ~ /[ \t]deb[ \t]/ && (s " ") ~ /[ \t]bookworm-backports[ \t]/ && e !~ /[ \t]no/) found=1 }
          END { exit !found }' "$f" && return 0 ;;
      *) grep -Eq '^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+[[:space:]]+bookworm-backports([[:space:]]|$)' "$f" && return 0 ;;
    esac
  done < <(apt_sources)
  return 1
}

debian_uri() {  # the URI of the machine's source for suite "bookworm" (the main archive)
  local f uri
  while read -r f; do
    case "$f" in
      *.sources) uri="$(awk 'BEGIN{RS=""; FS="\n"}
          { t=""; u=""; s=""
            for (i = 1; i <= NF; i++) {
              if ($i ~ /^Types:/) t=$i; else if ($i ~ /^URIs:/) u=$i; else if ($i ~ /^Suites:/) s=$i }
            if ((t " ") ~ /[ \t]deb[ \t]/ && (s " ") ~ /[ \t]bookworm[ \t]/) {
              sub(/^URIs:[ \t]*/, "", u); split(u, a, /[ \t]+/); print a[1]; exit } }' "$f")" ;;
      *) uri="$(sed -nE 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+bookworm([[:space:]].*)?$/\2/p' "$f" | head -n 1)" ;;
    esac
    [ -n "$uri" ] && { echo "$uri"; return 0; }
  done < <(apt_sources)
  echo http://deb.debian.org/debian
}

add_backports=0
if [ "$need_backports" = 1 ] && ! has_backports_source; then add_backports=1; fi

if [ "$plan" = 1 ]; then
  sx_say "adds ${#missing[@]} Debian packages (role $role, with their dependencies): ${missing[*]}"
  [ "$add_backports" = 0 ] || sx_say "adds the apt source bookworm-backports ($SOURCES_FILE, $(debian_uri)) for $BACKPORTS_PKG only"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
logdir="$(mktemp -d "${TMPDIR:-/tmp}/sx-install-deps.XXXXXX")"
trap 'rm -rf "$logdir"' EXIT
start=$SECONDS

if [ "$add_backports" = 1 ]; then
  uri="$(debian_uri)"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  sx_say "adding apt source bookworm-backports ($uri) as $SOURCES_FILE, for $BACKPORTS_PKG only"
  {
    echo "# Added by se05x-pkcs11's scripts/install-deps.sh: pkcs11-provider is in bookworm-backports only."
    echo "Types: deb"
    echo "URIs: $uri"
    echo "Suites: bookworm-backports"
    echo "Components: main"
    [ -f "$keyring" ] && echo "Signed-By: $keyring"
  } | $SUDO tee "$SOURCES_FILE" >/dev/null
fi

sx_say "${#missing[@]} packages to install (apt-get update, download, unpack): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A mirror caught mid-sync (or one foreign-architecture index) must not stop us: retry once,
# then go on with whatever indexes we have; the install itself fails clearly if a package is missing.
if ! sx_step "apt-get update" "$logdir/update.log" sx_no_status $SUDO apt-get update -q; then
  sleep 5
  sx_step "apt-get update (again)" "$logdir/update.log" sx_no_status $SUDO apt-get update -q ||
    sx_say "apt-get update reported errors; going on with the indexes we have"
fi

# pkcs11-provider comes from bookworm-backports (its only suite), everything it depends on from
# the ordinary suites: the package alone is targeted at that release ("pkg/release"), and a plan
# that would take any other package from backports is refused.
args=()
for p in "${missing[@]}"; do
  if [ "$p" = "$BACKPORTS_PKG" ]; then args+=("$p/bookworm-backports"); else args+=("$p"); fi
done
if ! $SUDO apt-get install -s --no-install-recommends "${args[@]}" >"$logdir/plan.log" 2>&1; then
  cat "$logdir/plan.log" >&2
  sx_say "FAILED: apt-get cannot install ${missing[*]}"
  exit 1
fi
if grep '^Inst ' "$logdir/plan.log" | grep -v "^Inst $BACKPORTS_PKG " | grep -q 'bookworm-backports'; then
  grep '^Inst ' "$logdir/plan.log" | grep 'bookworm-backports' >&2
  sx_say "FAILED: installing $BACKPORTS_PKG would take other packages from bookworm-backports"
  exit 1
fi
SX_APT_TOTAL="$(grep -c '^Inst ' "$logdir/plan.log" || true)"
export SX_APT_TOTAL
need="$($SUDO apt-get install -qq --print-uris --no-install-recommends "${args[@]}" 2>/dev/null |
  LC_ALL=C awk '$1 ~ /^\x27/ {b += $3} END {if (b > 0) printf "%.1f MB", b / 1048576}' || true)"
if ! SX_DETAIL="$SX_APT_TOTAL packages with dependencies${need:+, $need to download}" \
     sx_step "apt-get install" "$logdir/install.log" sx_apt_status \
       $SUDO apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 "${args[@]}"; then
  tail -n 40 "$logdir/install.log" >&2
  exit 1
fi
sx_say "done in $((SECONDS - start)) s"
