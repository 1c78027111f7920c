#!/usr/bin/env bash
# The differential suite: each program in py/differential/scenarios runs under
# ipckit==0.1.12 (PyPI, in the conformance suite's cached venv) and under our
# wheel, each in its own processes; compare.py compares their results, and a
# difference fails unless deliberate.txt lists it with a reason.
# Ends with "differential: N passed, N failed".
#
#   py/differential/run_tests.sh
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$REPO/py/differential"
PYTHON="${PYTHON:-python3}"

# Says which step failed, with the end of its output, then the summary line.
fail_setup() {
  echo "differential: $1"
  [[ -n "${2:-}" && -s "$2" ]] && tail -n 20 "$2"
  echo "differential: 0 passed, 1 failed"
  summarized=1
  exit 1
}

cd "$REPO"
work="$(mktemp -d "${TMPDIR:-/tmp}/ipckit-differential.XXXXXX")"
server_pid=""
summarized=""
cleanup() {
  local status=$?
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null
  # Ending without a summary line is a failure that must say where it stopped.
  [[ -z "$summarized" ]] && echo "differential: stopped early (status $status) in ${scenario:-setup}"
  rm -rf "$work"
}
trap cleanup EXIT

bazel build //py:wheel >"$work/setup.log" 2>&1 || fail_setup "bazel build //py:wheel failed" "$work/setup.log"
bin="$(bazel info bazel-bin 2>/dev/null)"
wheels=("$bin"/py/ipckit-*.whl)
[[ ${#wheels[@]} -eq 1 && -f "${wheels[0]}" ]] || fail_setup "expected one wheel in $bin/py, found: ${wheels[*]}"

{ "$PYTHON" -m venv "$work/ours" && "$work/ours/bin/python" -m pip install --quiet --no-deps "${wheels[0]}"; } \
  >"$work/setup.log" 2>&1 || fail_setup "could not install our wheel" "$work/setup.log"
venv01="$("$REPO/conformance/ipckit01_venv.sh" 2>"$work/setup.log")" \
  || fail_setup "could not make the ipckit 0.1.12 venv" "$work/setup.log"

# start_api_server: ours (0.1.12 has no Python server), fresh for each client
# run, in its own process; it serves until its stdin closes.
start_api_server() {
  sock="$work/api.$1.sock"
  # The output file exists before tail follows it: the server's own
  # redirections wait for the FIFO's writer below, so tail could otherwise
  # start first, find no file and give up (a failed run, seen twice).
  : >"$work/server_out.$1"
  "$work/ours/bin/python" "$HERE/api_server_host.py" "$sock" <"$work/server_in.$1" >>"$work/server_out.$1" 2>&1 &
  server_pid=$!
  exec 9>"$work/server_in.$1"
  # Waits for the server's own "ready" line (printed after the bind), not for
  # time; tail ends with the server.
  read -r -t 60 line < <(tail -f --pid="$server_pid" "$work/server_out.$1" | grep -m1 ready) || true
  grep -q ready "$work/server_out.$1" || fail_setup "API server did not start: $(cat "$work/server_out.$1")"
}
stop_api_server() { exec 9>&-; wait "$server_pid" 2>/dev/null; server_pid=""; }

passed=0
failed=0
for program in "$HERE"/scenarios/[a-z]*.py; do
  scenario="$(basename "$program" .py)"
  for impl in ours ipckit01; do
    python="$work/ours/bin/python"; [[ "$impl" == ipckit01 ]] && python="$venv01/bin/python"
    args=()
    if [[ "$scenario" == "api_client" ]]; then mkfifo "$work/server_in.$impl"; start_api_server "$impl"; args=("$sock"); fi
    (cd "$work" && timeout 120 "$python" "$program" "${args[@]}" >"$work/$scenario.$impl.json" 2>"$work/$scenario.$impl.err")
    echo "exit=$?" >>"$work/$scenario.$impl.err"
    [[ -n "$server_pid" ]] && stop_api_server
  done
  if out="$("$PYTHON" "$HERE/compare.py" "$scenario" "$work/$scenario.ours.json" \
             "$work/$scenario.ipckit01.json" "$HERE/deliberate.txt")"; then
    echo "PASS $scenario"; passed=$((passed + 1))
  else
    echo "FAIL $scenario"; failed=$((failed + 1))
    tail -n 5 "$work/$scenario.ours.err" "$work/$scenario.ipckit01.err"
  fi
  [[ -n "$out" ]] && echo "$out"
done
echo "differential: $passed passed, $failed failed"
summarized=1
[[ $failed -eq 0 ]]
