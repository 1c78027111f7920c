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
# created once, before any test runs (tools/wine_env.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# What builds for Windows today, with its unit tests: the portable core
# (errors, names, deadlines, JSON, the channel frame codec, the shared-memory
# header, the file channel's formats), IpcChannel, JsonChannel and NamedPipe
# over named pipes (each with a peer .exe), the HTTP bridge over Winsock (served
# on a thread, raw HTTP clients, a FileChannel backend), and the Windows
# platform code (loopback sockets, Win32
# errors, process liveness, random bytes, named and anonymous pipes, file
# mappings, file locks, replace and directory watching, polled futex words;
# spec/windows.md), and zero-copy pub/sub across two processes, its segment
# header checked against the shared vectors (conformance/vectors/shm_msg).
TESTS=(
  //cc/base:deadline_test
  //cc/base:error_test
  //cc/base:name_test
  //cc/bridge:bridge_loopback_test
  //cc/bridge:http_message_test
  //cc/bridge:splice_test
  //cc/channel:frame_test
  //cc/channel:ipc_channel_test
  //cc/channel:json_channel_test
  //cc/file_channel/cross_system:file_channel_win_test
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
  //cc/shm:shared_memory_test
  //cc/pipe:anonymous_pipe_test
  //cc/platform/shm:shm_object_test
  //cc/platform/internal:io_loops_test
  //cc/platform/internal:unique_resource_test
  //cc/platform/io:local_stream_test
  //cc/platform/net:loopback_socket_test
  //cc/platform/fs:file_ops_win_test
  //cc/platform/process:process_test
  //cc/platform/random:secure_random_test
  //cc/platform/sync:futex_win_test
  //cc/shm_msg:pubsub_process_test
  //cc/shm_msg:service_layout_test
  //cc/platform/win:error_win_test
  //cc/platform/watch:dir_watcher_win_test
  //cc/platform/win:fs_win_test
  //cc/platform/win:pipe_win_test
  //cc/platform/win:security_win_test
  //cc/platform/win:shm_win_test
)

# The Wine prefix and one wineserver for the whole run (tools/wine_env.sh).
source tools/wine_env.sh
wine_env_start wine_test
trap wine_env_stop EXIT

source tools/sanitizer_bazel.sh
status=0
sanitizer_bazel mingw test -k --config=mingw --test_summary=short --nocache_test_results "$@" "${TESTS[@]}" || status=$?

# One FileChannel directory shared by a Windows process under Wine and a Linux
# process (cc/file_channel/cross_system): the .exe from the mingw output base,
# the Linux peer and the test (tagged manual) from the default one.
sanitizer_bazel mingw build --config=mingw //cc/file_channel/cross_system:cross_peer || status=1
cross_exe="$(sanitizer_bazel mingw info --config=mingw bazel-bin)/cc/file_channel/cross_system/cross_peer.exe"
bazel test --test_summary=short --nocache_test_results --test_env=WINEPREFIX \
  --test_env=IPCKIT_CROSS_PEER_EXE="$cross_exe" "$@" //cc/file_channel/cross_system:cross_system_test || status=$?
exit "$status"
