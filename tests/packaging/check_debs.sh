#!/usr/bin/env bash
# check_debs.sh OUTDIR VERSION ARCH TRIPLET NATIVE(yes|no)
# Checks the four .debs scripts/package.sh left in OUTDIR against the fixed
# package layout of docs/packaging.md: control fields, exact file lists,
# permissions, conffiles, maintainer scripts, changelog/copyright, stripped
# ELF files of the right machine, and (native builds) that the module loads
# and accepts the shipped configuration file.
set -uo pipefail
[ $# -eq 5 ] || { echo "usage: check_debs.sh OUTDIR VERSION ARCH TRIPLET NATIVE" >&2; exit 2; }
out="$1" version="$2" arch="$3" triplet="$4" native="$5"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }
expect_eq() {  # what actual expected
  if [ "$2" = "$3" ]; then pass "$1 = '$3'"; else fail "$1: got '$2', expected '$3'"; fi
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

case "$arch" in
  amd64) machine="Advanced Micro Devices X86-64" ;;
  armhf) machine="ARM" ;;
  *) machine="" ;;
esac

declare -A section=([se05x-pkcs11]=libs [se05x]=utils [se05xd]=admin [se05x-sim]=devel)
declare -A files
files[se05x-pkcs11]="/etc/se05x-pkcs11.conf
/usr/lib/$triplet/pkcs11/libse05x-pkcs11.so
/usr/share/p11-kit/modules/se05x.module"
files[se05x]="/usr/bin/se05x
/usr/share/man/man1/se05x.1.gz"
files[se05xd]="/etc/se05xd.conf
/lib/systemd/system/se05xd.service
/lib/udev/rules.d/60-se05xd.rules
/usr/sbin/se05xd
/usr/share/man/man8/se05xd.8.gz"
files[se05x-sim]="/usr/bin/se05x-demo
/usr/bin/se05x-sim
/usr/share/man/man1/se05x-demo.1.gz
/usr/share/man/man1/se05x-sim.1.gz"
declare -A elves=([se05x-pkcs11]="/usr/lib/$triplet/pkcs11/libse05x-pkcs11.so" [se05x]="/usr/bin/se05x"
                  [se05xd]="/usr/sbin/se05xd" [se05x-sim]="/usr/bin/se05x-sim /usr/bin/se05x-demo")
declare -A conffiles=([se05x-pkcs11]="/etc/se05x-pkcs11.conf" [se05xd]="/etc/se05xd.conf")

# se05xd's maintainer scripts, the system group se05x that the shipped
# /etc/se05xd.conf admits, the group i2c (/dev/i2c-*, udev rule) and the system
# user se05xd the unit runs the broker as. The postinst is run with stub
# commands (PATH holds only the stubs, which log their calls), so nothing is
# really created:
#   absent, groupadd/useradd present -> groupadd se05x, i2c; useradd se05xd
#   present                          -> nothing (idempotent: upgrades, reinstalls)
#   absent, only addgroup (no passwd) -> addgroup se05x, i2c, then fails naming
#                                       the user (no adduser: lintian would
#                                       want a Depends on it)
#   absent, neither                  -> the postinst fails with a message
# The postrm never deletes the groups or the user (not even on purge).
check_group_scripts() {
  local deb="$1" ctl="$work/se05xd-ctl" stub="$work/stub" log="$work/stub.log" rc
  mkdir -p "$ctl" "$stub"
  dpkg-deb -e "$deb" "$ctl"
  run_postinst() {  # group-present(yes|no) tools...
    rm -f "$stub"/* "$log"
    local c
    for c in deb-systemd-helper deb-systemd-invoke systemctl "${@:2}"; do
      printf '#!/bin/sh\necho "%s $*" >>"%s"\nexit 0\n' "$c" "$log" >"$stub/$c"
    done
    if [ "$1" = yes ]; then
      printf '#!/bin/sh\necho "getent $*" >>"%s"\necho "se05x:x:998:"\n' "$log" >"$stub/getent"
    else
      printf '#!/bin/sh\necho "getent $*" >>"%s"\nexit 2\n' "$log" >"$stub/getent"
    fi
    chmod 755 "$stub"/*
    PATH="$stub" /bin/sh "$ctl/postinst" configure "" >"$work/postinst.out" 2>&1
  }
  calls() { grep -E '^(groupadd|addgroup|useradd|adduser)' "$log" 2>/dev/null | tr '\n' ';'; }
  run_postinst no groupadd addgroup useradd adduser; rc=$?
  expect_eq "se05xd postinst (no group se05x, i2c, user se05xd yet): exit status" "$rc" 0
  expect_eq "se05xd postinst (nothing yet) creates the groups and the user" "$(calls)" \
    "groupadd --system se05x;groupadd --system i2c;useradd --system --gid se05x --groups i2c --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --comment SE05x access broker se05xd;"
  run_postinst yes groupadd addgroup useradd adduser; rc=$?
  expect_eq "se05xd postinst (groups and user exist): exit status" "$rc" 0
  expect_eq "se05xd postinst (groups and user exist) leaves them alone" "$(calls)" ""
  run_postinst no addgroup; rc=$?
  expect_eq "se05xd postinst without passwd's tools creates the groups with addgroup" "$(calls)" \
    "addgroup --system --quiet se05x;addgroup --system --quiet i2c;"
  if [ "$rc" -ne 0 ] && grep -q 'create the system user se05xd' "$work/postinst.out"; then
    pass "se05xd postinst without useradd fails with a message"
  else
    fail "se05xd postinst without useradd: exit $rc, output '$(cat "$work/postinst.out")'"
  fi
  run_postinst no; rc=$?
  if [ "$rc" -ne 0 ] && grep -q 'create the group se05x' "$work/postinst.out"; then
    pass "se05xd postinst without groupadd/addgroup fails with a message"
  else
    fail "se05xd postinst without groupadd/addgroup: exit $rc, output '$(cat "$work/postinst.out")'"
  fi
  if grep -Eq '(groupdel|delgroup|userdel|deluser)' "$ctl/postrm" "$ctl/prerm"; then
    fail "se05xd removal scripts delete a group or user (se05x, i2c, se05xd must survive a purge)"
  else
    pass "se05xd removal scripts keep the groups and the user"
  fi
}

changelog_md5=""
for pkg in se05x-pkcs11 se05x se05xd se05x-sim; do
  deb="$out/${pkg}_${version}_${arch}.deb"
  echo "== $pkg"
  if [ ! -f "$deb" ]; then fail "$deb missing"; continue; fi
  field() { dpkg-deb -f "$deb" "$1"; }

  # Control fields.
  expect_eq "$pkg Package" "$(field Package)" "$pkg"
  expect_eq "$pkg Version" "$(field Version)" "$version"
  expect_eq "$pkg Architecture" "$(field Architecture)" "$arch"
  expect_eq "$pkg Section" "$(field Section)" "${section[$pkg]}"
  expect_eq "$pkg Priority" "$(field Priority)" "optional"
  expect_eq "$pkg Source" "$(field Source)" "se05x-pkcs11"
  for f in Maintainer Homepage; do
    [ -n "$(field $f)" ] && pass "$pkg $f set" || fail "$pkg $f empty"
  done
  desc_lines="$(field Description | wc -l)"
  [ "$desc_lines" -ge 3 ] && pass "$pkg Description has an extended part" || fail "$pkg Description too short"
  depends="$(field Depends)"
  # From dpkg-shlibdeps: every program links libc and libstdc++ dynamically.
  if [[ "$depends" == *"libc6 (>= "* && "$depends" == *"libstdc++6 (>= "* ]]; then
    pass "$pkg Depends: $depends"
  else
    fail "$pkg Depends lacks computed libc6/libstdc++6 versions: '$depends'"
  fi
  if [ "$pkg" = se05x-pkcs11 ] || [ "$pkg" = se05x ]; then
    [[ "$depends" == *"libssl3"* ]] && pass "$pkg depends on libssl3" || fail "$pkg: no libssl3 in Depends"
  fi
  if [ "$pkg" = se05x-pkcs11 ]; then
    expect_eq "$pkg Multi-Arch" "$(field Multi-Arch)" "same"
  else
    # Absent; dpkg-deb -f reports an absent Multi-Arch as its default, "no".
    ma="$(field Multi-Arch)"
    expect_eq "$pkg Multi-Arch" "${ma:-no}" "no"
  fi
  if [ "$pkg" = se05x ]; then
    expect_eq "$pkg Recommends" "$(field Recommends)" "se05x-pkcs11"
  fi

  # Data: exact list of non-directories, owners and modes of everything.
  listing="$(dpkg-deb -c "$deb")" || { fail "$pkg: dpkg-deb -c failed"; continue; }
  got="$(awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' <<<"$listing" | sort)"
  want="$(printf '%s\n/usr/share/doc/%s/changelog.gz\n/usr/share/doc/%s/copyright\n' "${files[$pkg]}" "$pkg" "$pkg" | sort)"
  expect_eq "$pkg file list" "$(tr '\n' ' ' <<<"$got")" "$(tr '\n' ' ' <<<"$want")"
  bad_owner="$(awk '$2 != "root/root"' <<<"$listing")"
  [ -z "$bad_owner" ] && pass "$pkg: all entries root/root" || fail "$pkg: entries not owned by root: $bad_owner"
  bad_dirs="$(awk '$1 ~ /^d/ && $1 != "drwxr-xr-x"' <<<"$listing")"
  [ -z "$bad_dirs" ] && pass "$pkg: directories 0755" || fail "$pkg: directories not 0755: $bad_dirs"
  bad_files="$(awk '$1 !~ /^d/ { p = $6; sub(/^\./, "", p)
                   x = (p ~ /^\/usr\/s?bin\//) ? "-rwxr-xr-x" : "-rw-r--r--"
                   if ($1 != x) print $1, p }' <<<"$listing")"
  [ -z "$bad_files" ] && pass "$pkg: file modes 0755 (programs) / 0644" || fail "$pkg: wrong file modes: $bad_files"

  # Control archive: md5sums, conffiles, maintainer scripts with strict modes.
  ctrl="$(dpkg-deb --ctrl-tarfile "$deb" | tar -tvf -)"
  grep -q ' ./md5sums$' <<<"$ctrl" && pass "$pkg: md5sums" || fail "$pkg: no md5sums"
  expect_eq "$pkg conffiles" "$(dpkg-deb -I "$deb" conffiles 2>/dev/null)" "${conffiles[$pkg]:-}"
  scripts="$(awk '$6 ~ /^\.\/(pre|post)(inst|rm)$/ { print $1, $6 }' <<<"$ctrl" | sort | tr '\n' ' ')"
  if [ "$pkg" = se05xd ]; then
    expect_eq "$pkg maintainer scripts" "$scripts" "-rwxr-xr-x ./postinst -rwxr-xr-x ./postrm -rwxr-xr-x ./prerm "
    dpkg-deb -I "$deb" postinst | grep -q "deb-systemd-helper enable 'se05xd.service'" \
      && pass "$pkg postinst enables the unit" || fail "$pkg postinst does not enable se05xd.service"
    dpkg-deb -I "$deb" postinst | grep -q 'if \[ -d /run/systemd/system \]' \
      && pass "$pkg postinst starts only under systemd" || fail "$pkg postinst: start not guarded"
    check_group_scripts "$deb"
  else
    expect_eq "$pkg maintainer scripts" "$scripts" ""
  fi
  bad_ctrl="$(awk '$6 !~ /^\.\/((pre|post)(inst|rm))?$/ && $1 != "-rw-r--r--" { print $1, $6 }' <<<"$ctrl")"
  [ -z "$bad_ctrl" ] && pass "$pkg: control files 0644" || fail "$pkg: control file modes: $bad_ctrl"

  # Payload.
  root="$work/$pkg"
  mkdir -p "$root"
  dpkg-deb -x "$deb" "$root"
  doc="$root/usr/share/doc/$pkg"
  head -n1 "$doc/copyright" | grep -q '^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
    && pass "$pkg: DEP-5 copyright" || fail "$pkg: copyright is not DEP-5"
  top="$(gzip -dc "$doc/changelog.gz" | head -n1)"
  expect_eq "$pkg changelog top" "$top" "se05x-pkcs11 ($version) unstable; urgency=medium"
  md5="$(md5sum < "$doc/changelog.gz")"
  if [ -z "$changelog_md5" ]; then changelog_md5="$md5"
  else expect_eq "$pkg changelog.gz identical across packages" "$md5" "$changelog_md5"; fi
  for e in ${elves[$pkg]}; do
    hdr="$(LC_ALL=C readelf -h "$root$e" 2>/dev/null)" || { fail "$pkg: $e is not ELF"; continue; }
    m="$(sed -n 's/^ *Machine: *//p' <<<"$hdr")"
    [ -z "$machine" ] || expect_eq "$pkg $e machine" "$m" "$machine"
    if LC_ALL=C readelf -S "$root$e" | grep -qE '\.symtab|\.debug_'; then
      fail "$pkg: $e is not stripped"
    else
      pass "$pkg: $e stripped"
    fi
  done
done

# The module accepts the configuration file as shipped (all comments), the same
# file with every setting uncommented (the documented defaults are valid
# values), and rejects a bad key (so this check can fail).
echo "== configuration"
# The unit runs the broker as the user the postinst creates, in the groups that
# own the socket (se05x) and the I2C bus (i2c, given by the shipped udev rule).
unit="$work/se05xd/lib/systemd/system/se05xd.service"
rules="$work/se05xd/lib/udev/rules.d/60-se05xd.rules"
if [ -f "$unit" ]; then
  for want in 'User=se05xd' 'Group=se05x' 'SupplementaryGroups=i2c' 'CapabilityBoundingSet=' 'NoNewPrivileges=yes'; do
    grep -qx "$want" "$unit" && pass "se05xd.service: $want" || fail "se05xd.service lacks the line $want"
  done
fi
if [ -f "$rules" ]; then
  grep -Eq '^SUBSYSTEM=="i2c-dev",.*GROUP="i2c", MODE="0660"' "$rules" \
    && pass "60-se05xd.rules gives /dev/i2c-* to the group i2c" || fail "60-se05xd.rules: no i2c-dev GROUP=\"i2c\" rule"
fi
# se05xd as shipped admits root and the group se05x (created by its postinst).
bconf="$work/se05xd/etc/se05xd.conf"
if [ -f "$bconf" ]; then
  for want in '"socket_mode": "0660"' '"socket_group": "se05x"' '"allow_uids": [0]' '"allow_gids": ["se05x"]'; do
    grep -qF "  $want," "$bconf" && pass "shipped se05xd.conf: $want" || fail "shipped se05xd.conf lacks the active line $want"
  done
fi
module="$work/se05x-pkcs11/usr/lib/$triplet/pkcs11/libse05x-pkcs11.so"
conf="$work/se05x-pkcs11/etc/se05x-pkcs11.conf"
if [ -f "$conf" ]; then
  if grep -vE '^(#.*)?$' "$conf" >/dev/null; then fail "shipped se05x-pkcs11.conf has active lines"
  else pass "shipped se05x-pkcs11.conf: comments only"; fi
  for key in port token_label log_level log_target lock_file pin_iterations verify_signatures freshness_ms; do
    grep -qE "^#$key = " "$conf" && pass "conf documents $key" || fail "conf lacks '#$key = <default>'"
  done
  sed -E 's/^#([a-z_]+ = )/\1/' "$conf" > "$work/uncommented.conf"
  printf 'bogus_key = 1\n' > "$work/bad.conf"
fi
if [ "$native" != yes ]; then
  echo "skip: loading the module (cross build; covered by the armhf packaged tests)"
elif ! command -v pkcs11-tool >/dev/null; then
  echo "skip: loading the module (pkcs11-tool not installed)"
elif [ -f "$module" ] && [ -f "$conf" ]; then
  # pkcs11-tool -I exits non-zero without a token (no chip here): judge by its
  # output. "Cryptoki version" = C_Initialize and C_GetInfo succeeded.
  load() {
    env -u SE05X_PORT SE05X_PKCS11_CONF="$1" timeout 60 pkcs11-tool --module "$module" -I >"$work/load.log" 2>&1
    grep -q '^Cryptoki version' "$work/load.log" && ! grep -q 'C_Initialize failed' "$work/load.log"
  }
  if load "$conf"; then
    pass "module loads with the shipped configuration"
  else
    fail "module does not load with the shipped configuration: $(cat "$work/load.log")"
  fi
  load "$work/uncommented.conf" && pass "module accepts every documented default" \
    || fail "module rejects the uncommented defaults: $(cat "$work/load.log")"
  if load "$work/bad.conf"; then fail "module accepted an unknown key"; else pass "module rejects an unknown key"; fi
fi

echo
if [ "$failures" -ne 0 ]; then
  echo "check_debs: $failures check(s) failed"
  exit 1
fi
echo "check_debs: all checks passed"
