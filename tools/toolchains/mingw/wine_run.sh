#!/usr/bin/env bash
# The --run_under of Windows tests (tools/wine_test.sh): runs a test .exe, and
# its arguments, under Wine with no debug output.
#
#   wine_run.sh path/to/error_test.exe --gtest_brief=1
#
# WINEPREFIX comes from the test environment (wine_test.sh creates the prefix
# once, before any test, so parallel tests never race to create it).
set -euo pipefail
: "${WINEPREFIX:?wine_run.sh: WINEPREFIX is not set (run the tests through tools/wine_test.sh)}"
export WINEDEBUG="${IPCKIT_WINEDEBUG:--all}"

# Bazel hands the test absolute Unix paths; a Windows program takes "/x" as
# relative to its current drive, so name them through Wine's Z: drive (the
# Unix root). gtest writes GTEST_OUTPUT and the premature-exit file.
for var in XML_OUTPUT_FILE TEST_PREMATURE_EXIT_FILE TEST_SHARD_STATUS_FILE \
           TEST_TMPDIR TEST_UNDECLARED_OUTPUTS_DIR TEST_WARNINGS_OUTPUT_FILE; do
  value="${!var:-}"
  if [[ "$value" == /* ]]; then export "$var=Z:$value"; fi
done
if [[ "${GTEST_OUTPUT:-}" == xml:/* ]]; then export GTEST_OUTPUT="xml:Z:${GTEST_OUTPUT#xml:}"; fi

exec wine "$@"
