#!/usr/bin/env bash
# cross-shlibdeps.sh ARCH CACHE_DIR NAME=ELF[,ELF...]...
# Prints "NAME<space>Depends-value" per NAME (one package each) for cross-built
# ELF files, computed by dpkg-shlibdeps
# exactly as for a native build, but with the target architecture's libraries
# and their shlibs/symbols files. Those come from the ARCH .debs of the
# packages providing each NEEDED soname, downloaded with apt-get download and
# unpacked with their control files (dpkg-deb -R) into CACHE_DIR; dpkg-shlibdeps
# reads them through -S (package build trees). The package names are taken
# from the build host's own installation of the same Debian release (a soname
# is shipped by the same package on every architecture); the minimum versions
# come from the target's symbols files, so nothing is hard-coded.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: cross-shlibdeps.sh ARCH CACHE_DIR NAME=ELF[,ELF...]..." >&2
  exit 2
fi
arch="$1" cache="$2"
shift 2
die() { echo "cross-shlibdeps: $*" >&2; exit 1; }

gnu_type="$(dpkg-architecture -a "$arch" -qDEB_HOST_GNU_TYPE 2>/dev/null)" || die "unknown architecture $arch"
build_ma="$(dpkg-architecture -qDEB_BUILD_MULTIARCH 2>/dev/null)"
objdump="${gnu_type}-objdump"
command -v "$objdump" >/dev/null || die "$objdump not found (binutils-$gnu_type)"

declare -A group  # NAME -> absolute ELF paths, space-separated
names=()
files=()
for arg in "$@"; do
  name="${arg%%=*}"
  [ "$name" != "$arg" ] && [ -n "$name" ] || die "argument '$arg' is not NAME=ELF[,ELF...]"
  IFS=, read -r -a list <<<"${arg#*=}"
  for f in "${list[@]}"; do
    [ -f "$f" ] || die "$f: no such file (build the product targets first)"
    f="$(realpath "$f")"
    files+=("$f")
    group[$name]="${group[$name]:-} $f"
  done
  names+=("$name")
done

sonames="$(for f in "${files[@]}"; do "$objdump" -p "$f" | awk '$1 == "NEEDED" { print $2 }'; done | sort -u)"
[ -n "$sonames" ] || die "no NEEDED entries in $*"

pkgs=()
owner_of() {  # dpkg-query -S pattern -> first owning package; diversions are not owners
  dpkg-query -S "$1" 2>/dev/null | grep -v '^diversion' | head -n1 | sed 's/[:,].*//' || true
}
for so in $sonames; do
  # "libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6" -> libc6
  owner="$(owner_of "*/$build_ma/$so")"
  if [ -z "$owner" ]; then
    # Sonames that differ per architecture (the dynamic loader ld-linux-armhf.so.3):
    # the cross toolchain's copy belongs to <package>-<arch>-cross.
    owner="$(owner_of "/usr/$gnu_type/lib/$so")"
    case "$owner" in
      *-"$arch"-cross) owner="${owner%-"$arch"-cross}" ;;
      *) owner="" ;;
    esac
  fi
  [ -n "$owner" ] || die "no installed package ships $so (for $build_ma or in /usr/$gnu_type/lib); cannot name the $arch package providing it"
  pkgs+=("$owner")
done
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)

mkdir -p "$cache/debs" "$cache/root"
chmod 777 "$cache/debs"  # apt-get download as root drops to _apt
# The archive's candidate versions, in one (slow) apt-cache call.
declare -A candidate
while read -r p v; do
  candidate[$p]="$v"
done < <(apt-cache show --no-all-versions "${pkgs[@]/%/:$arch}" 2>/dev/null \
           | awk '/^Package: / { p = $2 } /^Version: / { print p, $2 }')
roots=()
for p in "${pkgs[@]}"; do
  # Re-download when the archive's candidate changed, so the symbols files track the release.
  want="${candidate[$p]:-}"
  [ -n "$want" ] || die "apt knows no $p:$arch (dpkg --add-architecture $arch && apt-get update)"
  file_ver="${want//:/%3a}"
  deb="$cache/debs/${p}_${file_ver}_${arch}.deb"
  if [ ! -f "$deb" ]; then
    rm -f "$cache/debs/${p}_"*"_${arch}.deb"
    (cd "$cache/debs" && apt-get download -qq "$p:$arch=$want" >/dev/null) || die "apt-get download $p:$arch=$want failed"
    [ -f "$deb" ] || die "apt-get download did not produce $deb"
  fi
  root="$cache/root/$p"
  if [ ! -f "$root/.from" ] || [ "$(cat "$root/.from")" != "$deb" ]; then
    rm -rf "$root"
    dpkg-deb -R "$deb" "$root"
    echo "$deb" > "$root/.from"
  fi
  [ -f "$root/DEBIAN/symbols" ] || [ -f "$root/DEBIAN/shlibs" ] || die "$deb has neither symbols nor shlibs"
  roots+=("-S$root")
done

# dpkg-shlibdeps runs in a scratch source tree with each group's binaries in a
# package build tree (a DEBIAN directory), as it would under dpkg-buildpackage.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/debian"
: > "$work/debian/control"
for name in "${names[@]}"; do
  pkgdir="$work/debian/$name"
  mkdir -p "$pkgdir/DEBIAN" "$pkgdir/bin"
  elves=()
  for f in ${group[$name]}; do
    cp "$f" "$pkgdir/bin/"
    elves+=("$pkgdir/bin/$(basename "$f")")
  done
  out="$(cd "$work" && DEB_HOST_ARCH="$arch" dpkg-shlibdeps -O "${roots[@]}" "${elves[@]}")" \
    || die "dpkg-shlibdeps failed for $name"
  deps="$(printf '%s\n' "$out" | sed -n 's/^shlibs:Depends=//p')"
  [ -n "$deps" ] || die "dpkg-shlibdeps printed no shlibs:Depends for $name"
  printf '%s %s\n' "$name" "$deps"
done
