#!/usr/bin/env bash
# Builds and runs the consumer workspace's test against @ipckit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bazel test //:consumer_test --test_output=errors --nocache_test_results
