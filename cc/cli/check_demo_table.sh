#!/usr/bin/env bash
# Checks `ipckit demo`'s table on stdin: one row per METHOD, in the order
# given, and no other row; timings are not judged. Prints each row's verdict
# and "demo: N passed, M failed"; exits 0 iff all rows are as expected.
#
#   ipckit demo | cc/cli/check_demo_table.sh named_pipe shared_memory ipc_channel file_channel
set -uo pipefail
table="$(tr -d '\r')"  # Windows writes CRLF
echo "$table"
row='^([a-z_]+) +[0-9]+ round trips of 64 B +median +[0-9.]+ us +p99 +[0-9.]+ us$'
mapfile -t got < <(grep -E "$row" <<<"$table" | sed -E "s/$row/\1/")
passed=0 failed=0
i=0
for method in "$@"; do
  if [[ "${got[$i]:-}" == "$method" ]]; then
    passed=$((passed + 1))
  else
    echo "FAIL: row $((i + 1)) should be $method, is '${got[$i]:-(none)}'"
    failed=$((failed + 1))
  fi
  i=$((i + 1))
done
if (( ${#got[@]} != $# )); then
  echo "FAIL: ${#got[@]} rows (${got[*]}), expected $#"
  failed=$((failed + 1))
fi
echo "demo: $passed passed, $failed failed"
(( failed == 0 ))
