"""ipckit.aio's IpcChannel against real peer processes (blocking ipckit, or a raw
socket writing frames by hand): round trips, several clients, JSON, timeouts,
and cancellation that loses no message and leaves no half frame."""

import asyncio
import hashlib
import socket
import struct
import threading

import pytest

import ipckit
from ipckit import aio

# A blocking ipckit echo server: serves one client, echoing until it closes.
ECHO_SERVER = """
import ipckit, sys
with ipckit.IpcChannel.create(sys.argv[1]) as s:
    print("ready", flush=True)
    s.wait_for_client(timeout=20)
    while True:
        try:
            s.send(s.recv(timeout=20))
        except ipckit.PeerClosedError:
            break
"""

# A blocking server that reads nothing until told (a line on stdin), then
# prints the length and sha256 of each message until the client closes.
SLOW_READER = """
import hashlib, ipckit, sys
with ipckit.IpcChannel.create(sys.argv[1]) as s:
    print("ready", flush=True)
    s.wait_for_client(timeout=20)
    print("connected", flush=True)
    sys.stdin.readline()
    while True:
        try:
            m = s.recv(timeout=20)
        except ipckit.PeerClosedError:
            break
        print(len(m), hashlib.sha256(m).hexdigest(), flush=True)
"""


def run(coro, limit=60):
    """Runs `coro` on a fresh event loop, failing the test if it takes over `limit` s."""

    async def bounded():
        async with asyncio.timeout(limit):
            return await coro

    return asyncio.run(bounded())


async def line_from(c):
    """The child's next stdout line, read in a thread so that the loop runs on."""
    return await asyncio.to_thread(c.readline)


def tell(c, line="go"):
    c.proc.stdin.write(line + "\n")
    c.proc.stdin.flush()


async def waiting(task):
    """Lets `task` run up to its first wait (one loop turn runs its first step)."""
    await asyncio.sleep(0)
    assert not task.done()


async def cancel_while_waiting(coro):
    """Runs `coro` up to its first wait, then cancels it."""
    task = asyncio.create_task(coro)
    await waiting(task)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def digest(data):
    return "%d %s" % (len(data), hashlib.sha256(data).hexdigest())


def test_client_round_trips_with_a_blocking_server(child, unique_name):
    name = unique_name("aio")
    c = child(ECHO_SERVER, name)

    async def main():
        assert await line_from(c) == "ready"
        async with await aio.IpcChannel.connect(name, timeout=20) as ch:
            assert not ch.is_server and ch.name == name
            threads = threading.active_count()
            # Sizes up to 4 MiB: partial writes, the background tail, batched reads.
            sizes = [0, 1, 64, 4096, 65537, 1 << 20, 4 << 20]
            payloads = [bytes([n % 251]) * n for n in sizes]
            for p in payloads:
                await ch.send(p)
                assert await ch.recv(timeout=20) == p
            # Pipelined: many sends before the first recv, in order.
            for i in range(200):
                await ch.send(b"m%d" % i)
            for i in range(200):
                assert await ch.recv(timeout=20) == b"m%d" % i
            await ch.send_json({"a": [1, 2.5, None], "é": True})
            assert await ch.recv_json(timeout=20) == {"a": [1, 2.5, None], "é": True}
            assert threading.active_count() == threads, "a call started a thread"
        assert ch.closed
        with pytest.raises(ipckit.ClosedError):
            await ch.send(b"x")

    run(main())
    c.finish()


def test_server_serves_several_clients_with_accept(child, unique_name):
    name = unique_name("aio")
    client = """
        import ipckit, sys
        c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)
        for i in range(50):
            c.send(b"%s:%d" % (sys.argv[2].encode(), i))
            assert c.recv(timeout=20) == b"echo %s:%d" % (sys.argv[2].encode(), i)
        c.send_json({"done": sys.argv[2]})
        print(c.recv_json(timeout=20)["bye"], flush=True)
    """

    async def main():
        served = []

        async def serve(conn):
            async with conn:
                async for message in conn:
                    if message.startswith(b"{"):
                        served.append(ipckit.json_loads(message)["done"])
                        await conn.send_json({"bye": served[-1]})
                    else:
                        await conn.send(b"echo " + message)

        async with aio.IpcChannel.create(name) as server:
            assert server.is_server
            clients = [child(client, name, "c%d" % i) for i in range(3)]
            async with asyncio.TaskGroup() as tasks:
                for _ in clients:
                    tasks.create_task(serve(await server.accept(timeout=20)))
            for i, c in enumerate(clients):
                assert await line_from(c) == "c%d" % i
                c.finish()
        assert sorted(served) == ["c0", "c1", "c2"]

    run(main())


def test_wait_for_client_replaces_the_current_client(child, unique_name):
    name = unique_name("aio")
    client = """
        import ipckit, sys
        c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)
        c.send_json({"hello": sys.argv[2]})
        print(c.recv(timeout=20).decode(), flush=True)
    """

    async def main():
        async with aio.IpcChannel.create(name) as server:
            for who in ("first", "second"):
                c = child(client, name, who)
                await server.wait_for_client(timeout=20)
                assert server.is_connected
                assert await server.recv_json(timeout=20) == {"hello": who}
                await server.send(b"hi " + who.encode())
                assert await line_from(c) == "hi " + who
                c.finish()
            server.disconnect()
            assert not server.is_connected

    run(main())


def test_every_wait_honours_its_timeout(unique_name):
    async def main():
        with pytest.raises(ipckit.NotFoundError):  # no timeout: one attempt, as blocking
            await aio.IpcChannel.connect(unique_name("none"))
        with pytest.raises(ipckit.IpcTimeoutError):
            await aio.IpcChannel.connect(unique_name("none"), timeout=0.05)
        async with aio.IpcChannel.create(unique_name("aio")) as server:
            with pytest.raises(ipckit.IpcTimeoutError):
                await server.accept(timeout=0.05)
            with pytest.raises(TimeoutError):  # IpcTimeoutError is a TimeoutError
                await server.wait_for_client(timeout=0)
            client = await aio.IpcChannel.connect(server.name, timeout=20)
            conn = await server.accept(timeout=20)
            for call in (lambda: client.recv(timeout=0.05), lambda: conn.recv(timeout=0)):
                with pytest.raises(ipckit.IpcTimeoutError):
                    await call()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.05):
                    await client.recv()
            # Nothing was lost by any of them.
            await conn.send(b"late")
            assert await client.recv(timeout=20) == b"late"
            with pytest.raises(ValueError):
                await client.recv(timeout=-1)
            client.close()
            conn.close()

    run(main())


def test_peer_death_mid_frame_is_truncated_and_close_ends_async_for(child, unique_name):
    name = unique_name("aio")

    async def main():
        async with aio.IpcChannel.create(name) as server:
            c = child("""
                import socket, struct, sys
                s = socket.socket(socket.AF_UNIX)
                s.connect(sys.argv[1])
                s.sendall(struct.pack("<I", 3) + b"abc" + struct.pack("<I", 10) + b"12345")
            """, server.path)
            await server.wait_for_client(timeout=20)
            assert [m async for m in _until_error(server)] == [b"abc"]
            c.finish()

    run(main())


async def _until_error(ch):
    while True:
        try:
            yield await ch.recv(timeout=20)
        except ipckit.TruncatedError:
            return


def test_cancelled_recv_keeps_a_partial_frame(child, unique_name):
    name = unique_name("aio")
    writer = """
        import socket, struct, sys
        s = socket.socket(socket.AF_UNIX)
        s.connect(sys.argv[1])
        frame = struct.pack("<I", 6) + b"second"
        s.sendall(struct.pack("<I", 5) + b"fir")
        print("half", flush=True)
        sys.stdin.readline()
        s.sendall(b"st" + frame)
        sys.stdin.readline()
    """

    async def main():
        async with aio.IpcChannel.create(name) as server:
            c = child(writer, server.path)
            await server.wait_for_client(timeout=20)
            assert await line_from(c) == "half"
            # The half frame is read into the endpoint by this attempt...
            with pytest.raises(ipckit.IpcTimeoutError):
                await server.recv(timeout=0)
            # ...and a recv cancelled while waiting for the rest drops none of it.
            await cancel_while_waiting(server.recv())
            tell(c)
            assert await server.recv(timeout=20) == b"first"
            assert await server.recv(timeout=20) == b"second"
            tell(c)
            c.finish()

    run(main())


def test_recv_cancelled_after_its_message_arrived_loses_nothing(child, unique_name):
    name = unique_name("aio")
    sender = """
        import ipckit, sys
        c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)
        for _ in range(3):
            c.send(sys.stdin.readline().strip().encode())
            print("sent", flush=True)
    """

    async def main():
        async with aio.IpcChannel.create(name) as server:
            c = child(sender, name)
            await server.wait_for_client(timeout=20)
            for i in range(3):
                task = asyncio.create_task(server.recv())
                await waiting(task)
                tell(c, "msg%d" % i)
                # Read without running the loop: the message is in our socket
                # and the loop has not seen it yet.
                assert c.readline() == "sent"
                # Cancelled now, the task wakes in the same loop turn that
                # reads the message, which stays for the next recv.
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                assert await server.recv(timeout=20) == b"msg%d" % i
            c.finish()

    run(main())


def test_cancelled_send_leaves_no_half_frame(child, unique_name):
    name = unique_name("aio")
    c = child(SLOW_READER, name)
    big = bytes(range(256)) * (16 << 12)  # 4 MiB: far more than the socket buffer

    async def main():
        assert await line_from(c) == "ready"
        ch = await aio.IpcChannel.connect(name, timeout=20)
        assert await line_from(c) == "connected"
        # Started (its first bytes are out), then cancelled: it still goes out whole.
        await cancel_while_waiting(ch.send(big))
        # Not started (the socket is full), then timed out: nothing of it is sent.
        with pytest.raises(ipckit.IpcTimeoutError):
            await ch.send(b"never", timeout=0)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await ch.send(b"never either")
        tell(c)  # the peer reads now
        await ch.send(b"after")
        await ch.aclose()  # lets the frames still going out finish

    run(main())
    assert c.readline() == digest(big)
    assert c.readline() == digest(b"after")
    assert c.finish() == ""


def test_a_send_that_times_out_midway_still_delivers_before_the_next(child, unique_name):
    name = unique_name("aio")
    c = child(SLOW_READER, name)
    big = b"\x07" * (3 << 20)

    async def main():
        assert await line_from(c) == "ready"
        async with await aio.IpcChannel.connect(name, timeout=20) as ch:
            assert await line_from(c) == "connected"
            with pytest.raises(ipckit.IpcTimeoutError):
                await ch.send(big, timeout=0)
            tell(c)
            await ch.send(b"next")  # waits for the tail of `big`, then goes

    run(main())
    assert c.readline() == digest(big)
    assert c.readline() == digest(b"next")
    c.finish()


def test_wraps_a_blocking_object_and_refuses_a_second_loop(child, unique_name):
    name = unique_name("aio")
    c = child(ECHO_SERVER, name)
    assert c.readline() == "ready"
    raw = ipckit.IpcChannel.connect(name, timeout=20)
    ch = aio.IpcChannel(raw)
    assert ch.raw is raw

    async def first():
        with pytest.raises(ipckit.IpcTimeoutError):
            await ch.recv(timeout=0.01)  # it waited on this loop: bound to it now
        await ch.send(b"x")
        return await ch.recv(timeout=20)

    async def second():
        await ch.recv(timeout=0.01)

    assert run(first()) == b"x"
    with pytest.raises(RuntimeError, match="another event loop"):
        run(second())
    ch.close()
    c.finish()


def test_frames_written_by_hand_match_the_wire_format(unique_name):
    """The asyncio side speaks spec/channel_framing.md to a raw socket peer."""

    async def main():
        async with aio.IpcChannel.create(unique_name("aio")) as server:
            sock = socket.socket(socket.AF_UNIX)
            sock.connect(server.path)
            await server.wait_for_client(timeout=20)
            await server.send(b"hello")
            assert sock.recv(64) == struct.pack("<I", 5) + b"hello"
            sock.sendall(struct.pack("<I", 2) + b"ok" + struct.pack("<I", 0))
            assert await server.recv(timeout=20) == b"ok"
            assert await server.recv(timeout=20) == b""
            sock.close()
            with pytest.raises(ipckit.PeerClosedError):
                await server.recv(timeout=20)

    run(main())


def test_a_timed_out_wait_for_client_keeps_the_current_client(child, unique_name):
    name = unique_name("aio")
    client = """
        import ipckit, sys
        c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)
        c.send(b"one")
        c.send(b"two")
        print("sent", flush=True)
        assert c.recv(timeout=20) == b"still here"
    """

    async def main():
        async with aio.IpcChannel.create(name) as server:
            c = child(client, name)
            await server.wait_for_client(timeout=20)
            assert await line_from(c) == "sent"
            assert await server.recv(timeout=20) == b"one"  # "two" is read ahead with it
            with pytest.raises(ipckit.IpcTimeoutError):
                await server.wait_for_client(timeout=0.05)
            assert server.is_connected
            assert await server.recv(timeout=20) == b"two"
            await server.send(b"still here")
            c.finish()

    run(main())
