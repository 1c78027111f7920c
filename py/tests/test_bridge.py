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
import urllib.request
import uuid

import pytest

import ipckit

PAGE_ORIGIN = "http://127.0.0.1:3000"


def _http(url, method="GET", body=None, headers=None, timeout=15):
    """(status, headers, body bytes) for one request; HTTP errors are results too."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def _append(url, messages, origin=None):
    headers = {"Content-Type": "application/json"}
    if origin:
        headers["Origin"] = origin
    body = json.dumps(messages).encode()
    return _http(url + "/v1/append/frontend_to_backend.json", "POST", body, headers)


def _request_message(method, payload, seq=1):
    """A request as a page's BridgeFileChannel composes it."""
    return {"id": str(uuid.uuid4()), "timestamp": int(time.time() * 1000), "type": "request",
            "method": method, "payload": payload, "seq": seq, "sender": "page-under-test"}


@pytest.fixture
def bridge(tmp_path):
    """`python -m ipckit serve` on a fresh channel directory: (url, dir)."""
    channel_dir = str(tmp_path / "channel")
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "ipckit", "serve", channel_dir, "--port", "0",
         "--allow-origin", PAGE_ORIGIN],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            assert sel.select(timeout=20), "serve printed nothing"
            line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, (line, proc.stderr.read() if proc.poll() is not None else "")
        url = line[line.index("http://"):].split()[0]
        yield url, channel_dir
    finally:
        proc.terminate()
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, "serve must exit cleanly on SIGTERM: %s" % proc.stderr.read()


def test_request_response_round_trip_and_event(bridge):
    url, channel_dir = bridge
    status, _, body = _http(url + "/v1/info")
    assert status == 200
    info = json.loads(body)
    assert info["protocol"] == "ipckit-bridge"
    assert info["bridge_version"] == 1 and info["format_version"] == 1
    assert info["channel_info"]["protocol"] == "file-ipc"

    with ipckit.FileChannel.backend(channel_dir) as backend:
        status, headers, body = _http(url + "/v1/files/backend_to_frontend.json")
        assert status == 200 and body == b""
        etag = headers["ETag"]

        # The page sends a request; the Python backend receives it.
        request = _request_message("getData", {"key": "user_info"})
        status, _, body = _append(url, [request], origin=PAGE_ORIGIN)
        assert status == 200, body
        assert json.loads(body) == {"appended": 1}
        got = backend.recv_one(timeout=5)
        assert got is not None
        assert got["id"] == request["id"]
        assert got["method"] == "getData" and got["payload"] == {"key": "user_info"}

        # The backend answers; the page's hanging GET returns it at once.
        backend.send_response(request["id"], {"name": "Ada"})
        status, headers, body = _http(url + "/v1/files/backend_to_frontend.json",
                                      headers={"If-None-Match": etag, "Prefer": "wait=10"})
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
                                          headers={"If-None-Match": etag, "Prefer": "wait=20"})
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
                                   headers={"If-None-Match": headers["ETag"], "Prefer": "wait=1"})
        assert status == 304


def test_bad_requests_are_refused(bridge):
    url, channel_dir = bridge
    request = _request_message("m", None)
    status, headers, body = _append(url, [request], origin="http://evil.example")
    assert status == 403 and json.loads(body)["error"] == "permission_denied"
    assert "Access-Control-Allow-Origin" not in headers
    status, _, body = _http(url + "/v1/append/frontend_to_backend.json", "POST", b'[{"id":"z"',
                            {"Content-Type": "application/json"})
    assert status == 400 and json.loads(body)["error"] == "corrupt"
    status, _, body = _http(url + "/v1/append/frontend_to_backend.json", "POST", b"[]",
                            {"Content-Type": "application/json"})
    assert status == 400 and json.loads(body)["error"] == "invalid_argument"
    for path in ("/v1/files/%2e%2e/secret", "/v1/files/.lock", "/v1/files/secret.json", "/x"):
        status, _, body = _http(url + path)
        assert status in (400, 404), path
        assert json.loads(body)["error"] in ("invalid_argument", "not_found"), path
    with ipckit.FileChannel.backend(channel_dir) as backend:
        assert backend.recv() == [], "nothing refused may reach the backend"


def test_bridge_server_in_process(tmp_path):
    channel_dir = str(tmp_path / "channel")
    with ipckit.BridgeServer(channel_dir, allow_origins=[PAGE_ORIGIN]) as server:
        assert server.url == "http://127.0.0.1:%d" % server.port and server.port > 0
        assert server.dir == channel_dir and not server.closed
        assert "BridgeServer" in repr(server)
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        try:
            status, _, body = _append(server.url, [_request_message("ping", [1, 2])])
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


def test_serve_help_lists_the_options():
    result = subprocess.run([sys.executable, "-m", "ipckit", "serve", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "--allow-origin" in result.stdout and "--port" in result.stdout
