"""NamedPipe across real processes: both directions, several clients, late
servers, timeouts, stale sockets, peer death and bad names."""

import multiprocessing
import os
import stat
import time

import pytest

import ipckit
from conftest import elapsed

CLIENT = """
import ipckit, sys
client = ipckit.NamedPipe.connect(sys.argv[1], timeout=20)
client.write_all(sys.argv[2].encode())
print(client.read(1024, timeout=20).decode(), flush=True)
"""


def test_python_server_and_client_processes(child, unique_name):
    name = unique_name("np")
    with ipckit.NamedPipe.create(name) as server:
        assert server.is_server and server.name == name
        assert server.path == "/tmp/%s.sock" % name
        c = child(CLIENT, name, "hello from client")
        server.wait_for_client(timeout=20)
        assert server.is_connected
        assert server.read_exact(17, timeout=20) == b"hello from client"
        server.write_all(b"response", timeout=20)
        c.expect("response")
        c.finish()
        assert server.read(10, timeout=20) == b""  # the client exited: EOF


def test_client_here_server_in_a_child(child, unique_name):
    name = unique_name("np")
    c = child("""
        import ipckit, sys
        server = ipckit.NamedPipe.create(sys.argv[1])
        print("ready", flush=True)
        server.wait_for_client(timeout=20)
        data = server.read_exact(5, timeout=20)
        server.write_all(data.upper(), timeout=20)
        server.read(1, timeout=20)  # wait for the client to hang up
    """, name)
    c.expect("ready")
    client = ipckit.NamedPipe.connect(name, timeout=20)
    assert not client.is_server
    client.write_all(b"hello")
    assert client.read_exact(5, timeout=20) == b"HELLO"
    client.close()
    c.finish()


def test_connect_waits_for_a_late_server(child, unique_name):
    name = unique_name("np")
    c = child(CLIENT, name, "late")
    time.sleep(0.5)
    server = ipckit.NamedPipe.create(name)
    server.wait_for_client(timeout=20)
    assert server.read_exact(4, timeout=20) == b"late"
    server.write(b"ok")
    c.expect("ok")
    c.finish()


CONNECT_TO_NOBODY = """
import ipckit, sys, time
start = time.monotonic()
try:
    getattr(ipckit, sys.argv[1]).connect(sys.argv[2])
    print("connected", flush=True)
except Exception as e:
    ok = isinstance(e, ipckit.NotFoundError) and isinstance(e, FileNotFoundError)
    print(type(e).__name__, ok, sys.argv[2] in str(e), time.monotonic() - start < 5, flush=True)
"""


@pytest.mark.parametrize("cls", ["NamedPipe", "IpcChannel"])
def test_connect_to_nobody_fails_at_once(child, unique_name, cls):
    """0.1 raises FileNotFoundError at once; ours waited forever (hence a child)."""
    name = unique_name("nobody")
    c = child(CONNECT_TO_NOBODY, cls, name)
    c.expect("NotFoundError True True True")
    c.finish()


def test_connect_to_a_stale_socket_fails_at_once(child, unique_name):
    import socket
    name = unique_name("stale")
    path = "/tmp/%s.sock" % name
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(path)  # bound, never listening: a dead server's file
    try:
        c = child(CONNECT_TO_NOBODY, "NamedPipe", name)
        c.expect("NotFoundError True True True")
        c.finish()
    finally:
        os.unlink(path)


READ_TO_EOF = """
import hashlib, ipckit, sys
client = ipckit.NamedPipe.connect(sys.argv[1], timeout=20)
h, n = hashlib.sha256(), 0
while True:
    chunk = client.read(1 << 16, timeout=60)
    if not chunk:
        break
    h.update(chunk)
    n += len(chunk)
print(n, h.hexdigest(), flush=True)
"""


def test_write_sends_everything(child, unique_name):
    """0.1's write delivers all of 10 MiB; ours did one short write (about 200 KiB)."""
    import hashlib
    size = 10 * 1024 * 1024
    data = bytes(range(256)) * (size // 256)
    name = unique_name("np")
    server = ipckit.NamedPipe.create(name)
    c = child(READ_TO_EOF, name)
    server.wait_for_client(timeout=20)
    assert server.write(data, timeout=60) == size
    server.disconnect()
    c.expect("%d %s" % (size, hashlib.sha256(data).hexdigest()), timeout=60)
    c.finish()
    server.close()


def test_write_some_is_the_short_write(unique_name):
    name = unique_name("np")
    server = ipckit.NamedPipe.create(name)
    client = ipckit.NamedPipe.connect(name, timeout=5)
    server.wait_for_client(timeout=5)
    n = client.write_some(b"x" * (16 * 1024 * 1024), timeout=5)
    assert 0 < n < 16 * 1024 * 1024  # nobody reads: the socket buffer takes only part
    server.close()


def test_connect_times_out_naming_the_path(unique_name):
    name = unique_name("np")
    error, seconds = elapsed(ipckit.NamedPipe.connect, name, timeout=0.4)
    assert isinstance(error, ipckit.IpcTimeoutError), error
    assert "/tmp/%s.sock" % name in str(error)
    assert 0.39 <= seconds < 2.5


def test_several_clients_each_with_its_own_connection(child, unique_name):
    name = unique_name("np")
    server = ipckit.NamedPipe.create(name)
    clients = [child(CLIENT, name, "client %d" % i) for i in range(3)]
    connections = [server.accept(timeout=20) for _ in clients]
    seen = set()
    for conn in connections:
        msg = conn.read_exact(8, timeout=20)
        seen.add(msg)
        conn.write_all(b"re " + msg)
    assert seen == {b"client 0", b"client 1", b"client 2"}
    replies = sorted(c.readline() for c in clients)
    assert replies == ["re client 0", "re client 1", "re client 2"]
    for c in clients:
        c.finish()
    for conn in connections:
        conn.close()


def test_live_server_is_in_use(child, unique_name):
    name = unique_name("np")
    server = ipckit.NamedPipe.create(name)
    c = child("""
        import ipckit, sys
        try:
            ipckit.NamedPipe.create(sys.argv[1])
        except ipckit.InUseError as e:
            assert isinstance(e, FileExistsError)
            print("in_use", e.error_class, flush=True)
    """, name)
    c.expect("in_use in_use")
    c.finish()
    server.close()


def test_stale_socket_of_a_killed_server_is_reclaimed(child, unique_name):
    name = unique_name("np")
    c = child("""
        import ipckit, os, signal, sys
        server = ipckit.NamedPipe.create(sys.argv[1])
        os.kill(os.getpid(), signal.SIGKILL)
    """, name)
    c.proc.wait(timeout=20)
    path = "/tmp/%s.sock" % name
    assert os.path.exists(path)  # left behind by the dead server
    server = ipckit.NamedPipe.create(name)
    server.close()


def test_socket_file_mode_and_removal(unique_name):
    name = unique_name("np")
    server = ipckit.NamedPipe.create(name)
    assert stat.S_IMODE(os.stat(server.path).st_mode) == 0o600
    server.close()
    assert not os.path.exists("/tmp/%s.sock" % name)
    assert server.name == name  # still answers after close
    with pytest.raises(ipckit.ClosedError):
        server.read(1)


def test_peer_killed_midway(child, unique_name):
    name = unique_name("np")
    server = ipckit.NamedPipe.create(name)
    c = child("""
        import ipckit, os, signal, sys
        client = ipckit.NamedPipe.connect(sys.argv[1], timeout=20)
        client.write_all(b"abc")
        os.kill(os.getpid(), signal.SIGKILL)
    """, name)
    server.wait_for_client(timeout=20)
    with pytest.raises(ipckit.TruncatedError):
        server.read_exact(10, timeout=20)
    assert server.read(10) == b"abc"  # kept, not lost
    assert server.read(10, timeout=20) == b""
    with pytest.raises(ipckit.PeerClosedError):
        server.read_exact(1, timeout=20)
    with pytest.raises(ipckit.PeerClosedError):
        for _ in range(100):  # the first writes may still fit in the socket buffer
            server.write_all(b"x" * 65536, timeout=5)
    c.proc.wait(timeout=20)


def test_wait_for_client_then_another(child, unique_name):
    name = unique_name("np")
    server = ipckit.NamedPipe.create(name)
    for i in range(2):
        c = child(CLIENT, name, "round %d" % i)
        server.wait_for_client(timeout=20)
        assert server.read_exact(7, timeout=20) == b"round %d" % i
        server.write(b"bye")
        c.expect("bye")
        c.finish()
        server.disconnect()
        assert not server.is_connected


@pytest.mark.parametrize("bad", ["", "../x", "a" * 65, "-dash", "sp ace", "rel/ative"])
def test_bad_names(bad):
    with pytest.raises(ValueError) as info:
        ipckit.NamedPipe.create(bad)
    assert info.value.error_class == "invalid_argument"


def test_wait_for_client_on_a_client_is_an_error(child, unique_name):
    name = unique_name("np")
    server = ipckit.NamedPipe.create(name)
    client = ipckit.NamedPipe.connect(name, timeout=5)
    with pytest.raises(ValueError):
        client.wait_for_client(timeout=1)
    server.close()


def _spawned_client(name, queue):
    client = ipckit.NamedPipe.connect(name, timeout=20)
    client.write_all(b"from spawn")
    queue.put(client.read_exact(3, timeout=20))


def test_multiprocessing_spawn_client(unique_name):
    name = unique_name("np")
    server = ipckit.NamedPipe.create(name)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_spawned_client, args=(name, queue))
    proc.start()
    try:
        server.wait_for_client(timeout=30)
        assert server.read_exact(10, timeout=20) == b"from spawn"
        server.write_all(b"ack")
        assert queue.get(timeout=20) == b"ack"
    finally:
        proc.join(timeout=20)
    assert proc.exitcode == 0
