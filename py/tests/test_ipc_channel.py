"""IpcChannel across real processes: messages of all sizes, JSON, several
clients, limits, timeouts, peer death and bad input."""

import multiprocessing
import os
import socket
import struct

import pytest

import ipckit
from conftest import elapsed

ECHO_CLIENT = """
import ipckit, sys
c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)
while True:
    try:
        c.send(c.recv(timeout=20))
    except ipckit.PeerClosedError:
        break
"""


@pytest.fixture
def server(unique_name):
    channel = ipckit.IpcChannel.create(unique_name("ch"))
    yield channel
    channel.close()


def test_messages_keep_their_boundaries(server, child):
    c = child(ECHO_CLIENT, server.name)
    server.wait_for_client(timeout=20)
    sizes = [0, 1, 5, 4096, 65537, 1 << 20]
    for size in sizes:
        server.send(os.urandom(size) if size else b"")
    for size in sizes:
        assert len(server.recv(timeout=20)) == size
    payload = bytes(range(256)) * 100
    server.send(bytearray(payload))
    assert server.recv(timeout=20) == payload
    server.disconnect()
    c.finish()


def test_json_messages(server, child):
    c = child("""
        import ipckit, sys
        c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)
        msg = c.recv_json(timeout=20)
        c.send_json({"echo": msg, "from": "child"})
    """, server.name)
    server.wait_for_client(timeout=20)
    message = {"type": "greeting", "message": "Hello!", "n": [1, 2.5, None, True], "é": "ü"}
    server.send_json(message)
    assert server.recv_json(timeout=20) == {"echo": message, "from": "child"}
    c.finish()


def test_send_json_bytes_equal_json_dumps(server, child):
    c = child("""
        import ipckit, sys
        c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)
        c.send(c.recv(timeout=20))
    """, server.name)
    server.wait_for_client(timeout=20)
    value = {"b": 1, "a": [0.1, "x"]}
    server.send_json(value)
    assert server.recv(timeout=20) == ipckit.json_dumps(value).encode()
    c.finish()


def test_recv_json_rejects_bad_json(server, child):
    c = child("""
        import ipckit, sys
        c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)
        c.send(b"{not json")
        c.send(b"[1]")
        c.recv(timeout=20)
    """, server.name)
    server.wait_for_client(timeout=20)
    with pytest.raises(ValueError):
        server.recv_json(timeout=20)
    assert server.recv_json(timeout=20) == [1]  # the channel is still in sync
    server.send(b"done")
    c.finish()


def test_peer_exit_is_peer_closed(server, child):
    c = child("""
        import ipckit, sys
        c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)
        c.send(b"last words")
    """, server.name)
    server.wait_for_client(timeout=20)
    assert server.recv(timeout=20) == b"last words"
    c.finish()
    with pytest.raises(ipckit.PeerClosedError) as info:
        server.recv(timeout=20)
    assert isinstance(info.value, ConnectionError)


def test_peer_killed_mid_frame_is_truncated(server, child):
    # The child writes raw bytes: a header announcing 100 bytes, then 10.
    c = child("""
        import os, signal, socket, struct, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        s.sendall(struct.pack("<I", 100) + b"0123456789")
        os.kill(os.getpid(), signal.SIGKILL)
    """, server.path)
    server.wait_for_client(timeout=20)
    with pytest.raises(ipckit.TruncatedError):
        server.recv(timeout=20)


def test_oversized_frame_is_refused_before_allocating(server, child):
    c = child("""
        import socket, struct, sys, time
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        s.sendall(struct.pack("<I", 0xFFFFFFFF))
        time.sleep(5)
    """, server.path)
    server.wait_for_client(timeout=20)
    with pytest.raises(ipckit.TooLargeError):
        server.recv(timeout=20)
    c.kill()


def test_max_payload_on_send(unique_name, child):
    channel = ipckit.IpcChannel.create(unique_name("ch"), max_payload=10)
    assert channel.max_payload == 10
    c = child("""
        import ipckit, sys
        c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20, max_payload=10)
        print(c.recv(timeout=20).decode(), flush=True)
    """, channel.name)
    channel.wait_for_client(timeout=20)
    with pytest.raises(ValueError) as info:  # TooLargeError is a ValueError for sends
        channel.send(b"x" * 11)
    assert info.value.error_class == "too_large"
    channel.send(b"x" * 10)
    c.expect("x" * 10)
    c.finish()
    channel.close()
    with pytest.raises(ValueError):
        ipckit.IpcChannel.create(unique_name("ch"), max_payload=-1)


def test_recv_timeout_keeps_a_partial_frame(server, child):
    c = child("""
        import socket, struct, sys, time
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        s.sendall(struct.pack("<I", 10) + b"01234")
        print("half", flush=True)
        sys.stdin.readline()
        s.sendall(b"56789")
        time.sleep(2)
    """, server.path)
    server.wait_for_client(timeout=20)
    c.expect("half")
    error, seconds = elapsed(server.recv, timeout=0.3)
    assert isinstance(error, ipckit.IpcTimeoutError)
    assert 0.29 <= seconds < 2.3
    c.proc.stdin.write("go\n")
    c.proc.stdin.flush()
    assert server.recv(timeout=20) == b"0123456789"


def test_several_clients(server, child):
    clients = [child("""
        import ipckit, sys
        c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)
        c.send(sys.argv[2].encode())
        print(c.recv(timeout=20).decode(), flush=True)
    """, server.name, "client %d" % i) for i in range(3)]
    connections = [server.accept(timeout=20) for _ in clients]
    for conn in connections:
        conn.send(b"re " + conn.recv(timeout=20))
    assert sorted(c.readline() for c in clients) == ["re client 0", "re client 1", "re client 2"]
    for c in clients:
        c.finish()
    for conn in connections:
        with pytest.raises(ipckit.PeerClosedError):
            conn.recv(timeout=20)
        conn.close()


def test_client_here_server_in_a_child(child, unique_name):
    name = unique_name("ch")
    c = child("""
        import ipckit, sys
        server = ipckit.IpcChannel.create(sys.argv[1])
        print("ready", flush=True)
        server.wait_for_client(timeout=20)
        server.send_json(server.recv_json(timeout=20) * 2)
        try:
            server.recv(timeout=20)
        except ipckit.PeerClosedError:
            print("client left", flush=True)
    """, name)
    c.expect("ready")
    client = ipckit.IpcChannel.connect(name, timeout=20)
    assert not client.is_server and client.name == name
    client.send_json([1, "a"])
    assert client.recv_json(timeout=20) == [1, "a", 1, "a"]
    client.close()
    c.expect("client left")
    c.finish()


def test_connect_timeout(unique_name):
    error, seconds = elapsed(ipckit.IpcChannel.connect, unique_name("ch"), timeout=0.3)
    assert isinstance(error, TimeoutError)
    assert 0.29 <= seconds < 2.3


def test_wire_format_is_length_prefixed(server):
    """A raw socket client sees the spec's frames: u32 LE length + payload."""
    raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    raw.connect(server.path)
    server.wait_for_client(timeout=20)
    server.send(b"hello")
    assert raw.recv(100) == struct.pack("<I", 5) + b"hello"
    raw.sendall(struct.pack("<I", 3) + b"abc")
    assert server.recv(timeout=20) == b"abc"
    raw.close()


def test_closed_channel(server):
    server.close()
    with pytest.raises(ipckit.ClosedError):
        server.recv(timeout=0)
    assert not os.path.exists(server.path)


def test_bad_arguments(server):
    with pytest.raises(TypeError):
        server.send("str is not bytes")
    with pytest.raises(TypeError):
        server.send_json({1, 2})
    with pytest.raises(ValueError):
        server.recv(timeout=-1)
    with pytest.raises(ValueError):
        ipckit.IpcChannel.create("bad/name")


def _spawned_echo(name):
    c = ipckit.IpcChannel.connect(name, timeout=20)
    c.send_json(c.recv_json(timeout=20))


def test_multiprocessing_spawn(server):
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_spawned_echo, args=(server.name,))
    proc.start()
    try:
        server.wait_for_client(timeout=30)
        server.send_json({"spawn": True})
        assert server.recv_json(timeout=20) == {"spawn": True}
    finally:
        proc.join(timeout=20)
    assert proc.exitcode == 0
