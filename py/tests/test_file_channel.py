"""FileChannel across real processes: requests, responses, errors, events,
timeouts, same-millisecond bursts, foreign (ipckit 0.1 style) writers,
corrupt files and bad input."""

import json
import multiprocessing
import os
import time

import pytest

import ipckit
from conftest import elapsed

FRONTEND = """
import ipckit, sys
f = ipckit.FileChannel.frontend(sys.argv[1])
print("ready", flush=True)
for _ in range(int(sys.argv[2])):
    m = f.recv_one(timeout=20)
    assert m is not None, "no request"
    if m["type"] != "request":
        continue
    if m["method"] == "fail":
        f.send_error(m["id"], "it failed")
    else:
        f.send_response(m["id"], {"method": m["method"], "params": m["payload"]})
"""


@pytest.fixture
def channel_dir(tmp_path):
    return str(tmp_path / "ipc_channel")


def test_request_response_and_error(channel_dir, child):
    backend = ipckit.FileChannel.backend(channel_dir)
    assert backend.side == "backend" and backend.dir == channel_dir
    c = child(FRONTEND, channel_dir, 2)
    c.expect("ready")
    first = backend.send_request("getData", {"key": "user_info"})
    second = backend.send_request("fail", None)
    assert isinstance(first, str) and len(first) == 36 and first != second
    response = backend.wait_response(first, timeout_ms=20000)
    assert response["type"] == "response" and response["reply_to"] == first
    assert response["payload"] == {"method": "getData", "params": {"key": "user_info"}}
    assert isinstance(response["timestamp"], int)
    error = backend.wait_response(second, timeout=20)
    assert error["error"] == "it failed" and error["payload"] is None
    c.finish()
    for name in ("backend_to_frontend.json", "frontend_to_backend.json", ".channel_info"):
        assert os.path.exists(os.path.join(channel_dir, name))


def test_responses_to_other_ids_are_kept(channel_dir, child):
    backend = ipckit.FileChannel.backend(channel_dir)
    a = backend.send_request("a", 1)
    b = backend.send_request("b", 2)
    c = child("""
        import ipckit, sys
        f = ipckit.FileChannel.frontend(sys.argv[1])
        reqs = {}
        while len(reqs) < 2:
            m = f.recv_one(timeout=20)
            reqs[m["method"]] = m["id"]
        f.send_event("before", [])
        f.send_response(reqs["b"], "B")   # the later request is answered first
        f.send_response(reqs["a"], "A")
    """, channel_dir)
    assert backend.wait_response(a, timeout=20)["payload"] == "A"
    assert backend.wait_response(b, timeout=20)["payload"] == "B"
    events = backend.recv()
    assert [m["method"] for m in events] == ["before"]
    assert events[0]["type"] == "event"
    c.finish()


def test_events_both_ways(channel_dir, child):
    backend = ipckit.FileChannel.backend(channel_dir)
    c = child("""
        import ipckit, sys
        f = ipckit.FileChannel.frontend(sys.argv[1])
        m = f.recv_one(timeout=20)
        f.send_event("pong", {"got": m["method"], "payload": m["payload"]})
    """, channel_dir)
    backend.send_event("status_update", {"status": "ready"})
    backend.wait_for_messages(timeout=20)
    (event,) = backend.recv()
    assert event["method"] == "pong"
    assert event["payload"] == {"got": "status_update", "payload": {"status": "ready"}}
    c.finish()


def test_wait_response_timeout(channel_dir):
    backend = ipckit.FileChannel.backend(channel_dir)
    rid = backend.send_request("nobody", None)
    error, seconds = elapsed(backend.wait_response, rid, timeout_ms=300)
    assert isinstance(error, ipckit.IpcTimeoutError) and isinstance(error, TimeoutError)
    assert 0.29 <= seconds < 2.3
    with pytest.raises(TypeError):
        backend.wait_response(rid, timeout_ms=1, timeout=1)


def test_recv_one_without_messages(channel_dir):
    backend = ipckit.FileChannel.backend(channel_dir)
    assert backend.recv_one() is None
    result, seconds = elapsed(backend.recv_one, timeout=0.3)
    assert result is None and 0.29 <= seconds < 2.3
    assert backend.recv() == []


def test_burst_from_two_writers(channel_dir, child):
    """2 frontend processes x 300 events, each delivered once, in per-writer order."""
    backend = ipckit.FileChannel.backend(channel_dir)
    writer = """
        import ipckit, sys
        f = ipckit.FileChannel.frontend(sys.argv[1])
        for i in range(300):
            f.send_event("e", [sys.argv[2], i])
    """
    writers = [child(writer, channel_dir, w) for w in ("w0", "w1")]
    got = []
    deadline = time.monotonic() + 60
    while len(got) < 600 and time.monotonic() < deadline:
        try:
            backend.wait_for_messages(timeout=5)
        except TimeoutError:
            continue
        got += backend.recv()
    for w in writers:
        w.finish()
    got += backend.recv()
    assert len(got) == 600
    assert len({m["id"] for m in got}) == 600
    for w in ("w0", "w1"):
        assert [m["payload"][1] for m in got if m["payload"][0] == w] == list(range(300))
    # Messages sharing a millisecond are common here but not guaranteed on a
    # slow machine; test_foreign_writer_without_seq makes them certain.


def test_foreign_writer_without_seq(channel_dir):
    """An ipckit 0.1 style file: no seq/sender, identical timestamps."""
    backend = ipckit.FileChannel.backend(channel_dir)
    stamp = int(time.time() * 1000)
    messages = [{"id": "m%d" % i, "timestamp": stamp, "type": "event", "method": "old",
                 "payload": i} for i in range(5)]
    with open(os.path.join(channel_dir, "frontend_to_backend.json"), "w") as f:
        json.dump(messages, f)
    got = backend.recv()
    assert [m["id"] for m in got] == ["m0", "m1", "m2", "m3", "m4"]
    assert [m["payload"] for m in got] == [0, 1, 2, 3, 4]
    assert backend.recv() == []


def test_corrupt_file_is_an_error_and_loses_nothing(channel_dir):
    backend = ipckit.FileChannel.backend(channel_dir)
    path = os.path.join(channel_dir, "frontend_to_backend.json")
    good = [{"id": "ok1", "timestamp": 1, "type": "event", "method": "x", "payload": 1}]
    with open(path, "w") as f:
        f.write(json.dumps(good)[:-5])  # half written
    with pytest.raises(ipckit.CorruptError) as info:
        backend.recv()
    assert "frontend_to_backend.json" in str(info.value)
    with open(path, "w") as f:
        json.dump(good, f)
    assert [m["id"] for m in backend.recv()] == ["ok1"]


def test_clear_empties_both_files(channel_dir, child):
    # ipckit 0.1's clear() writes [] to both files; 0.1 programs rely on it.
    backend = ipckit.FileChannel.backend(channel_dir)
    backend.send_event("mine", 0)
    c = child("""
        import ipckit, sys
        f = ipckit.FileChannel.frontend(sys.argv[1])
        f.send_event("one", 1)
        f.send_event("two", 2)
    """, channel_dir)
    c.finish()
    backend.clear(timeout=5)
    assert backend.recv() == []
    for name in ("backend_to_frontend.json", "frontend_to_backend.json"):
        with open(os.path.join(channel_dir, name)) as f:
            assert json.load(f) == [], name
    frontend = ipckit.FileChannel.frontend(channel_dir)
    assert frontend.recv() == []  # "mine" went with the file
    frontend.send_event("after", 3)
    assert [m["method"] for m in backend.recv()] == ["after"]


def test_send_event_with_a_set_timestamp(channel_dir):
    # Two events of one millisecond, made certain rather than raced for.
    backend = ipckit.FileChannel.backend(channel_dir)
    frontend = ipckit.FileChannel.frontend(channel_dir)
    backend.send_event("a", 0, timestamp_ms=1700000000123)
    backend.send_event("a", 1, timestamp_ms=1700000000123)
    backend.send_event("b", 2)
    got = frontend.recv()
    assert [m["timestamp"] for m in got[:2]] == [1700000000123, 1700000000123]
    assert got[2]["timestamp"] > 1700000000123
    with pytest.raises(ValueError):
        backend.send_event("c", timestamp_ms=0)


def test_lock_waits_end_by_their_deadline_without_spinning(channel_dir):
    backend = ipckit.FileChannel.backend(channel_dir)
    lock = os.path.join(channel_dir, "backend_to_frontend.lock")
    # A live, fresh 0.1 lock (this pid) that is never released.
    with open(lock, "w") as f:
        f.write("%d\n" % os.getpid())
    cpu0 = time.process_time()
    result, seconds = elapsed(backend.send_event, "e", 1, timeout=1)
    cpu = time.process_time() - cpu0
    assert isinstance(result, ipckit.IpcTimeoutError), result
    assert 0.9 <= seconds < 5
    assert cpu < 0.1, "CPU over a 1 s wait: %.3f s" % cpu
    # A directory under the lock's name, stale by age: no wait could end it.
    os.unlink(lock)
    os.mkdir(lock)
    old = time.time() - 10
    os.utime(lock, (old, old))
    result, seconds = elapsed(backend.send_event, "e", 1, timeout=None)
    assert isinstance(result, PermissionError), result
    assert seconds < 5


def test_files_exist_at_open(channel_dir):
    # 0.1 creates them at open: its JS snippet fetches them before any send.
    ipckit.FileChannel.backend(channel_dir)
    for name in ("backend_to_frontend.json", "frontend_to_backend.json", ".channel_info"):
        path = os.path.join(channel_dir, name)
        assert os.path.isfile(path), name
        assert os.stat(path).st_mode & 0o777 == 0o600, name
    assert os.stat(channel_dir).st_mode & 0o777 == 0o700
    with open(os.path.join(channel_dir, "backend_to_frontend.json")) as f:
        assert json.load(f) == []


def test_shared_directory_needs_the_keyword(tmp_path):
    d = tmp_path / "shared"
    d.mkdir()
    os.chmod(d, 0o777)  # anyone may plant or swap files here
    with pytest.raises(PermissionError) as refused:
        ipckit.FileChannel.backend(str(d))
    assert "allow_shared_directory" in str(refused.value)
    with pytest.raises(PermissionError):
        ipckit.FileChannel.frontend(str(d), allow_shared_directory=False)
    backend = ipckit.FileChannel.backend(str(d), allow_shared_directory=True)
    backend.send_event("e", 1)
    frontend = ipckit.FileChannel.frontend(str(d), allow_shared_directory=True)
    assert [m["method"] for m in frontend.recv()] == ["e"]


def test_symlinked_channel_file_is_refused_and_not_read(channel_dir, tmp_path):
    frontend = ipckit.FileChannel.frontend(channel_dir)
    secret = tmp_path / "secret.json"
    secret.write_text('[{"id":"s","timestamp":1,"type":"event","method":"secret","payload":1}]')
    incoming = os.path.join(channel_dir, "backend_to_frontend.json")
    os.unlink(incoming)
    os.symlink(secret, incoming)
    with pytest.raises(PermissionError) as refused:
        frontend.recv()
    assert "symlink" in str(refused.value)


def test_fifo_named_like_a_channel_file_does_not_block(channel_dir):
    frontend = ipckit.FileChannel.frontend(channel_dir)
    incoming = os.path.join(channel_dir, "backend_to_frontend.json")
    os.unlink(incoming)
    os.mkfifo(incoming)
    result, seconds = elapsed(frontend.recv_one, timeout=2)
    assert isinstance(result, PermissionError) and "FIFO" in str(result), result
    assert seconds < 1.5


def test_unsupported_channel_info(tmp_path):
    d = tmp_path / "future"
    d.mkdir()
    (d / ".channel_info").write_text('{"version":"2.0","protocol":"file-ipc"}')
    with pytest.raises(ipckit.UnsupportedVersionError):
        ipckit.FileChannel.frontend(str(d))


def test_bad_arguments(channel_dir, tmp_path):
    backend = ipckit.FileChannel.backend(channel_dir)
    with pytest.raises(TypeError):
        backend.send_request("m", {1, 2})
    with pytest.raises(ValueError):
        backend.send_event("e", float("nan"))
    with pytest.raises(ValueError):
        ipckit.FileChannel.backend("")
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with pytest.raises(ValueError):
        ipckit.FileChannel.backend(str(not_a_dir))
    backend.close()
    with pytest.raises(ipckit.ClosedError):
        backend.recv()


def _spawned_frontend(channel_dir):
    f = ipckit.FileChannel.frontend(channel_dir)
    m = f.recv_one(timeout=30)
    f.send_response(m["id"], m["payload"] * 2)


def test_multiprocessing_spawn_frontend(channel_dir):
    backend = ipckit.FileChannel.backend(channel_dir)
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_spawned_frontend, args=(channel_dir,))
    proc.start()
    rid = backend.send_request("double", 21)
    try:
        assert backend.wait_response(rid, timeout=30)["payload"] == 42
    finally:
        proc.join(timeout=20)
    assert proc.exitcode == 0


# Format 2 (spec/file_channel.md): named readers and claimed requests.
HANDLER = """
import ipckit, os, sys
f = ipckit.FileChannel.frontend(sys.argv[1], reader=sys.argv[2])
print("ready", flush=True)
while True:
    m = f.recv_one(timeout=20)
    assert m is not None, "no message"
    if m["type"] == "event" and m["method"] == "quit":
        break
    if m["type"] == "request":
        print("handled", m["payload"], flush=True)
        f.send_response(m["id"], {"i": m["payload"], "pid": os.getpid()})
"""


def _responses_per_request(channel_dir):
    with open(os.path.join(channel_dir, "frontend_to_backend.json")) as fh:
        messages = json.load(fh)
    counts = {}
    for m in messages:
        if m["type"] == "response":
            counts[m["reply_to"]] = counts.get(m["reply_to"], 0) + 1
    return counts


def test_two_named_frontends_handle_each_request_once(channel_dir, child):
    backend = ipckit.FileChannel.backend(channel_dir)
    tabs = [child(HANDLER, channel_dir, name) for name in ("tab1", "tab2")]
    for tab in tabs:
        tab.expect("ready")
    ids = [backend.send_request("work", i) for i in range(30)]
    for request_id in ids:
        backend.wait_response(request_id, timeout=20)
    backend.send_event("quit", None)
    handled = sorted(int(line.split()[1]) for tab in tabs for line in tab.finish().splitlines())
    assert handled == list(range(30))
    assert _responses_per_request(channel_dir) == {request_id: 1 for request_id in ids}


def test_restarted_named_frontend_reruns_nothing_and_loses_nothing(channel_dir, child):
    backend = ipckit.FileChannel.backend(channel_dir)
    first = child(HANDLER, channel_dir, "main")
    first.expect("ready")
    early = [backend.send_request("work", i) for i in range(3)]
    first_pid = {backend.wait_response(request_id, timeout=20)["payload"]["pid"] for request_id in early}
    assert first_pid == {first.proc.pid}
    first.kill()
    late = [backend.send_request("work", i) for i in range(3, 6)]  # sent while no frontend runs
    second = child(HANDLER, channel_dir, "main")
    second.expect("ready")
    for request_id in late:
        backend.wait_response(request_id, timeout=20)
    backend.send_event("quit", None)
    assert second.finish().splitlines() == ["handled 3", "handled 4", "handled 5"]
    assert _responses_per_request(channel_dir) == {request_id: 1 for request_id in early + late}


def test_reader_name_is_one_instance_and_validated(channel_dir):
    with ipckit.FileChannel.frontend(channel_dir, reader="main"):
        with pytest.raises(ipckit.InUseError, match="its own reader name"):
            ipckit.FileChannel.frontend(channel_dir, reader="main")
    ipckit.FileChannel.frontend(channel_dir, reader="main").close()  # free again once closed
    with pytest.raises(ipckit.InvalidArgumentError):
        ipckit.FileChannel.frontend(channel_dir, reader="a/b")


def test_named_backend_resumes_and_acknowledged_messages_are_pruned(channel_dir):
    frontend = ipckit.FileChannel.frontend(channel_dir)
    with ipckit.FileChannel.backend(channel_dir, reader="server") as backend:
        frontend.send_event("a", 1)
        assert [m["method"] for m in backend.recv()] == ["a"]
    frontend.send_event("b", 2)
    with ipckit.FileChannel.backend(channel_dir, reader="server") as backend:
        assert [m["method"] for m in backend.recv()] == ["b"]  # no replay of "a"
    with open(os.path.join(channel_dir, ".reader.frontend_to_backend.server.json")) as fh:
        assert json.load(fh)["pos"] == 2


def test_claim_requests_off_gives_every_reader_every_request(channel_dir):
    backend = ipckit.FileChannel.backend(channel_dir)
    one = ipckit.FileChannel.frontend(channel_dir, claim_requests=False)
    two = ipckit.FileChannel.frontend(channel_dir, claim_requests=False)
    request_id = backend.send_request("work", 1)
    assert [m["id"] for m in one.recv()] == [request_id]
    assert [m["id"] for m in two.recv()] == [request_id]
    claimed = ipckit.FileChannel.frontend(channel_dir)
    assert [m["id"] for m in claimed.recv()] == [request_id]
    # A live claimant (this process) holds it against another reader.
    assert ipckit.FileChannel.frontend(channel_dir, reader="other").recv() == []
