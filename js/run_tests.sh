#!/usr/bin/env bash
# JS package tests: builds the WASM core and the C++ test peer with Bazel,
# assembles js/dist (scripts/build.mjs), then runs every tests/*.test.mjs with
# node:test. Output ends with node's "# pass N" / "# fail N" lines.
# Usage: js/run_tests.sh   (tools/setup.sh must have run: emscripten, npm ci)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
js_dir="$PWD"
repo_dir="$(dirname "$js_dir")"

if [ ! -x node_modules/.bin/tsc ] || [ ! -d node_modules/esbuild ]; then
  echo "run_tests: js/node_modules is missing; installing from the lockfile"
  npm ci --no-audit --no-fund --prefer-offline --loglevel=error
fi

# Bazel's own output is long (and Debian's bazelrc turns on sandbox debug
# lines); keep it in a log and show it only on failure.
log="$(mktemp "${TMPDIR:-/tmp}/ipckit-js-bazel.XXXXXX")"
trap 'rm -f "$log"' EXIT
echo "run_tests: bazel build //js:ipckit_core //js/tests:js_peer"
if ! (cd "$repo_dir" && bazel build //js:ipckit_core //js/tests:js_peer) >"$log" 2>&1; then
  grep -v 'linux-sandbox' "$log" | tail -n 60
  echo "run_tests: bazel build failed"
  exit 1
fi
# Not the bazel-bin symlink: it follows whichever configuration built last.
bin="$(cd "$repo_dir" && bazel info bazel-bin 2>/dev/null)"

node scripts/build.mjs --wasm-dir "$bin/js"

export IPCKIT_JS_PEER="$bin/js/tests/js_peer"
rm -f "$log"
node --test --test-reporter=tap tests/*.test.mjs
