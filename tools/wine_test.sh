#!/usr/bin/env bash
# Builds the C++ core for Windows (--config=mingw, mingw-w64) and runs its
# tests under Wine; `bazel test` prints one PASSED/FAILED line per test target,
# which tools/test.sh's count_bazel reads.
#
#   tools/wine_test.sh                 # every Windows test
#   tools/wine_test.sh --test_output=all
#
# Bazel runs in its own output base (tools/sanitizer_bazel.sh), so the mingw
# configuration never evicts the default build cache. The Wine prefix is
# created once, before any test runs, under ~/.cache/ipckit-wine (first run:
# ~20 s); IPCKIT_WINEPREFIX overrides the location.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# What builds for Windows today, with its unit tests: the portable core
# (errors, names, deadlines, JSON, the channel frame codec, the shared-memory
# header, the file channel's formats), IpcChannel, JsonChannel and NamedPipe
# over named pipes (each with a peer .exe), and the Windows platform code (Win32
# errors, process liveness, random bytes, named and anonymous pipes, file
# mappings, file locks, replace and directory watching; spec/windows.md).
TESTS=(
  //cc/base:deadline_test
  //cc/base:error_test
  //cc/base:name_test
  //cc/channel:frame_test
  //cc/channel:ipc_channel_test
  //cc/channel:json_channel_test
  //cc/file_channel:channel_file_format_test
  //cc/file_channel:channel_info_format_test
  //cc/file_channel:file_channel_vectors_test
  //cc/file_channel:file_index_test
  //cc/file_channel:inbox_test
  //cc/file_channel:message_test
  //cc/json:json_test
  //cc/json:json_vectors_test
  //cc/named_pipe:named_pipe_test
  //cc/shm:shm_header_test
  //cc/platform/io:local_stream_test
  //cc/platform/process:process_test
  //cc/platform/random:secure_random_test
  //cc/platform/win:error_win_test
  //cc/platform/win:fs_win_test
  //cc/platform/win:pipe_win_test
  //cc/platform/win:shm_win_test
)

export WINEPREFIX="${IPCKIT_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/ipckit-wine}"
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "wine_test: creating the Wine prefix $WINEPREFIX"
  mkdir -p "$WINEPREFIX"
  # wine64 only: wineboot's complaint about the 32-bit rundll32 is harmless.
  WINEDEBUG=-all wineboot -i >/dev/null 2>&1 || true
  WINEDEBUG=-all wineserver -w
  [ -f "$WINEPREFIX/system.reg" ] || { echo "wine_test: wineboot did not create $WINEPREFIX" >&2; exit 1; }
fi

# One wineserver for the whole run (-p: it does not quit when idle), stopped
# at the end. Left to itself it quits 3 s after its last client and the next
# test starts a new one; with that, tests run in parallel on a loaded machine
# now and then hung in a wait on a server that had gone (seen in 3 of ~12
# runs of pipe_win_test x4); with one server for the run, never in 40.
WINEDEBUG=-all wineserver -p || true  # fails harmlessly if one is running
trap 'WINEDEBUG=-all wineserver -k >/dev/null 2>&1 || true' EXIT

source tools/sanitizer_bazel.sh
sanitizer_bazel mingw test -k --config=mingw --test_summary=short --nocache_test_results "$@" "${TESTS[@]}"
