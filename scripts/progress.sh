# Sourced by scripts/install-deps.sh, run.sh and test.sh: timed steps with a heartbeat, so a
# long apt-get or build never leaves the console silent for more than ~30 s.
#   SX_TAG        prefix of every line, e.g. "[run]" (default "[sx]")
#   SX_HEARTBEAT  seconds between heartbeat lines (default 30)

sx_say() { printf '%s %s\n' "${SX_TAG:-[sx]}" "$*"; }

# sx_step LABEL LOG STATUS_FN CMD...
# Runs CMD with stdout+stderr into LOG, prints "LABEL …" at the start, a heartbeat
# "LABEL: <STATUS_FN LOG> (N s)" while it runs and "LABEL: done in N s" (or FAILED) at the end.
# STATUS_FN prints a short progress note read from LOG ("" = none); SX_DETAIL, when set, is added
# to the start line only. Returns CMD's status.
sx_step() {
  local label="$1" log="$2" status_fn="$3" start=$SECONDS rc=0 pid next note
  shift 3
  sx_say "$label${SX_DETAIL:+ ($SX_DETAIL)} …"
  "$@" >"$log" 2>&1 &
  pid=$!
  # Without job control a background command ignores SIGINT: Ctrl-C must still stop it.
  # shellcheck disable=SC2064  # the pid is meant to be expanded now
  trap "kill -TERM $pid 2>/dev/null; exit 130" INT TERM
  next=$((SECONDS + ${SX_HEARTBEAT:-30}))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ "$SECONDS" -ge "$next" ] && kill -0 "$pid" 2>/dev/null; then
      note="$("$status_fn" "$log" 2>/dev/null || true)"
      sx_say "$label: ${note:+$note, }$((SECONDS - start)) s"
      next=$((SECONDS + ${SX_HEARTBEAT:-30}))
    fi
  done
  wait "$pid" || rc=$?
  trap - INT TERM
  if [ "$rc" -eq 0 ]; then
    sx_say "$label: done in $((SECONDS - start)) s"
  else
    sx_say "$label: FAILED (exit $rc) after $((SECONDS - start)) s; log: $log"
  fi
  return "$rc"
}

sx_no_status() { :; }

# Ninja's last "[done/total]" line of a build log (non-tty ninja prints one line per edge).
sx_ninja_status() { grep -Eo '^\[[0-9]+/[0-9]+\]' "$1" | tail -n 1; }

# apt-get install -q progress: downloads, then dpkg's unpack and set-up lines
# (SX_APT_TOTAL: the number of packages apt-get is installing, when known).
sx_apt_status() {
  local got unpacked setup
  got="$(grep -c '^Get:' "$1" || true)"
  unpacked="$(grep -c '^Unpacking ' "$1" || true)"
  setup="$(grep -c '^Setting up ' "$1" || true)"
  # dpkg sets up a few packages (pre-dependencies) before it unpacks the rest: all three counts.
  echo "downloaded $got, unpacked $unpacked, set up $setup${SX_APT_TOTAL:+ of $SX_APT_TOTAL}"
}
