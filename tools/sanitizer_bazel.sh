#!/usr/bin/env bash
# Sourced by tools/test.sh and tools/fuzz.sh: sanitizer_bazel CONFIG ARGS...
# runs `bazel ARGS... --config=CONFIG`-style commands in an output base of
# their own, one per config and per checkout:
#
#   source tools/sanitizer_bazel.sh
#   sanitizer_bazel asan test --config=asan //cc/...
#
# Why: a config change in the default output base would throw away the build
# cache that every other build of this checkout shares (and a second checkout
# must not restart this one's server). The server quits after 5 idle minutes,
# so the extra JVMs do not linger after a test run.
sanitizer_bazel() {
  local config="$1"; shift
  local checkout key
  checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  key="$(printf '%s' "$checkout" | md5sum | cut -c1-8)"
  bazel --output_base="${HOME}/.cache/ipckit-bazel-${config}-${key}" --max_idle_secs=300 "$@"
}

# UBSan: stop at the first report, except RapidJSON's known null arithmetic
# (fuzz/ubsan_suppressions.txt says why).
IPCKIT_UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/fuzz/ubsan_suppressions.txt"
