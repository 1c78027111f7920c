#!/usr/bin/env bash
# Installs what is missing, then runs every test: C++ (bazel test //...), the
# Bazel consumer example, Python, JS, conformance, the C++ tests under
# ASan+UBSan and TSan, and a fuzz smoke run. Ends with one summary
# line "ipckit: N passed, N failed" counting individual tests.
# Usage: tools/test.sh            (.ci/run calls exactly this)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

tools/setup.sh || { echo "ipckit: setup failed"; echo "ipckit: 0 passed, 1 failed"; exit 1; }

logdir="$(mktemp -d "${TMPDIR:-/tmp}/ipckit-test.XXXXXX")"
total_passed=0
total_failed=0
summary=()
failed_logs=()

# Extracts "passed failed" counts from a suite's log, by the runner's own words.
count_bazel() {
  local pass fail
  pass=$(grep -cE '^//.*[[:space:]]PASSED' "$1")
  fail=$(grep -cE '^//.*[[:space:]](FAILED|TIMEOUT|NO STATUS|FLAKY)' "$1")
  echo "$pass $fail"
}
count_plain() {
  # Reads the last "N passed[, M failed]" line: pytest's and the conformance runner's.
  local line p f
  line=$(grep -E '[0-9]+ passed' "$1" | tail -n 1)
  p=$(grep -oE '[0-9]+ passed' <<<"$line" | awk '{print $1}')
  f=$(grep -oE '[0-9]+ failed' <<<"$line" | awk '{print $1}')
  echo "${p:-0} ${f:-0}"
}
count_node() {
  local p f
  p=$(grep -E '^# pass [0-9]+' "$1" | tail -n 1 | awk '{print $3}')
  f=$(grep -E '^# fail [0-9]+' "$1" | tail -n 1 | awk '{print $3}')
  echo "${p:-0} ${f:-0}"
}

# run_suite NAME COUNTER COMMAND...: runs a suite, tees its log, tallies it.
run_suite() {
  local name="$1" counter="$2"; shift 2
  local log="$logdir/${name// /_}.log" rc p f started=$SECONDS
  echo
  echo "==> $name: $*"
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  read -r p f < <("$counter" "$log")
  # A suite that exits non-zero or runs nothing counts as a failure.
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
  [ "$f" -gt 0 ] && failed_logs+=("$log")
  summary+=("$(printf '%-28s exit %-3s %5s passed %4s failed %6ss' "$name" "$rc" "$p" "$f" "$((SECONDS - started))")")
}

# --nocache_test_results: a second run of this command runs every test again
# (it exists to catch flaky ones), while builds stay cached.
run_suite "C++ bazel test" count_bazel bazel test //... --test_summary=short --nocache_test_results
run_suite "Bazel consumer example" count_bazel examples/bazel_consumer/run.sh
if [ -x py/run_tests.sh ]; then
  run_suite "Python" count_plain py/run_tests.sh
fi
if [ -x js/run_tests.sh ]; then
  run_suite "JS" count_node js/run_tests.sh
fi
if [ -x conformance/run_tests.sh ]; then
  run_suite "Conformance" count_plain conformance/run_tests.sh
fi
run_suite "Python vs ipckit 0.1.12" count_plain py/differential/run_tests.sh

# Sanitizers and fuzzing, each config in its own Bazel output base
# (tools/sanitizer_bazel.sh) so the default build cache stays warm.
# ASan+UBSan: every C++ test except those tagged no_asan. TSan: the tests
# tagged tsan, which run threads inside one process. Fuzz: each harness in
# fuzz/ for a few seconds on its seed corpus, so none can rot.
source tools/sanitizer_bazel.sh
run_suite "C++ ASan+UBSan" count_bazel sanitizer_bazel asan test -k --config=asan //cc/... \
  --test_env=UBSAN_OPTIONS="$IPCKIT_UBSAN_OPTIONS" --test_summary=short --nocache_test_results
run_suite "C++ TSan" count_bazel sanitizer_bazel tsan test -k --config=tsan //cc/... \
  --test_env=TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" --test_summary=short --nocache_test_results
# Windows: the core cross-compiled with mingw-w64, its tests run under Wine
# (its own output base too).
run_suite "C++ under Wine (mingw)" count_bazel tools/wine_test.sh
# The conformance suite against the Windows testee under Wine, with the Linux
# C++ testee on a shared FileChannel directory.
run_suite "Conformance under Wine" count_plain conformance/run_tests.sh --windows
run_suite "CLI under Wine" count_plain cc/cli/cli_wine_test.sh
run_suite "Fuzz smoke" count_plain tools/fuzz.sh 5

# A failed suite's last lines go just above the summary: CI keeps only the
# head and the tail of this output, and the middle is where a suite fails.
for log in "${failed_logs[@]}"; do
  echo
  echo "==> last lines of $(basename "$log")"
  tail -n 25 "$log"
done

echo
echo "==> summary (logs in $logdir)"
printf '%s\n' "${summary[@]}"
echo "ipckit: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
