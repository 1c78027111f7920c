#!/usr/bin/env bash
# The conformance suite, end to end: builds the testees' implementations with
# Bazel (the C++ testee, our Python wheel, the JS package's WASM core), makes
# the venvs (ours, and one with the original ipckit 0.1.12 from PyPI, cached),
# runs conformance/tester.py against each testee and then the live matrix,
# and ends with one line "conformance: N passed, N failed".
#
#   conformance/run_tests.sh            # from any directory; exit 0 iff nothing failed
#   KEEP_LOGS=1 conformance/run_tests.sh   # keep the per-run work directory
#   conformance/run_tests.sh --windows  # the C++ testee built for Windows, under Wine
#   MATRIX_ARGS="--only live/channel_close/* --repeat 100" conformance/run_tests.sh --windows
#                                        # extra tester.py options for the live matrix
#
# --windows builds //conformance/cc:testee with --config=mingw in the output
# base tools/wine_test.sh uses, runs its vectors as the testee "windows"
# (failure_list_windows.txt), then the live matrix of it and the Linux C++
# testee: Windows pairs on every role it plays, and Windows with Linux on a
# shared FileChannel directory (other cross-OS cells are n/a: tester.py).
#
# Caches (venvs) live in ${XDG_CACHE_HOME:-~/.cache}/ipckit-conformance.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONF="$REPO/conformance"
PYTHON="${PYTHON:-python3}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/ipckit-conformance"
# No extra flags: every //cc target the testees and the wheel use is public.
BAZEL_FLAGS=()

mkdir -p "$CACHE"
work="$(mktemp -d "${TMPDIR:-/tmp}/ipckit-conformance.XXXXXX")"
cleanup() { if [[ -z "${KEEP_LOGS:-}" ]]; then rm -rf "$work"; else echo "logs kept in $work"; fi; }
trap cleanup EXIT

cd "$REPO"

# Commands as the tester splits them (shell words): paths are quoted.
q() { printf '%q' "$1"; }
declare -A TESTEE

if [[ "${1:-}" == "--windows" ]]; then
  echo "== bazel build --config=mingw //conformance/cc:testee; bazel build //conformance/cc:testee"
  source "$REPO/tools/sanitizer_bazel.sh"
  source "$REPO/tools/wine_env.sh"
  if ! sanitizer_bazel mingw build --config=mingw //conformance/cc:testee >"$work/bazel.log" 2>&1 ||
     ! bazel build "${BAZEL_FLAGS[@]}" //conformance/cc:testee >>"$work/bazel.log" 2>&1; then
    tail -n 60 "$work/bazel.log"
    echo "run_tests.sh: bazel build failed"
    echo "conformance: 0 passed, 1 failed"
    exit 1
  fi
  cp "$(sanitizer_bazel mingw info --config=mingw bazel-bin 2>/dev/null)/conformance/cc/testee.exe" "$work/testee.exe"
  cp "$(bazel info "${BAZEL_FLAGS[@]}" bazel-bin 2>/dev/null)/conformance/cc/testee" "$work/cc_testee"
  wine_env_start run_tests.sh
  trap 'wine_env_stop; cleanup' EXIT
  export WINEDEBUG=-all
  TESTEE=([windows]="wine $(q "$work/testee.exe")" [cc]="$(q "$work/cc_testee")")
  ORDER=(windows)
  MATRIX=(windows cc)
else
# ---------------------------------------------------------------- builds
echo "== bazel build //conformance/cc:testee //py:wheel //js:ipckit_core"
if ! bazel build "${BAZEL_FLAGS[@]}" //conformance/cc:testee //py:wheel //js:ipckit_core >"$work/bazel.log" 2>&1; then
  tail -n 60 "$work/bazel.log"
  echo "run_tests.sh: bazel build failed"
  echo "conformance: 0 passed, 1 failed"
  exit 1
fi
# Not the bazel-bin symlink: it follows whichever configuration built last.
bin="$(bazel info "${BAZEL_FLAGS[@]}" bazel-bin 2>/dev/null)"

# Private copies, so that a concurrent rebuild cannot change them mid-run.
cp "$bin/conformance/cc/testee" "$work/cc_testee"

wheels=("$bin"/py/ipckit-*.whl)
if [[ ${#wheels[@]} -ne 1 || ! -f "${wheels[0]}" ]]; then
  echo "run_tests.sh: expected exactly one wheel in $bin/py, found: ${wheels[*]}"
  exit 1
fi
# The wheel goes into this run's own directory, not into the cached venv:
# runs from two checkouts (or two runs of one) at once reinstalled each
# other's package under a starting testee, which then failed its import.
# PYTHONPATH comes before the venv's site-packages.
venv_py="$CACHE/venv-py"
[[ -x "$venv_py/bin/python" ]] || "$PYTHON" -m venv "$venv_py"
"$venv_py/bin/python" -m pip install --quiet --no-deps --target "$work/py-site" "${wheels[0]}"

# The package layout js/scripts/build.mjs makes for ESM (dist/esm = src,
# dist/wasm = the Bazel-built core), assembled here instead of in js/dist,
# which belongs to the JS package's own build.
js_dist="$work/js-dist"
mkdir -p "$js_dist/wasm"
cp -r "$REPO/js/src" "$js_dist/esm"
cp "$bin/js/ipckit_core.mjs" "$js_dist/wasm/"

venv01="$("$CONF/ipckit01_venv.sh")"

TESTEE=(
  [cc]="$(q "$work/cc_testee")"
  [py]="env PYTHONPATH=$(q "$work/py-site") $(q "$venv_py/bin/python") $(q "$CONF/py/testee.py")"
  [js]="node $(q "$CONF/js/testee.mjs")"
  [ipckit01]="$(q "$venv01/bin/python") $(q "$CONF/ipckit01/testee.py")"
)
ORDER=(cc py js ipckit01)
MATRIX=("${ORDER[@]}")
export IPCKIT_JS_DIST="$js_dist"
fi

# ---------------------------------------------------------------- runs
total_passed=0
total_failed=0
# Runs the tester; adds its summary line to the totals (a missing summary
# line, or a tester that failed without failing cases, counts as a failure).
run_tester() {
  local label="$1"
  shift
  local log="$work/$label.log" status=0
  "$PYTHON" "$CONF/tester.py" "$@" >"$log" 2>&1 || status=$?
  grep -v '^XFAIL ' "$log" || true
  local summary
  summary="$(grep -E '^[A-Za-z0-9_]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)"
  if [[ -z "$summary" ]]; then
    echo "run_tests.sh: $label ended without a summary line (status $status)"
    total_failed=$((total_failed + 1))
    return
  fi
  local passed failed
  passed="$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/' <<<"$summary")"
  failed="$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/' <<<"$summary")"
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  if [[ $status -ne 0 && $failed -eq 0 ]]; then
    echo "run_tests.sh: $label exited with status $status"
    total_failed=$((total_failed + 1))
  fi
}

for impl in "${ORDER[@]}"; do
  echo
  echo "== vectors: $impl"
  run_tester "$impl" --impl "$impl" --failure-list "$CONF/failure_list_$impl.txt" --testee "${TESTEE[$impl]}"
done

echo
echo "== live matrix: ${MATRIX[*]}"
matrix_args=()
for impl in "${MATRIX[@]}"; do matrix_args+=("$impl=${TESTEE[$impl]}"); done
extra_args=()
read -r -a extra_args <<<"${MATRIX_ARGS:-}"  # split on blanks, no glob expansion
run_tester matrix --failure-list-dir "$CONF" "${extra_args[@]}" --matrix "${matrix_args[@]}"

echo
echo "conformance: $total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
