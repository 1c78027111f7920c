#!/usr/bin/env bash
# Runs the seam guard on the source tree this test's files come from (the
# runfiles are symlinks into it).
set -euo pipefail
test_py="$(readlink -f cc/platform/check_system_headers_test.py)"
exec python3 "$test_py" -v
