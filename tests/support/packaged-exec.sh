#!/usr/bin/env bash
# packaged-exec.sh ROOT EMULATOR... -- PROGRAM ARGS...
# The SX_TEST_EXEC_WRAPPER of the packaged test suites (tests/packaging/packaged_armhf.cmake):
#  - an ARM ELF PROGRAM runs under the emulator (qemu-user: no binfmt_misc here), anything
#    else (a shell, a host tool) runs as it is;
#  - a product program (se05x, se05x-sim, se05xd, se05x-demo) must come from the packages
#    unpacked under ROOT: a test that bypassed SX_TEST_SIM/SX_TEST_CLI/SX_TEST_BROKER and
#    started the build tree's copy would otherwise pass while testing the wrong file.
root="${1:?usage: packaged-exec.sh ROOT EMULATOR... -- PROGRAM ARGS...}"
shift
emu=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do emu+=("$1"); shift; done
[ $# -ge 2 ] || { echo "packaged-exec: usage: packaged-exec.sh ROOT EMULATOR... -- PROGRAM ARGS..." >&2; exit 126; }
shift
prog="$1"
case "${prog##*/}" in
  se05x|se05x-sim|se05xd|se05x-demo)
    case "$prog" in
      "$root"/*) ;;
      *) echo "packaged-exec: refusing '$prog': not the packaged file under $root" >&2; exit 126 ;;
    esac ;;
esac
# ELF magic, then e_machine (bytes 18-19, little endian) 0x28 = ARM.
if [ "$(od -An -tx1 -N4 "$prog" 2>/dev/null | tr -d ' \n')" = 7f454c46 ] &&
   [ "$(od -An -tx1 -j18 -N2 "$prog" 2>/dev/null | tr -d ' \n')" = 2800 ]; then
  exec "${emu[@]}" "$@"
fi
exec "$@"
