"""The FileChannel HTTP bridge from Python: `python -m ipckit serve` in its own
process, a Python FileChannel backend here, and urllib acting as the page."""

import json
import os
import selectors
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

import ipckit

PAGE_ORIGIN = "http://127.0.0.1:3000"


def _split_url(printed):
    """The bridge's printed URL as (origin, token)."""
    parsed = urllib.parse.urlsplit(printed)
    token = urllib.parse.parse_qs(parsed.query).get("token", [None])[0]
    return "%s://%s" % (parsed.scheme, parsed.netloc), token


def _http(url, method="GET", body=None, headers=None, timeout=15, token=None):
    """(status, headers, body bytes) for one request; HTTP errors are results too."""
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def _append(url, messages, origin=None, token=None):
    headers = {"Content-Type": "application/json"}
    if origin:
        headers["Origin"] = origin
    body = json.dumps(messages).encode()
    return _http(url + "/v1/append/frontend_to_backend.json", "POST", body, headers, token=token)


def _request_message(method, payload, seq=1):
    """A request as a page's BridgeFileChannel composes it."""
    return {"id": str(uuid.uuid4()), "timestamp": int(time.time() * 1000), "type": "request",
            "method": method, "payload": payload, "seq": seq, "sender": "page-under-test"}


def _serve(channel_dir, *extra):
    """`python -m ipckit serve` on `channel_dir`: (process, printed URL)."""
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "ipckit", "serve", channel_dir, "--port", "0",
         "--allow-origin", PAGE_ORIGIN] + list(extra),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        assert sel.select(timeout=20), "serve printed nothing"
        line = proc.stdout.readline()
    assert "http://127.0.0.1:" in line, (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, line[line.index("http://"):].split()[0]


def _stop(proc):
    proc.terminate()
    try:
        code = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert code == 0, "serve must exit cleanly on SIGTERM: %s" % proc.stderr.read()


@pytest.fixture
def bridge(tmp_path):
    """`python -m ipckit serve` on a fresh channel directory: (origin, dir, token)."""
    channel_dir = str(tmp_path / "channel")
    proc, printed = _serve(channel_dir)
    try:
        url, token = _split_url(printed)
        assert token and len(token) >= 32, printed
        yield url, channel_dir, token
    finally:
        _stop(proc)


def test_request_response_round_trip_and_event(bridge):
    url, channel_dir, token = bridge
    status, _, body = _http(url + "/v1/info", token=token)
    assert status == 200
    info = json.loads(body)
    assert info["protocol"] == "ipckit-bridge"
    assert info["bridge_version"] == 1 and info["format_version"] == 2
    assert info["channel_info"]["protocol"] == "file-ipc"

    with ipckit.FileChannel.backend(channel_dir) as backend:
        status, headers, body = _http(url + "/v1/files/backend_to_frontend.json", token=token)
        assert status == 200 and json.loads(body or b"[]") == []  # an empty channel
        etag = headers["ETag"]

        # The page sends a request; the Python backend receives it.
        request = _request_message("getData", {"key": "user_info"})
        status, _, body = _append(url, [request], origin=PAGE_ORIGIN, token=token)
        assert status == 200, body
        assert json.loads(body) == {"appended": 1}
        got = backend.recv_one(timeout=5)
        assert got is not None
        assert got["id"] == request["id"]
        assert got["method"] == "getData" and got["payload"] == {"key": "user_info"}

        # The backend answers; the page's hanging GET returns it at once.
        backend.send_response(request["id"], {"name": "Ada"})
        status, headers, body = _http(url + "/v1/files/backend_to_frontend.json",
                                      headers={"If-None-Match": etag, "Prefer": "wait=10"}, token=token)
        assert status == 200
        responses = [m for m in json.loads(body) if m.get("reply_to") == request["id"]]
        assert len(responses) == 1 and responses[0]["payload"] == {"name": "Ada"}
        etag = headers["ETag"]

        # An event sent while the page waits wakes its hanging GET.
        timer = threading.Timer(0.3, backend.send_event, args=("progress", {"percent": 50}))
        start = time.monotonic()
        timer.start()
        try:
            status, headers, body = _http(url + "/v1/files/backend_to_frontend.json",
                                          headers={"If-None-Match": etag, "Prefer": "wait=20"}, token=token)
        finally:
            timer.join()
        took = time.monotonic() - start
        assert status == 200
        assert headers["Preference-Applied"] == "wait=20"
        events = [m for m in json.loads(body) if m["type"] == "event"]
        assert [(e["method"], e["payload"]) for e in events] == [("progress", {"percent": 50})]
        assert 0.2 <= took < 5, "woken by the change, not the wait running out: %.2fs" % took

        # Nothing new: 304 after the (short) wait.
        status, headers, _ = _http(url + "/v1/files/backend_to_frontend.json",
                                   headers={"If-None-Match": headers["ETag"], "Prefer": "wait=1"}, token=token)
        assert status == 304


def test_bad_requests_are_refused(bridge):
    url, channel_dir, token = bridge
    request = _request_message("m", None)
    status, headers, body = _append(url, [request], origin="http://evil.example", token=token)
    assert status == 403 and json.loads(body)["error"] == "permission_denied"
    assert "Access-Control-Allow-Origin" not in headers
    status, _, body = _http(url + "/v1/append/frontend_to_backend.json", "POST", b'[{"id":"z"',
                            {"Content-Type": "application/json"}, token=token)
    assert status == 400 and json.loads(body)["error"] == "corrupt"
    status, _, body = _http(url + "/v1/append/frontend_to_backend.json", "POST", b"[]",
                            {"Content-Type": "application/json"}, token=token)
    assert status == 400 and json.loads(body)["error"] == "invalid_argument"
    for path in ("/v1/files/%2e%2e/secret", "/v1/files/.lock", "/v1/files/secret.json", "/x"):
        status, _, body = _http(url + path, token=token)
        assert status in (400, 404), path
        assert json.loads(body)["error"] in ("invalid_argument", "not_found"), path
    with ipckit.FileChannel.backend(channel_dir) as backend:
        assert backend.recv() == [], "nothing refused may reach the backend"


def test_bridge_server_in_process(tmp_path):
    channel_dir = str(tmp_path / "channel")
    with ipckit.BridgeServer(channel_dir, allow_origins=[PAGE_ORIGIN]) as server:
        assert server.origin == "http://127.0.0.1:%d" % server.port and server.port > 0
        assert server.url == "%s/?token=%s" % (server.origin, server.token)
        assert len(server.token) >= 32
        assert server.dir == channel_dir and not server.closed
        assert "BridgeServer" in repr(server)
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        try:
            status, _, body = _append(server.origin, [_request_message("ping", [1, 2])], token=server.token)
            assert status == 200, body
        finally:
            server.close()
            thread.join(timeout=10)
        assert not thread.is_alive(), "close() must end serve_forever() in another thread"
        assert server.closed
        with pytest.raises(ipckit.ClosedError):
            server.serve_forever()
    with ipckit.FileChannel.backend(channel_dir) as backend:
        assert backend.recv_one(timeout=5)["method"] == "ping"
    with pytest.raises(ipckit.InvalidArgumentError):
        ipckit.BridgeServer(channel_dir, port=70000)


def test_bridge_serves_the_page_files_given_as_static_dir(tmp_path):
    web = tmp_path / "web"
    web.mkdir(mode=0o700)
    (web / "index.html").write_text("<p>page</p>")
    (tmp_path / "secret.txt").write_text("SECRET")
    (web / "link.txt").symlink_to(tmp_path / "secret.txt")
    with ipckit.BridgeServer(str(tmp_path / "channel"), static_dir=web) as server:
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        try:
            status, headers, body = _http(server.url)
            assert (status, body) == (200, b"<p>page</p>")
            assert headers["Content-Type"] == "text/html; charset=utf-8"
            assert "HttpOnly" in headers["Set-Cookie"]
            assert _http(server.origin + "/")[0] == 401, "no token, no page"
            status, _, body = _http(server.origin + "/link.txt", token=server.token)
            assert status == 403 and b"SECRET" not in body, "a symlink out of the directory"
            assert _http(server.origin + "/../secret.txt", token=server.token)[0] in (400, 404)
        finally:
            server.close()
            thread.join(timeout=10)


def test_serve_help_lists_the_options():
    result = subprocess.run([sys.executable, "-m", "ipckit", "serve", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "--allow-origin" in result.stdout and "--port" in result.stdout
    assert "--static" in result.stdout


def test_every_request_but_a_preflight_needs_the_token(bridge):
    url, channel_dir, token = bridge
    path = url + "/v1/files/backend_to_frontend.json"
    status, headers, body = _http(path)
    assert status == 401 and json.loads(body)["error"] == "permission_denied"
    assert "Bearer" in headers["WWW-Authenticate"]
    wrong = ("0" if token[0] != "0" else "1") + token[1:]
    assert _http(path, token=wrong)[0] == 401
    assert _http(path, token=token)[0] == 200
    assert _http(path + "?token=" + token)[0] == 200, "the printed URL's query works too"
    status, _, _ = _append(url, [_request_message("sneaky", None)])
    assert status == 401
    status, headers, _ = _http(url + "/v1/info", "OPTIONS", headers={
        "Origin": PAGE_ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert status == 204 and "Authorization" in headers["Access-Control-Allow-Headers"]
    with ipckit.FileChannel.backend(channel_dir) as backend:
        assert backend.recv() == [], "nothing without the token may reach the backend"


def test_serving_without_a_token_needs_the_flag_and_warns(tmp_path):
    proc, printed = _serve(str(tmp_path / "channel"), "--no-token")
    try:
        url, token = _split_url(printed)
        assert token is None
        assert _http(url + "/v1/info")[0] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "WARNING" in proc.stderr.read()
    with ipckit.BridgeServer(str(tmp_path / "channel"), token=None) as server:
        assert server.token is None and server.url == server.origin + "/"


def test_head_and_duplicate_host(bridge):
    url, _, token = bridge
    status, headers, body = _http(url + "/v1/info", "HEAD", token=token)
    assert status == 405 and headers["Allow"] == "GET" and body == b""
    port = int(url.rsplit(":", 1)[1])
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(("GET /v1/info HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nHost: evil.example\r\n"
                   "Authorization: Bearer %s\r\nConnection: close\r\n\r\n" % (port, token)).encode())
        reply = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 400"), reply


def test_a_symlink_out_of_the_channel_is_refused_and_not_sent(bridge, tmp_path):
    url, channel_dir, token = bridge
    secret = tmp_path / "private_secret.json"
    secret.write_text('["TOP-SECRET-PRIVATE"]\n')
    secret.chmod(0o600)
    link = os.path.join(channel_dir, "backend_to_frontend.json")
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(str(secret), link)
    status, _, body = _http(url + "/v1/files/backend_to_frontend.json", token=token)
    assert status == 403 and json.loads(body)["error"] == "permission_denied"
    assert b"TOP-SECRET" not in body
