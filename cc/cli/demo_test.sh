#!/usr/bin/env bash
# The demo must print one timing row per method and exit 0.
set -euo pipefail
out="$(cc/cli/ipckit demo)"
cc/cli/check_demo_table.sh anonymous_pipe named_pipe shared_memory ipc_channel file_channel <<<"$out"
