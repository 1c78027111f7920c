#!/usr/bin/env bash
# info, listen and send, as separate processes.
set -euo pipefail
cli=cc/cli/ipckit
name="ipckit-cli-test-$$"

info="$($cli info "$name")"
grep -q "^format version 1$" <<<"$info" || { echo "FAIL: info lacks the format version"; exit 1; }
grep -q "unix socket /tmp/$name.sock" <<<"$info" || { echo "FAIL: info lacks the socket path"; exit 1; }

# Bad input: a clear error naming the problem, exit 1, no crash.
if err="$($cli send "../bad" hi 2>&1)"; then echo "FAIL: bad name accepted"; exit 1; fi
grep -q "invalid_argument" <<<"$err" || { echo "FAIL: bad name error unclear: $err"; exit 1; }
if $cli bogus 2>/dev/null; then echo "FAIL: unknown command accepted"; exit 1; fi

out="$(mktemp)"
$cli listen "$name" --count 2 --timeout 10 >"$out" &
listener=$!
$cli send "$name" "hello one" --timeout 10
$cli send "$name" "hello two" --timeout 10
wait "$listener"
diff <(printf 'hello one\nhello two\n') "$out" || { echo "FAIL: listener output differs"; exit 1; }

# Nobody listening: send times out with a timeout error.
if err="$($cli send "$name-none" hi --timeout 0.3 2>&1)"; then echo "FAIL: send without listener"; exit 1; fi
grep -q "\[timeout\]" <<<"$err" || { echo "FAIL: expected a timeout: $err"; exit 1; }
echo "cli_test: ok"
