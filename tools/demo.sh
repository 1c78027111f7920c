#!/usr/bin/env bash
# Installs what is missing, builds the ipckit CLI and runs its demo: a second
# process exchanges messages with this one over all five IPC methods.
# Usage: tools/demo.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/setup.sh
bazel build //cc/cli:ipckit
bazel-bin/cc/cli/ipckit demo
