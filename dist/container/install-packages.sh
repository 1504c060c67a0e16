#!/bin/sh
# install-packages.sh — install the se05x-pkcs11 Debian packages (and, for the
# Greengrass container, the Greengrass nucleus prerequisites) inside a Debian 12
# container or chroot. Run as root. See docs/install.md.
#
#   install-packages.sh [OPTIONS] DIR
#
# DIR holds the .deb files (<package>_<version>_<arch>.deb). Files for other
# architectures are ignored, so one directory may hold the amd64 and the armhf
# builds side by side. Safe to run again (apt-get leaves installed packages
# alone). Any failure stops the script with a message and a non-zero exit code.
set -eu

PROG=${0##*/}
ALL_PKGS="se05x-pkcs11 se05x se05xd se05x-sim"

usage() {
    cat <<EOF
Usage: $PROG [OPTIONS] DIR

Installs the se05x packages found in DIR with apt-get, plus what the
AWS IoT Greengrass nucleus needs (Java 17 runtime, CA certificates, ps, sudo,
useradd, unzip).

Roles (default: --all):
  --all          every se05x package in DIR for this architecture, plus the
                 Greengrass prerequisites
  --greengrass   only se05x-pkcs11 (PKCS#11 module) and se05x (CLI), plus the
                 Greengrass prerequisites: the Greengrass container, which
                 reaches the chip through the broker socket
  --broker       only se05xd (the access broker), no Java: the broker container

Adjustments:
  --with-sim     also install se05x-sim (simulator, for trying it without a chip)
  --with-broker  also install se05xd
  --skip PKG     do not install PKG (repeatable), e.g. --skip se05x-sim
  --no-java      do not install the Greengrass prerequisites
  --keep-lists   keep /var/lib/apt/lists (default: removed at the end)
  --dry-run      print what would be installed, change nothing
  -h, --help     this text

Environment: APT_GET_OPTS adds options to every apt-get call.
EOF
}

die() { echo "$PROG: error: $*" >&2; exit 1; }
note() { echo "$PROG: $*"; }

role=all
with_sim=0
with_broker=0
skip=""
java=1
keep_lists=0
dry_run=0
dir=""

while [ $# -gt 0 ]; do
    case $1 in
        --all) role=all ;;
        --greengrass) role=greengrass ;;
        --broker) role=broker ;;
        --with-sim) with_sim=1 ;;
        --with-broker) with_broker=1 ;;
        --skip)
            [ $# -ge 2 ] || die "--skip needs a package name"
            skip="$skip $2"
            shift ;;
        --skip=*) skip="$skip ${1#--skip=}" ;;
        --no-java) java=0 ;;
        --keep-lists) keep_lists=1 ;;
        --dry-run) dry_run=1 ;;
        -h|--help) usage; exit 0 ;;
        --) shift; [ $# -gt 0 ] && { dir=$1; shift; }; break ;;
        -*) usage >&2; die "unknown option '$1'" ;;
        *) [ -z "$dir" ] || die "more than one directory given ('$dir', '$1')"
           dir=$1 ;;
    esac
    shift
done
[ $# -eq 0 ] || die "unexpected argument '$1'"
[ -n "$dir" ] || { usage >&2; die "no package directory given"; }
[ -d "$dir" ] || die "'$dir' is not a directory"

for p in $skip; do
    case " $ALL_PKGS " in *" $p "*) ;; *) die "--skip $p: not one of: $ALL_PKGS" ;; esac
done

[ "$(id -u)" -eq 0 ] || [ "$dry_run" -eq 1 ] || die "must run as root (inside the container or chroot)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script is for Debian 12 (bookworm) containers"
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb not found"

arch=$(dpkg --print-architecture) || die "dpkg --print-architecture failed"
if [ -r /etc/os-release ]; then
    # shellcheck disable=SC1091
    os_id=$(. /etc/os-release && echo "${ID:-}:${VERSION_ID:-}")
    case $os_id in
        debian:12) ;;
        *) note "warning: built and tested for Debian 12; this system is '$os_id'" ;;
    esac
fi

# What to install, by role.
case $role in
    all) wanted=$ALL_PKGS ;;
    greengrass) wanted="se05x-pkcs11 se05x" ;;
    broker) wanted="se05xd"; java=0 ;;
esac
[ "$with_sim" -eq 0 ] || wanted="$wanted se05x-sim"
[ "$with_broker" -eq 0 ] || wanted="$wanted se05xd"

# Pick the .deb files of this architecture by their control fields (not by
# file name): package name -> file. Two files for one package are ambiguous.
found=""
for f in "$dir"/*.deb; do
    [ -e "$f" ] || break
    pkg=$(dpkg-deb --field "$f" Package) || die "$f: not a Debian package"
    parch=$(dpkg-deb --field "$f" Architecture) || die "$f: no Architecture field"
    [ "$parch" = "$arch" ] || [ "$parch" = all ] || continue
    case " $ALL_PKGS " in *" $pkg "*) ;; *) note "ignoring $f (package '$pkg' is not ours)"; continue ;; esac
    case " $found " in *" $pkg "*) die "two files for package '$pkg' ($arch) in $dir; keep one" ;; esac
    found="$found $pkg"
    eval "file_$(echo "$pkg" | tr -- '-' '_')=\$f"
done

[ -n "$(find "$dir" -maxdepth 1 -name '*.deb' -print -quit)" ] || die "no .deb files in $dir"

debs=""
names=""
for p in $wanted; do
    case " $skip " in *" $p "*) continue ;; esac
    case " $names " in *" $p "*) continue ;; esac   # listed twice (--with-*)
    var="file_$(echo "$p" | tr -- '-' '_')"
    eval "f=\${$var:-}"
    if [ -z "$f" ]; then
        # In --all mode a missing optional package is only reported; the module
        # and the CLI are never optional.
        if [ "$role" = all ] && [ "$p" != se05x-pkcs11 ] && [ "$p" != se05x ]; then
            note "no $p package for $arch in $dir; skipping it"
            continue
        fi
        die "no $p package for $arch in $dir (expected a file like ${p}_<version>_${arch}.deb)"
    fi
    case $f in /*|./*|../*) ;; *) f=./$f ;; esac   # apt-get needs a path, not a name
    debs="$debs $f"
    names="$names $p"
done
[ -n "$debs" ] || die "nothing to install"

# Greengrass nucleus (Java) prerequisites: a Java 8+ runtime, the CA store for
# the AWS endpoints, and the commands the nucleus runs (ps, kill, sudo to run
# components as ggc_user, useradd/groupadd for --component-default-user);
# unzip unpacks the nucleus installer.
extra=""
[ "$java" -eq 0 ] || extra="openjdk-17-jre-headless ca-certificates procps sudo passwd unzip"

note "architecture $arch; installing:$names${extra:+ + $extra}"
for f in $debs; do note "  $f"; done
[ "$dry_run" -eq 0 ] || exit 0

export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt_get() { apt-get -y -q ${APT_GET_OPTS:-} "$@"; }

# No service may start while packages are installed in an image or a chroot
# (se05xd must not start on a build machine or in a chroot; its postinst
# honours policy-rc.d through deb-systemd-invoke).
policy=/usr/sbin/policy-rc.d
own_policy=0
own_proc=0
cleanup() {
    [ "$own_policy" -eq 0 ] || rm -f "$policy"
    [ "$own_proc" -eq 0 ] || umount /proc 2>/dev/null || umount -l /proc 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    own_policy=1
fi
# The JRE's postinst runs java, which needs /proc. A container has it; a bare
# chroot may not: mount it for the duration (and only then).
if [ -n "$extra" ] && [ ! -e /proc/self/exe ]; then
    mount -t proc proc /proc 2>/dev/null ||
        die "/proc is not mounted and cannot be mounted here; the Java runtime cannot be installed without it (mount -t proc proc /proc, or use --no-java)"
    own_proc=1
fi

# The JRE's postinst registers man pages with update-alternatives; slim images
# exclude /usr/share/man, so the directory may be missing.
[ -z "$extra" ] || mkdir -p /usr/share/man/man1

apt_get update || die "apt-get update failed (network or sources.list?)"
# shellcheck disable=SC2086
apt_get install --no-install-recommends $debs $extra || die "apt-get install failed"

# Check the result: every requested package is installed and configured.
for p in $names; do
    s=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null) || s=missing
    [ "$s" = installed ] || die "package $p is '$s' after apt-get install"
done
if [ -n "$extra" ]; then
    command -v java >/dev/null 2>&1 || die "java is not on PATH after installing openjdk-17-jre-headless"
    java -version >/dev/null 2>&1 || die "java does not run (java -version failed)"
fi

apt_get clean
[ "$keep_lists" -eq 1 ] || rm -rf /var/lib/apt/lists/*

for p in $names; do
    note "installed $p $(dpkg-query -W -f '${Version}' "$p")"
done
