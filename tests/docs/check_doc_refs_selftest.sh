#!/usr/bin/env bash
# Runs check_doc_refs.sh on made-up trees: one that is correct (must pass) and one per kind of
# bad reference (each must fail), so a check that silently stopped checking is noticed.
set -uo pipefail
CHECK="$(cd "$(dirname "$0")" && pwd)/check_doc_refs.sh"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
failures=0

tree() {  # name, then the text of src/x.cpp
  local d="$WORK/$1"
  mkdir -p "$d/src" "$d/docs"
  printf '# Doc\n## 1. One\n### 1.2 Two\n#### 4.6.9 Sign\n## 9a. Odd\n## Appendix A. Transcript\n' \
    >"$d/docs/proto.md"
  printf 'See [proto](proto.md).\n' >"$d/docs/other.md"
  printf '%s\n' "$2" >"$d/src/x.cpp"
  echo "$d"
}
expect() {  # pass|fail, name, text
  local d out rc
  d="$(tree "$2" "$3")"
  out="$(bash "$CHECK" "$d" 2>&1)"
  rc=$?
  if { [ "$1" = pass ] && [ $rc -ne 0 ]; } || { [ "$1" = fail ] && [ $rc -ne 1 ]; }; then
    echo "FAIL: expected $1 for $2 (rc=$rc): $out"
    failures=$((failures + 1))
  else
    echo "ok: $2 -> $1"
  fi
}

expect pass good '// docs/proto.md §1.2, §4.6.9 and §9a; docs/proto.md §1-§1.2; docs/proto.md Appendix A and §1.'
expect fail missing-section '// (docs/proto.md §4.6.10)'
expect fail missing-in-list '// docs/proto.md §1.2, §1.3'
expect fail missing-appendix '// docs/proto.md Appendix B'
expect fail missing-doc '// see docs/nothing.md'
expect fail protocol-notes '// (protocol notes 4.2)'
expect fail shared-path '// /work/shared/docs/se05x-protocol.md'
expect fail shared-relative '// ../shared/docs/se05x-protocol.md section 4'
d="$(tree broken-link '// fine')"
printf 'See [gone](gone.md).\n' >"$d/docs/other.md"
if bash "$CHECK" "$d" >/dev/null 2>&1; then echo "FAIL: a broken Markdown link passed"; failures=$((failures + 1)); else echo "ok: broken-link -> fail"; fi

[ $failures -eq 0 ]
