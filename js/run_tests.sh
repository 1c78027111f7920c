#!/usr/bin/env bash
# JS package tests: builds the WASM core, the npm tarball (//js:npm_package)
# and the C++ test peer with Bazel, assembles js/dist (scripts/build.mjs),
# then runs every tests/*.test.mjs with node:test; the package, README and
# bundler tests install the tarball into fresh projects. Output ends with
# node's "# pass N" / "# fail N" lines.
# Usage: js/run_tests.sh   (tools/setup.sh must have run: emscripten, npm ci)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
js_dir="$PWD"
repo_dir="$(dirname "$js_dir")"

if [ ! -x node_modules/.bin/tsc ] || [ ! -d node_modules/esbuild ]; then
  echo "run_tests: js/node_modules is missing; installing from the lockfile"
  npm ci --no-audit --no-fund --prefer-offline --loglevel=error
fi
if [ ! -d tests/bundlers/node_modules/vite5 ]; then
  echo "run_tests: js/tests/bundlers/node_modules is missing; installing from its lockfile"
  (cd tests/bundlers && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
fi

# Bazel's own output is long: keep it in a log and show it only on failure.
log="$(mktemp "${TMPDIR:-/tmp}/ipckit-js-bazel.XXXXXX")"
trap 'rm -f "$log"' EXIT
echo "run_tests: bazel build //js:ipckit_core //js:npm_package //js/tests:js_peer"
if ! (cd "$repo_dir" && bazel build //js:ipckit_core //js:npm_package //js/tests:js_peer) >"$log" 2>&1; then
  tail -n 60 "$log"
  echo "run_tests: bazel build failed"
  exit 1
fi
# The WASM core must reach only pure C++ libraries: no file, lock, socket or
# watch code may be compiled by emcc.
os_libs='//cc/platform/... + //cc/bridge:bridge_server + //cc/channel:ipc_channel + //cc/file_channel:uuid + //cc/file_channel:channel_file + //cc/file_channel:channel_info + //cc/file_channel:file_channel'
if ! os_deps="$(cd "$repo_dir" && bazel query --noimplicit_deps "deps(//js:ipckit_core) intersect ($os_libs)" 2>"$log")"; then
  tail -n 20 "$log"
  echo "run_tests: bazel query of //js:ipckit_core's deps failed"
  exit 1
fi
if [ -n "$os_deps" ]; then
  echo "run_tests: //js:ipckit_core depends on OS libraries:"
  echo "$os_deps"
  exit 1
fi
echo "run_tests: //js:ipckit_core depends on pure libraries only"
# Not the bazel-bin symlink: it follows whichever configuration built last.
bin="$(cd "$repo_dir" && bazel info bazel-bin 2>/dev/null)"

node scripts/build.mjs --wasm-dir "$bin/js"

# The Python package's wheel in a fresh venv (nothing else installed), for
# the tests against a Python backend (tests/python_*.test.mjs).
echo "run_tests: bazel build //py:wheel"
if ! (cd "$repo_dir" && bazel build //py:wheel) >"$log" 2>&1; then
  tail -n 60 "$log"
  echo "run_tests: bazel build //py:wheel failed"
  exit 1
fi
wheels=("$bin"/py/ipckit-*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
  echo "run_tests: expected exactly one wheel in $bin/py, found: ${wheels[*]}"
  exit 1
fi
py_venv="$(mktemp -d "${TMPDIR:-/tmp}/ipckit-js-pyvenv.XXXXXX")"
trap 'rm -f "$log"; rm -rf "$py_venv"' EXIT
python3 -m venv "$py_venv"
"$py_venv/bin/pip" install --quiet --no-deps "${wheels[0]}"
export IPCKIT_PYTHON="$py_venv/bin/python"

export IPCKIT_JS_PEER="$bin/js/tests/js_peer"
tarballs=("$bin"/js/ipckit-*.tgz)
if [ "${#tarballs[@]}" -ne 1 ] || [ ! -f "${tarballs[0]}" ]; then
  echo "run_tests: expected exactly one npm tarball in $bin/js, found: ${tarballs[*]}"
  exit 1
fi
export IPCKIT_JS_TARBALL="${tarballs[0]}"
rm -f "$log"
node --test --test-reporter=tap tests/*.test.mjs
