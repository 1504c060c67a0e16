#!/usr/bin/env bash
# check_hardening.sh DEB_DIR VERSION ARCH TRIPLET BUILD_DIR
# The hardening of Debian's `hardening=+all` on what the packages ship, as
# hardening-check (devscripts) would judge it, plus the two flags it cannot see:
#  - every packaged ELF (extracted from the .debs): PIE, BIND_NOW, a GNU_RELRO
#    segment, a non-executable stack, stack protector (__stack_chk_fail) and,
#    where the code calls fortifiable functions, FORTIFY (__*_chk);
#  - every product translation unit (src/ in BUILD_DIR/compile_commands.json)
#    compiled with -fstack-protector-strong, -D_FORTIFY_SOURCE=2,
#    -fstack-clash-protection (leaves no mark in the binary) and, on amd64,
#    -fcf-protection;
#  - amd64: every product object file carries the x86 IBT and SHSTK feature
#    property -fcf-protection writes. (Not the linked programs: Debian 12's own
#    crt1.o/crti.o lack the property, so the linker drops it from every program.)
# armhf has no -fcf-protection (GCC: "not supported for this target").
# Exit 77 when BUILD_DIR is not an optimised, unsanitized build (Debug builds go
# without FORTIFY by design, see CMakeLists.txt).
set -uo pipefail
[ $# -eq 5 ] || { echo "usage: check_hardening.sh DEB_DIR VERSION ARCH TRIPLET BUILD_DIR" >&2; exit 2; }
out="$1" version="$2" arch="$3" triplet="$4" build="$5"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }

cache="$build/CMakeCache.txt"
[ -f "$cache" ] || { echo "FAIL: $cache missing"; exit 1; }
btype="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache")"
sanitize="$(sed -n 's/^SX_SANITIZE:BOOL=//p' "$cache")"
case "$btype" in
  Release|RelWithDebInfo|MinSizeRel) ;;
  *) echo "SKIP: build type '$btype' is not optimised (no FORTIFY by design)"; exit 77 ;;
esac
case "$sanitize" in ON|on|1|TRUE|true|YES|yes) echo "SKIP: sanitizer build"; exit 77 ;; esac
command -v python3 >/dev/null || { echo "SKIP: python3 missing (reads compile_commands.json)"; exit 77; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== packaged ELF files"
declare -A elves=([se05x-pkcs11]="/usr/lib/$triplet/pkcs11/libse05x-pkcs11.so" [se05x]="/usr/bin/se05x"
                  [se05xd]="/usr/sbin/se05xd" [se05x-sim]="/usr/bin/se05x-sim /usr/bin/se05x-demo")
for pkg in se05x-pkcs11 se05x se05xd se05x-sim; do
  deb="$out/${pkg}_${version}_${arch}.deb"
  [ -f "$deb" ] || { fail "$deb missing"; continue; }
  dpkg-deb -x "$deb" "$work/$pkg"
  for e in ${elves[$pkg]}; do
    f="$work/$pkg$e"
    [ -f "$f" ] || { fail "$pkg: $e missing"; continue; }
    hdr="$(LC_ALL=C readelf -hW "$f")"; dyn="$(LC_ALL=C readelf -dW "$f")"
    seg="$(LC_ALL=C readelf -lW "$f")"; syms="$(LC_ALL=C readelf --dyn-syms -W "$f")"
    grep -q 'Type: *DYN' <<<"$hdr" && pass "$e: position independent (ET_DYN)" || fail "$e: not PIE/PIC (ET_DYN)"
    if [[ "$e" != *.so ]]; then
      grep -Eq 'FLAGS_1.*\bPIE\b' <<<"$dyn" && pass "$e: PIE" || fail "$e: no DF_1_PIE (not linked -pie)"
    fi
    grep -Eq '\(FLAGS\).*BIND_NOW|FLAGS_1.*\bNOW\b' <<<"$dyn" && pass "$e: BIND_NOW" || fail "$e: no BIND_NOW (-z now)"
    grep -q 'GNU_RELRO' <<<"$seg" && pass "$e: RELRO" || fail "$e: no GNU_RELRO segment (-z relro)"
    if grep -E 'GNU_STACK' <<<"$seg" | grep -q 'RWE'; then fail "$e: executable stack"; else pass "$e: stack not executable"; fi
    grep -q ' __stack_chk_fail' <<<"$syms" && pass "$e: stack protector" || fail "$e: no __stack_chk_fail (-fstack-protector-strong)"
    # Every product program reads files or formats text through fortifiable calls.
    chk="$(grep -Eo ' __[a-z0-9_]+_chk(@| |$)' <<<"$syms" | tr -d ' @' | sort -u | tr '\n' ' ')"
    [ -n "$chk" ] && pass "$e: FORTIFY ($chk)" || fail "$e: no __*_chk (-D_FORTIFY_SOURCE=2)"
  done
done

echo "== compile flags of the product sources ($arch)"
want="-fstack-protector-strong -D_FORTIFY_SOURCE=2 -fstack-clash-protection"
[ "$arch" = amd64 ] && want="$want -fcf-protection"
python3 - "$build/compile_commands.json" "$(cd "$(dirname "$0")/../.." && pwd)/src/" "$work/objects" $want <<'PY'
import json, shlex, sys, os
path, src, objs_out, want = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
try:
    entries = json.load(open(path))
except Exception as e:
    print(f"FAIL: {path}: {e}"); sys.exit(1)
bad, n, objs = {}, 0, []
# A unity build (the armhf and sanitizer trees) compiles BUILD/src/**/Unity/unity_N_cxx.cxx,
# each including several product sources: those are the product translation units there.
build_src = os.path.join(os.path.realpath(os.path.dirname(path)), "src") + os.sep
for e in entries:
    f = os.path.realpath(e["file"])
    unity = f.startswith(build_src) and os.sep + "Unity" + os.sep in f
    if not f.startswith(os.path.realpath(src)) and not unity:
        continue
    n += 1
    args = shlex.split(e["command"])
    for w in want:
        if not any(a == w or a.startswith(w + "=") for a in args):
            bad.setdefault(w, []).append(os.path.relpath(f, src))
    if "-o" in args:
        objs.append(os.path.join(e["directory"], args[args.index("-o") + 1]))
open(objs_out, "w").write("\n".join(objs) + "\n")
if n == 0:
    print("FAIL: no product sources in compile_commands.json"); sys.exit(1)
for w in want:
    if w in bad:
        print(f"FAIL: {len(bad[w])} of {n} product sources compiled without {w} (e.g. src/{bad[w][0]})")
    else:
        print(f"ok:   all {n} product sources compiled with {w}")
sys.exit(1 if bad else 0)
PY
[ $? -eq 0 ] || failures=$((failures + 1))

if [ "$arch" = amd64 ]; then
  echo "== x86 CET property of the product object files"
  nobj=0 nocet=0 first=""
  while read -r o; do
    [ -n "$o" ] || continue
    [ -f "$o" ] || continue   # a target the packages do not ship was not built
    nobj=$((nobj + 1))
    if ! LC_ALL=C readelf -nW "$o" | grep -Eq 'x86 feature: .*IBT.*SHSTK|x86 feature: .*SHSTK.*IBT'; then
      nocet=$((nocet + 1)); [ -n "$first" ] || first="$o"
    fi
  done <"$work/objects"
  if [ "$nobj" -eq 0 ]; then fail "no product object files found in $build"
  elif [ "$nocet" -ne 0 ]; then fail "$nocet of $nobj object files lack the IBT/SHSTK property (e.g. $first)"
  else pass "all $nobj product object files carry IBT and SHSTK"; fi
fi

echo
if [ "$failures" -ne 0 ]; then echo "check_hardening: $failures check(s) failed"; exit 1; fi
echo "check_hardening: all checks passed"
