"""Shared-memory request/response: ShmClient, ShmServer, ShmRequest."""

import os
import threading

import pytest

import ipckit
from conftest import elapsed


def _services_exist(name):
    return any(os.path.exists("/dev/shm/ipckit_msg.%s.%s" % (name, s)) for s in ("rq", "rs"))


_SERVER = """
    import sys
    import ipckit
    with ipckit.ShmServer.create(sys.argv[1], max_servers=2) as server:
        print("serving", flush=True)
        pair = []
        while True:
            req = server.receive(timeout=30)
            if req.data == b"hold":
                print("holding", flush=True)
                sys.stdin.readline()
            elif req.data.startswith(b"pair"):
                pair.append(req)
                if len(pair) == 2:  # answered together, newest first
                    for r in reversed(pair):
                        server.respond(r, b"re:" + r.data)
                    pair = []
            else:
                server.respond(req, b"re:" + req.data)
"""


def test_requests_in_flight_across_processes_and_a_killed_server(child, unique_name):
    name = unique_name("rpc")
    with ipckit.ShmClient.create(name, max_servers=2) as client:
        with pytest.raises(ipckit.NotFoundError):
            client.send(b"nobody", timeout=1)
        server = child(_SERVER, name)
        server.expect("serving")
        a = client.send(b"pair a", timeout=5)
        b = client.send(b"pair b", timeout=5)
        assert b == a + 1 and client.in_flight == 2
        # Answered b first; asked for a first.
        assert client.receive(a, timeout=10) == b"re:pair a"
        assert client.receive(b, timeout=10) == b"re:pair b"
        assert client.call(memoryview(b"ccc"), timeout=10) == b"re:ccc"
        assert client.in_flight == 0
        d = client.send(b"hold", timeout=5)
        server.expect("holding")
        server.kill()  # SIGKILL while it holds the request
        result, took = elapsed(client.receive, d, timeout=10)
        assert isinstance(result, ipckit.PeerClosedError), result
        assert took < 5
        assert client.in_flight == 0
    assert not _services_exist(name)


def test_server_answering_a_killed_client_gets_peer_closed(child, unique_name):
    name = unique_name("rpc")
    with ipckit.ShmServer.create(name) as server:
        c = child("""
            import sys
            import ipckit
            client = ipckit.ShmClient.create(sys.argv[1])
            client.send(b"question", timeout=5)
            print("sent", flush=True)
            sys.stdin.readline()
        """, name)
        c.expect("sent")
        c.kill()
        req = server.receive(timeout=10)
        assert (req.data, req.client) == (b"question", 0)
        with pytest.raises(ipckit.PeerClosedError):
            server.respond(req, b"answer")
        # No client: receive times out, it never reports PeerClosedError.
        with pytest.raises(ipckit.IpcTimeoutError):
            server.receive(timeout=0.01)
    assert not _services_exist(name)


def test_receive_releases_the_gil_and_errors_are_clear(unique_name):
    name = unique_name("rpc")
    with ipckit.ShmServer.create(name, max_in_flight=2) as server, \
            ipckit.ShmClient.create(name, max_in_flight=2) as client:
        got = []
        t = threading.Thread(target=lambda: got.append(server.receive(timeout=10)))
        t.start()
        rid = client.send(b"ping", timeout=5)  # runs while the server thread waits
        t.join()
        assert got[0].data == b"ping" and got[0].id == rid
        client.send(b"second", timeout=5)
        with pytest.raises(ipckit.InUseError):
            client.send(b"third", timeout=5)
        with pytest.raises(ipckit.IpcTimeoutError):
            client.receive(rid, timeout=0.01)
        server.respond(got[0], b"pong")
        assert client.receive(rid, timeout=5) == b"pong"
        with pytest.raises(ipckit.InvalidArgumentError):
            client.receive(rid, timeout=1)  # already received
        with pytest.raises(ipckit.TooLargeError):
            client.send(b"x" * 4097, timeout=1)
        with pytest.raises(ipckit.InvalidArgumentError):
            ipckit.ShmServer.create(name, max_request=10)  # configuration differs
    assert not _services_exist(name)
