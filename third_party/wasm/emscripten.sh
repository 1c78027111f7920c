#!/usr/bin/env bash
# Runs one of Debian's emscripten tools (em++, emar) inside a Bazel action.
#
#   emscripten.sh em++ external/ipckit_wasm_deps/node_modules -O2 -c a.cc -o a.o
#
# The second argument is the node_modules dir holding acorn, which emcc's JS
# optimizer requires; it is an action input, so Bazel tracks its version.
set -euo pipefail

tool="$1"
node_modules="$2"
shift 2

case "$tool" in
  em++|emar) ;;
  *) echo "emscripten.sh: unknown tool '$tool'" >&2; exit 2 ;;
esac

export NODE_PATH="$PWD/$node_modules"
# Debian's emscripten uses its prebuilt, frozen system-library cache under
# /usr/share/emscripten; nothing is written there. Temporaries go to a private
# dir that is removed afterwards.
tmp="$(mktemp -d "${TMPDIR:-/tmp}/ipckit-emcc.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export EMCC_TEMP_DIR="$tmp"
export TMPDIR="$tmp"

"/usr/bin/$tool" "$@"
