#!/usr/bin/env bash
# Builds the Debian packages of a configured build tree (native, or the armhf
# cross build configured with cmake/armhf-toolchain.cmake), copies them to
# OUTDIR and checks them with lintian. docs/packaging.md.
#   scripts/package.sh --build-dir DIR --out OUTDIR [--no-lintian]
# Exit status: 0 = packages built (and lintian reported no E: line), 1 = failure.
set -euo pipefail

usage() { echo "usage: scripts/package.sh --build-dir DIR --out OUTDIR [--no-lintian]" >&2; exit 2; }
die() { echo "package.sh: error: $*" >&2; exit 1; }

build_dir="" out_dir="" lintian=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) [ $# -ge 2 ] || usage; build_dir="$2"; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out_dir="$2"; shift 2 ;;
    --no-lintian) lintian=0; shift ;;
    -h|--help) usage ;;
    *) echo "package.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
[ -n "$build_dir" ] && [ -n "$out_dir" ] || usage
[ -f "$build_dir/CMakeCache.txt" ] || die "$build_dir is not a configured build tree (no CMakeCache.txt)"
build_dir="$(realpath "$build_dir")"
config="$build_dir/CPackConfig.cmake"
[ -f "$config" ] || die "$config missing: was the tree configured with cmake/SxPackaging.cmake included?"
for tool in cpack dpkg-deb; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
if [ "$lintian" = 1 ]; then command -v lintian >/dev/null || die "lintian not found (apt-get install lintian, or --no-lintian)"; fi

# The values CPack will use, straight from its configuration (one source of truth).
cpack_var() { sed -n "s/^set(CPACK_$1 \"\\(.*\\)\")\$/\\1/p" "$config" | head -n1; }
version="$(cpack_var PACKAGE_VERSION)"
arch="$(cpack_var DEBIAN_PACKAGE_ARCHITECTURE)"
[ -n "$version" ] && [ -n "$arch" ] || die "cannot read CPACK_PACKAGE_VERSION / CPACK_DEBIAN_PACKAGE_ARCHITECTURE from $config"
packages=(se05x-pkcs11 se05x se05xd se05x-sim)
start=$SECONDS

echo "== package.sh: building product targets in $build_dir ($arch, $version)"
# sx_deb_files: the compressed changelog and manual pages the packages ship.
cmake --build "$build_dir" -j 2 --target se05x-pkcs11 se05x se05xd se05x-sim se05x-demo sx_deb_files \
  || die "build of the product targets failed"

echo "== package.sh: cpack"
stage="$build_dir/_packages"
rm -rf "$stage"
mkdir -p "$stage"
(cd "$build_dir" && cpack --config "$config" -G DEB -B "$stage") || die "cpack failed"

mkdir -p "$out_dir"
out_dir="$(realpath "$out_dir")"
debs=()
for p in "${packages[@]}"; do
  f="${p}_${version}_${arch}.deb"
  [ -f "$stage/$f" ] || die "cpack did not produce $f (found: $(cd "$stage" && ls -- *.deb 2>/dev/null | tr '\n' ' '))"
  cp -f "$stage/$f" "$out_dir/$f"
  debs+=("$out_dir/$f")
done
extra="$(cd "$stage" && ls -- *.deb | grep -vxF -e "${packages[0]}_${version}_${arch}.deb" \
  -e "${packages[1]}_${version}_${arch}.deb" -e "${packages[2]}_${version}_${arch}.deb" \
  -e "${packages[3]}_${version}_${arch}.deb" || true)"
[ -z "$extra" ] || die "cpack produced unexpected packages: $extra"
printf '   %s\n' "${debs[@]}"

if [ "$lintian" = 1 ]; then
  echo "== package.sh: lintian"
  # Judged by the printed tags, not the exit status, so that a lintian that
  # cannot run at all (its messages are no E: tags) is caught separately below.
  report="$(lintian --jobs 2 --fail-on error "${debs[@]}" 2>&1)" && lintian_rc=0 || lintian_rc=$?
  [ -z "$report" ] || printf '%s\n' "$report"
  if printf '%s\n' "$report" | grep -q '^E: '; then
    die "lintian reported errors (E: lines above)"
  fi
  if [ "$lintian_rc" != 0 ]; then
    die "lintian failed (exit status $lintian_rc) without an E: tag"
  fi
  echo "   lintian: no errors ($(printf '%s\n' "$report" | grep -c '^W: ' || true) warnings)"
fi
echo "== package.sh: done in $((SECONDS - start)) s"
