#!/usr/bin/env bash
# The ipckit CLI built for Windows (--config=mingw, in tools/wine_test.sh's
# output base), run under Wine:
# - `demo`: its table must have the rows of the methods the Windows build
#   links (cc/cli/BUILD), in order;
# - `info`: the platform and Windows's object names (\\.\pipe\NAME, Local\NAME);
# - `serve`: the bridge prints its URL, answers /v1/info with the token,
#   appends a message to the channel file, and exits 0 on SIGINT (Wine turns
#   it into Ctrl-C).
# Ends with "cli: N passed, M failed" (tools/test.sh's count_plain).
#
#   cc/cli/cli_wine_test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source tools/sanitizer_bazel.sh
source tools/wine_env.sh

# The rows the Windows build has (all of Linux's).
METHODS=(anonymous_pipe named_pipe shared_memory ipc_channel file_channel)

if ! sanitizer_bazel mingw build --config=mingw //cc/cli:ipckit; then
  echo "cli_wine_test: bazel build failed"
  echo "cli: 0 passed, 1 failed"
  exit 1
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/ipckit-cli-wine.XXXXXX")"
trap 'if [[ -n "${pid:-}" ]]; then kill "$pid" 2>/dev/null || true; fi; wine_env_stop; rm -rf "$work"' EXIT
# A private copy: a concurrent rebuild cannot change it mid-run.
cp "$(sanitizer_bazel mingw info --config=mingw bazel-bin 2>/dev/null)/cc/cli/ipckit.exe" "$work/"
wine_env_start cli_wine_test
export WINEDEBUG=-all
passed=0 failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

status=0
out="$(cd "$work" && timeout 300 wine ./ipckit.exe demo)" || status=$?
if (( status != 0 )); then
  echo "$out"
  fail "ipckit.exe demo ended with status $status"
elif cc/cli/check_demo_table.sh "${METHODS[@]}" <<<"$out"; then
  passed=$((passed + 1))
else
  fail "the demo's table"
fi

# info: Windows's names for the objects.
info="$(cd "$work" && timeout 60 wine ./ipckit.exe info my_channel | tr -d '\r')" || true
if grep -q '^platform Windows' <<<"$info" &&
   grep -qF 'named pipe \\.\pipe\my_channel' <<<"$info" &&
   grep -qF 'file mapping Local\my_channel' <<<"$info"; then
  passed=$((passed + 1))
else
  fail "info: $info"
fi

# serve: the ready line is the URL; every wait below has a deadline.
mkdir "$work/channel"
(cd "$work" && exec timeout 120 wine ./ipckit.exe serve channel --port 0 >serve.out 2>&1) &
pid=$!
for _ in $(seq 600); do grep -q "http://127.0.0.1:" "$work/serve.out" && break; sleep 0.1; done
if printed="$(grep -o 'http://127\.0\.0\.1:[0-9]*/?token=[0-9a-f]*' "$work/serve.out")"; then
  url="${printed%%/\?token=*}"
  auth=(-H "Authorization: Bearer ${printed##*token=}")
  msg='[{"id":"wine-1","timestamp":1,"type":"request","method":"ping","payload":null,"seq":1,"sender":"curl"}]'
  if ! curl -sf -m 10 "${auth[@]}" "$url/v1/info" | grep -q '"protocol":"ipckit-bridge"'; then
    fail "serve: /v1/info"
  elif [[ "$(curl -sf -m 10 "${auth[@]}" -H 'Content-Type: application/json' --data-binary "$msg" \
             "$url/v1/append/frontend_to_backend.json")" != '{"appended":1}' ]]; then
    fail "serve: append"
  elif ! grep -q '"id":"wine-1"' "$work/channel/frontend_to_backend.json"; then
    fail "serve: the appended message is not in the file"
  else
    passed=$((passed + 1))
  fi
else
  fail "serve printed no URL with a token: $(cat "$work/serve.out")"
fi
kill -INT "$pid"
status=0
wait "$pid" || status=$?
pid=
if (( status == 0 )); then passed=$((passed + 1)); else fail "serve exited $status on SIGINT"; fi

echo "cli: $passed passed, $failed failed"
(( failed == 0 ))
