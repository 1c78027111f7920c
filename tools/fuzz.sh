#!/usr/bin/env bash
# Runs every libFuzzer harness in fuzz/ for SECONDS each (default 60), one
# after another, on its seed corpus from conformance/vectors/ (fuzz/seeds.py),
# and prints each harness's executions and findings, then a last line
# "fuzz: N passed, M failed". A finding (crash, broken invariant, leak,
# sanitizer report, timeout) fails its harness; the input that caused it is
# kept under the findings directory printed at the end.
#
#   tools/fuzz.sh 5      # the smoke run tools/test.sh does
#   tools/fuzz.sh 600    # a 10-minute campaign per harness
#
# Builds with --config=fuzz (clang-14, ASan, UBSan) in its own Bazel output
# base (tools/sanitizer_bazel.sh), so the shared default build cache is untouched. Set IPCKIT_FUZZ_CORPUS
# to a directory to keep the grown corpora across runs (default: a temp dir).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-60}"
case "$seconds" in ''|*[!0-9]*|0) echo "usage: tools/fuzz.sh [SECONDS>0]" >&2; exit 2 ;; esac

source tools/sanitizer_bazel.sh
bazel_fuzz=(sanitizer_bazel fuzz)
work="$(mktemp -d "${TMPDIR:-/tmp}/ipckit-fuzz.XXXXXX")"
corpus_root="${IPCKIT_FUZZ_CORPUS:-$work/corpus}"

harnesses=$("${bazel_fuzz[@]}" query 'attr(tags, "\bipckit_fuzzer\b", //fuzz:all)' 2>/dev/null | sed 's|^//fuzz:||')
if [ -z "$harnesses" ]; then
  echo "fuzz: no harnesses found under //fuzz"; echo "fuzz: 0 passed, 1 failed"; exit 1
fi
# shellcheck disable=SC2086
if ! "${bazel_fuzz[@]}" build --config=fuzz $(printf '//fuzz:%s ' $harnesses); then
  echo "fuzz: build failed"; echo "fuzz: 0 passed, 1 failed"; exit 1
fi
bin="$("${bazel_fuzz[@]}" info --config=fuzz bazel-bin 2>/dev/null)/fuzz"
python3 fuzz/seeds.py "$work/seeds" >/dev/null || { echo "fuzz: seeds failed"; exit 1; }

# Findings stop the harness; every UBSan report but the suppressed one is a finding.
export UBSAN_OPTIONS="$IPCKIT_UBSAN_OPTIONS"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

passed=0 failed=0
results=()
for h in $harnesses; do
  corpus="$corpus_root/$h" findings="$work/findings/$h"
  mkdir -p "$corpus" "$findings"
  log="$work/$h.log"
  echo "==> fuzz $h for ${seconds}s"
  # New inputs go to $corpus; the seeds are read only. -timeout: one input
  # taking longer than 10 s is a hang finding.
  "$bin/$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$work/seeds/$h" >"$log" 2>&1
  rc=$?
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1)
  n_findings=$(find "$findings" -type f | wc -l)
  if [ "$rc" -eq 0 ] && [ "$n_findings" -eq 0 ] && [ -n "$execs" ]; then
    passed=$((passed + 1)); verdict=PASS
  else
    failed=$((failed + 1)); verdict=FAIL
    tail -n 40 "$log"
  fi
  results+=("$(printf 'fuzz: %-4s %-28s %12s executions %3s findings  exit %s' \
    "$verdict" "$h" "${execs:-?}" "$n_findings" "$rc")")
  echo "${results[-1]}"
done

echo
echo "==> fuzz summary (${seconds}s per harness; logs, corpora and findings in $work)"
printf '%s\n' "${results[@]}"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
