#!/usr/bin/env bash
# check_unit_security.sh UNIT_FILE [MAX]
# systemd's own exposure score of the shipped broker unit (dist/systemd/se05xd.service):
# `systemd-analyze security --offline=true` reads the unit file itself (no running systemd,
# no installed unit needed) and rates each sandboxing setting. Prints the table and fails
# when the overall exposure is above MAX (default 2.5; 8.0 "EXPOSED" is an unsandboxed
# root service, under 3 is "OK"). Exit 77 (skipped) without a systemd-analyze that knows
# --offline (systemd >= 250).
set -uo pipefail
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: check_unit_security.sh UNIT_FILE [MAX]" >&2; exit 2; }
unit="$1" max="${2:-2.5}"
[ -f "$unit" ] || { echo "FAIL: $unit: no such file"; exit 1; }
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed"; exit 77; }
systemd-analyze security --help 2>/dev/null | grep -q -- '--offline' \
  || { echo "SKIP: this systemd-analyze has no --offline"; exit 77; }

# The file under its own name: the unit name is what systemd-analyze reports on.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$unit" "$work/se05xd.service"
# --threshold=100: never fail on systemd-analyze's own verdict, the score is judged here.
out="$(cd "$work" && SYSTEMD_COLORS=0 systemd-analyze security --offline=true --threshold=100 \
        --no-pager se05xd.service 2>&1)"
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 0 ] || { echo "FAIL: systemd-analyze security exited $rc"; exit 1; }
# systemd-analyze verifies the file too (unknown keys, bad values): those warnings must not hide.
if grep -Eq '(Unknown key|Failed to parse|Invalid|unknown)' <<<"$out"; then
  echo "FAIL: systemd-analyze reported problems in the unit file (above)"; exit 1
fi
score="$(sed -nE 's/.*Overall exposure level for se05xd\.service: ([0-9]+\.[0-9]+).*/\1/p' <<<"$out")"
[ -n "$score" ] || { echo "FAIL: no overall exposure level in the output"; exit 1; }
if awk -v s="$score" -v m="$max" 'BEGIN { exit !(s > m) }'; then
  echo "FAIL: se05xd.service exposure $score > $max"; exit 1
fi
echo "ok: se05xd.service exposure $score <= $max"
