#!/usr/bin/env bash
# The demo must print one timing line per method and exit 0.
set -euo pipefail
out="$(cc/cli/ipckit demo)"
echo "$out"
for method in anonymous_pipe named_pipe shared_memory ipc_channel file_channel; do
  grep -qE "^$method +[0-9]+ round trips of 64 B +median +[0-9.]+ us" <<<"$out" \
    || { echo "FAIL: no timing line for $method"; exit 1; }
done
