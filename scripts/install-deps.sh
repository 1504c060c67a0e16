#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests and the main job need.
# Idempotent and quiet when everything is present; only Debian's archive is used.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libssl-dev openssl
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  nlohmann-json3-dev libcli11-dev
  libp11-kit-dev
  clang libclang-rt-14-dev
  qemu-user crossbuild-essential-armhf
  python3
  # PKCS#11 consumers the module is tested with
  opensc gnutls-bin p11-kit libengine-pkcs11-openssl mosquitto openjdk-17-jdk-headless python3-awscrt python3-pykcs11
  # Debian packages: checked with lintian, installed into a fresh debootstrap root
  lintian debootstrap fakeroot dpkg-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  # A mirror caught mid-sync (or one foreign-architecture index) must not stop us:
  # retry once, then go on with whatever indexes we have — the install itself fails
  # clearly if a package really is missing.
  $SUDO apt-get update -qq || { sleep 5; $SUDO apt-get update -qq; } ||
    echo "install-deps: apt-get update reported errors; going on with the indexes we have"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
