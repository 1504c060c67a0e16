#!/usr/bin/env bash
# extract-debs.sh PACKAGES_DIR ROOT VERSION ARCH TRIPLET
# Unpacks the four .debs scripts/package.sh left in PACKAGES_DIR into a fresh
# ROOT (dpkg-deb -x: files only, no maintainer scripts, no root needed), then
# checks that the files the packaged test suites run are there. The tests in
# packaged_armhf.cmake then point SX_TEST_MODULE/SX_TEST_SIM/SX_TEST_CLI into ROOT.
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: extract-debs.sh PACKAGES_DIR ROOT VERSION ARCH TRIPLET" >&2; exit 2; }
pkgdir="$1" root="$2" version="$3" arch="$4" triplet="$5"

rm -rf "$root"
mkdir -p "$root"
for p in se05x-pkcs11 se05x se05xd se05x-sim; do
  deb="$pkgdir/${p}_${version}_${arch}.deb"
  [ -f "$deb" ] || { echo "extract-debs: $deb missing (did packaging.debs run?)" >&2; exit 1; }
  dpkg-deb -x "$deb" "$root"
  echo "extract-debs: $(basename "$deb")"
done

status=0
check() {  # test path
  if [ "$1" "$root$2" ]; then echo "ok:   $2"; else echo "FAIL: $2 (test $1)"; status=1; fi
}
check -f "/usr/lib/$triplet/pkcs11/libse05x-pkcs11.so"
check -f /etc/se05x-pkcs11.conf
check -x /usr/bin/se05x
check -x /usr/sbin/se05xd
check -x /usr/bin/se05x-sim
check -x /usr/bin/se05x-demo
exit $status
