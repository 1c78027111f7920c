#!/usr/bin/env bash
# A FileChannel directory shared by a Windows process under Wine and a Linux
# process (spec/windows.md, "Across Wine and Linux"):
#   1. Wine backend, Linux frontend: event, request/response and events back;
#   2. Linux backend, Wine frontend: the same; and both under Wine;
#   3. the files each side wrote are format-1 channel files with no 0.1 lock
#      file or temp file left behind;
#   4. the channel lock (.lock) held on one system makes the other wait, both
#      ways: flock alone is invisible to Wine's LockFileEx, so this fails
#      without the OFD lock file_ops.cc takes beside it.
#
#   cross_system_test.sh <linux cross_peer>      (IPCKIT_CROSS_PEER_EXE: the .exe)
#
# Run by tools/wine_test.sh, which builds the .exe and starts the wineserver.
# Every wait for the other side is for a line it prints, bounded by 60 s.
set -euo pipefail

linux_peer="$1"
exe="${IPCKIT_CROSS_PEER_EXE:?IPCKIT_CROSS_PEER_EXE must name the Windows build of cross_peer}"
export WINEDEBUG=-all
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

win() { wine "$exe" "$@"; }
# The Wine view of a Linux path (drive Z: is /).
winpath() { printf 'Z:%s' "$1"; }

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# wait_line FILE TEXT: until FILE has the line TEXT (60 s at most).
wait_line() {
  local i
  for i in $(seq 1 1200); do
    # (Windows programs end lines with CR LF.)
    tr -d '\r' <"$1" 2>/dev/null | grep -qx "$2" && return 0
    sleep 0.05
  done
  echo "no line '$2' in $1 after 60 s:"; cat "$1"; return 1
}

# wait_exit PID: its exit status once it exits (60 s at most, then it is
# killed and this fails).
wait_exit() {
  local i
  for i in $(seq 1 1200); do
    kill -0 "$1" 2>/dev/null || { wait "$1"; return; }
    sleep 0.05
  done
  echo "process $1 still running after 60 s"; kill "$1"; return 1
}

expected() {
  printf '%s\n' "response $1" "event pong $1" "event tick $1" 'response "bye"'
}

# exchange NAME BACKEND-SYSTEM FRONTEND-SYSTEM PAYLOAD
exchange() {
  local name="$1" backend="$2" frontend="$3" payload="$4" dir="$tmp/$1" before=$failures
  mkdir -p "$dir"
  local bdir="$dir" fdir="$dir"
  [ "$backend" = wine ] && bdir="$(winpath "$dir")"
  [ "$frontend" = wine ] && fdir="$(winpath "$dir")"
  if [ "$backend" = wine ]; then win serve "$bdir" >"$tmp/$name.backend" 2>&1 &
  else "$linux_peer" serve "$bdir" >"$tmp/$name.backend" 2>&1 & fi
  local bpid=$!; pids+=("$bpid")
  wait_line "$tmp/$name.backend" ready || { fail "$name: backend not ready"; return; }
  local got status=0
  if [ "$frontend" = wine ]; then got="$(win call "$fdir" "$payload" 2>&1)" || status=$?
  else got="$("$linux_peer" call "$fdir" "$payload" 2>&1)" || status=$?; fi
  got="$(tr -d '\r' <<<"$got")"
  if [ "$got" != "$(expected "$payload")" ]; then
    fail "$name: frontend (exit status $status) saw:"; echo "$got"; echo "expected:"; expected "$payload"
    echo "backend's output:"; cat "$tmp/$name.backend"
  fi
  if ! wait_exit "$bpid"; then fail "$name: backend failed:"; cat "$tmp/$name.backend"; fi
  # The files: format 1 as file_channel.md gives it, nothing left over.
  python3 - "$dir" <<'PY' || fail "$name: channel files"
import json, os, sys
d = sys.argv[1]
for f, types in (("frontend_to_backend.json", ["event", "request", "request"]),
                 ("backend_to_frontend.json", ["event", "event", "response", "response"])):
    doc = json.load(open(os.path.join(d, f), encoding="utf-8"))
    got = [m["type"] for m in doc]  # a channel file is a JSON array of messages
    assert got == types, (f, got)
left = [n for n in os.listdir(d) if n in ("frontend_to_backend.lock", "backend_to_frontend.lock") or ".tmp-" in n]
assert not left, left
PY
  [ "$failures" -eq "$before" ] && echo "ok: $name ($backend backend, $frontend frontend)"
  return 0
}

exchange wine_backend wine linux '{"from":"linux","n":1}'
exchange linux_backend linux wine '{"from":"wine","n":2}'
exchange wine_only wine wine '{"from":"wine","n":3}'  # two Windows processes

# lock_check NAME HOLDER-SYSTEM: the other system's try-lock is busy while the
# holder holds .lock, and granted once it lets go.
lock_check() {
  local name="$1" holder="$2" dir="$tmp/$1" before=$failures
  mkdir -p "$dir"
  if [ "$holder" = wine ]; then win hold-lock "$(winpath "$dir")" >"$tmp/$name.out" 2>&1 &
  else "$linux_peer" hold-lock "$dir" >"$tmp/$name.out" 2>&1 & fi
  local hpid=$!; pids+=("$hpid")
  wait_line "$tmp/$name.out" locked || { fail "$name: holder never locked"; return 0; }
  local other
  if [ "$holder" = wine ]; then other="$("$linux_peer" try-lock "$dir" 300 2>&1)"
  else other="$(win try-lock "$(winpath "$dir")" 300 2>&1 | tr -d '\r')"; fi
  [ "$other" = busy ] || { fail "$name: while the $holder side held .lock the other side got: $other"; cat "$tmp/$name.out"; }
  : >"$dir/release"  # the holder exits and its lock goes with it
  wait_exit "$hpid" || { fail "$name: holder failed"; cat "$tmp/$name.out"; }
  if [ "$holder" = wine ]; then other="$("$linux_peer" try-lock "$dir" 5000 2>&1)"
  else other="$(win try-lock "$(winpath "$dir")" 5000 2>&1 | tr -d '\r')"; fi
  [ "$other" = locked ] || fail "$name: after release the other side got: $other"
  [ "$failures" -eq "$before" ] && echo "ok: $name ($holder holds, the other side waits)"
  return 0
}

lock_check linux_holds linux
lock_check wine_holds wine

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "all cross-system checks passed"
