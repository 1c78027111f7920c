#!/usr/bin/env bash
# `ipckit serve`: the FileChannel HTTP bridge from the command line, driven
# with curl; Ctrl-C (SIGINT) stops it cleanly.
set -euo pipefail
cli="$PWD/cc/cli/ipckit"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/ipckit-serve-test.XXXXXX")"
trap 'if [[ -n "${pid:-}" ]]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
dir="$work/channel"

# Bad arguments: a clear error, exit 1.
if err="$($cli serve 2>&1)"; then echo "FAIL: serve without DIR accepted"; exit 1; fi
grep -q "invalid_argument" <<<"$err" || { echo "FAIL: unclear error: $err"; exit 1; }
if $cli serve "$dir" --port 70000 2>/dev/null; then echo "FAIL: port 70000 accepted"; exit 1; fi

$cli serve "$dir" --port 0 --allow-origin http://127.0.0.1:3000 >"$work/out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "http://127.0.0.1:" "$work/out" && break; sleep 0.1; done
printed="$(grep -o 'http://127\.0\.0\.1:[0-9]*/?token=[0-9a-f]*' "$work/out")" || { echo "FAIL: no URL with a token printed"; cat "$work/out"; exit 1; }
url="${printed%%/\?token=*}"
token="${printed##*token=}"
[[ ${#token} -ge 32 ]] || { echo "FAIL: token '$token' is under 128 bits"; exit 1; }
auth=(-H "Authorization: Bearer $token")

# Without the token: refused; with it in the header or the printed URL: served.
code="$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/info")"
[[ "$code" == 401 ]] || { echo "FAIL: no token got $code"; exit 1; }
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer x$token" "$url/v1/info")"
[[ "$code" == 401 ]] || { echo "FAIL: wrong token got $code"; exit 1; }
curl -sf "$url/v1/info?token=$token" | grep -q '"protocol":"ipckit-bridge"' || { echo "FAIL: ?token="; exit 1; }

curl -sf "${auth[@]}" "$url/v1/info" | grep -q '"protocol":"ipckit-bridge"' || { echo "FAIL: /v1/info"; exit 1; }
msg='[{"id":"cli-1","timestamp":1,"type":"request","method":"ping","payload":null,"seq":1,"sender":"curl"}]'
resp="$(curl -sf "${auth[@]}" -H 'Content-Type: application/json' -H 'Origin: http://127.0.0.1:3000' \
  --data-binary "$msg" "$url/v1/append/frontend_to_backend.json")"
[[ "$resp" == '{"appended":1}' ]] || { echo "FAIL: append said $resp"; exit 1; }
grep -q '"id":"cli-1"' "$dir/frontend_to_backend.json" || { echo "FAIL: message not in the file"; exit 1; }
code="$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -H 'Content-Type: application/json' \
  -H 'Origin: http://evil.example' --data-binary "$msg" "$url/v1/append/frontend_to_backend.json")"
[[ "$code" == 403 ]] || { echo "FAIL: cross-origin write got $code"; exit 1; }
code="$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" --path-as-is "$url/v1/files/../channel/.lock")"
[[ "$code" == 400 ]] || { echo "FAIL: traversal got $code"; exit 1; }

# A symlink in place of a channel file, pointing at a private file: refused
# with the error class, and its content never sent.
printf '["TOP-SECRET-PRIVATE"]\n' >"$work/private.json"
chmod 600 "$work/private.json"
rm -f "$dir/backend_to_frontend.json"
ln -s "$work/private.json" "$dir/backend_to_frontend.json"
code="$(curl -s -o "$work/sym" -w '%{http_code}' "${auth[@]}" "$url/v1/files/backend_to_frontend.json")"
[[ "$code" == 403 ]] || { echo "FAIL: symlinked file got $code"; exit 1; }
grep -q '"error":"permission_denied"' "$work/sym" || { echo "FAIL: symlink refusal: $(cat "$work/sym")"; exit 1; }
if grep -q "TOP-SECRET" "$work/sym"; then echo "FAIL: the symlink's target was sent"; exit 1; fi
rm -f "$dir/backend_to_frontend.json"

kill -INT "$pid"
wait "$pid" || { echo "FAIL: serve exited $? on SIGINT"; exit 1; }
pid=

# --no-token: served without one, with a warning.
$cli serve "$dir" --port 0 --no-token >"$work/out2" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "http://127.0.0.1:" "$work/out2" && break; sleep 0.1; done
grep -q "WARNING" "$work/out2" || { echo "FAIL: --no-token printed no warning"; cat "$work/out2"; exit 1; }
url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/out2")"
curl -sf "$url/v1/info" | grep -q '"protocol":"ipckit-bridge"' || { echo "FAIL: --no-token /v1/info"; exit 1; }
kill -INT "$pid"
wait "$pid" || { echo "FAIL: serve --no-token exited $? on SIGINT"; exit 1; }
pid=
echo "serve_test: ok"
