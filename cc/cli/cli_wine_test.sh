#!/usr/bin/env bash
# `ipckit demo` built for Windows (--config=mingw, in tools/wine_test.sh's
# output base) and run under Wine: its table must have the rows of the
# methods the Windows build links (cc/cli/BUILD), in order. Ends with
# "demo: N passed, M failed" (tools/test.sh's count_plain).
#
#   cc/cli/demo_wine_test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source tools/sanitizer_bazel.sh
source tools/wine_env.sh

# The rows the Windows build has today; the anonymous pipe joins when
# AnonymousPipe builds for Windows.
METHODS=(named_pipe shared_memory ipc_channel file_channel)

if ! sanitizer_bazel mingw build --config=mingw //cc/cli:ipckit; then
  echo "demo_wine_test: bazel build failed"
  echo "demo: 0 passed, 1 failed"
  exit 1
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/ipckit-demo-wine.XXXXXX")"
trap 'wine_env_stop; rm -rf "$work"' EXIT
# A private copy: a concurrent rebuild cannot change it mid-run.
cp "$(sanitizer_bazel mingw info --config=mingw bazel-bin 2>/dev/null)/cc/cli/ipckit.exe" "$work/"
wine_env_start demo_wine_test
status=0
out="$(cd "$work" && WINEDEBUG=-all timeout 300 wine ./ipckit.exe demo)" || status=$?
if (( status != 0 )); then
  echo "$out"
  echo "demo_wine_test: ipckit.exe demo ended with status $status"
  echo "demo: 0 passed, 1 failed"
  exit 1
fi
cc/cli/check_demo_table.sh "${METHODS[@]}" <<<"$out"
