#!/usr/bin/env bash
# Unpacks Debian's armhf OpenSSL and yaml-cpp (headers, static libyaml-cpp.a, and the shared
# library its CMake package file names) into a private sysroot for the cross build.
# Unpacking (instead of a multiarch install) keeps the host's own libssl
# version untouched: multiarch would force amd64 and armhf to the same version.
set -euo pipefail
SYSROOT="${1:?usage: armhf-sysroot.sh DIR}"
# Bump when the sysroot's contents change, so stale ones are rebuilt.
STAMP="openssl+yaml-cpp+nlohmann+cli11+p11kit v3"
DEBS=(libssl-dev:armhf libssl3:armhf libyaml-cpp-dev:armhf libyaml-cpp0.7:armhf)
[ "$(cat "$SYSROOT/.complete" 2>/dev/null)" = "$STAMP" ] && exit 0

SX_TAG="${SX_TAG:-[armhf-sysroot]}"
say() { printf '%s %s\n' "$SX_TAG" "$*"; }
start=$SECONDS
say "building $SYSROOT from ${DEBS[*]} …"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
if ! dpkg --print-foreign-architectures | grep -qx armhf; then
  say "adding the armhf foreign architecture to dpkg (dpkg --add-architecture armhf) for armhf package indexes"
  $SUDO dpkg --add-architecture armhf
  $SUDO apt-get update -qq || echo "armhf-sysroot: apt-get update reported errors; going on"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 777 "$work"
if ! (cd "$work" && apt-get download -qq "${DEBS[@]}" 2>/dev/null); then
  $SUDO apt-get update -qq || echo "armhf-sysroot: apt-get update reported errors; going on"
  (cd "$work" && apt-get download -qq "${DEBS[@]}")
fi
rm -rf "$SYSROOT"
mkdir -p "$SYSROOT"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$SYSROOT"; done
# Header-only libraries are architecture independent: take the host's copies.
cp -r /usr/include/nlohmann /usr/include/CLI /usr/include/p11-kit-1 "$SYSROOT/usr/include/"
echo "$STAMP" > "$SYSROOT/.complete"
say "done in $((SECONDS - start)) s"
