"""ipckit.aio's NamedPipe, AnonymousPipe and FileChannel against real peer
processes running the blocking ipckit API: byte streams, end of stream, every
wait's timeout, cancelled reads and writes that lose or split nothing, and
FileChannel messages woken by inotify."""

import asyncio
import hashlib
import os
import subprocess
import sys
import textwrap

import pytest

import ipckit
from ipckit import aio
from test_aio import cancel_while_waiting, digest, line_from, run, tell, waiting


def test_named_pipe_server_with_a_blocking_client(child, unique_name):
    name = unique_name("aio")
    client = """
        import ipckit, sys
        c = ipckit.NamedPipe.connect(sys.argv[1], timeout=20)
        c.write(b"hello ")
        c.write(b"world" * 10000)
        print(c.read_exact(5, timeout=20).decode(), flush=True)
    """

    async def main():
        async with aio.NamedPipe.create(name) as server:
            c = child(client, name)
            await server.wait_for_client(timeout=20)
            assert await server.read_exact(6, timeout=20) == b"hello "
            got = bytearray()
            while len(got) < 50000:
                got += await server.read(65536, timeout=20)
            assert got == b"world" * 10000
            assert await server.write(b"thank") == 5
            assert await line_from(c) == "thank"
            assert [chunk async for chunk in server] == []  # then end of stream
            c.finish()

    run(main())


def test_named_pipe_accepts_several_clients(child, unique_name):
    name = unique_name("aio")
    client = """
        import ipckit, sys
        c = ipckit.NamedPipe.connect(sys.argv[1], timeout=20)
        c.write(sys.argv[2].encode() * 1000)
    """

    async def main():
        async with aio.NamedPipe.create(name) as server:
            children = [child(client, name, letter) for letter in "abc"]

            async def drain(conn):
                async with conn:
                    return b"".join([chunk async for chunk in conn])

            conns = [await server.accept(timeout=20) for _ in children]
            got = await asyncio.gather(*(drain(conn) for conn in conns))
            assert sorted(got) == [letter.encode() * 1000 for letter in "abc"]
            for c in children:
                c.finish()

    run(main())


def test_cancelled_read_exact_keeps_its_bytes(child, unique_name):
    name = unique_name("aio")
    client = """
        import ipckit, sys
        c = ipckit.NamedPipe.connect(sys.argv[1], timeout=20)
        c.write(b"abc")
        print("wrote", flush=True)
        sys.stdin.readline()
        c.write(b"defg")
    """

    async def main():
        async with aio.NamedPipe.create(name) as server:
            c = child(client, name)
            await server.wait_for_client(timeout=20)
            assert await line_from(c) == "wrote"
            with pytest.raises(ipckit.IpcTimeoutError):
                await server.read_exact(6, timeout=0)  # takes "abc", then times out
            await cancel_while_waiting(server.read_exact(6))
            tell(c)
            assert await server.read_exact(6, timeout=20) == b"abcdef"
            assert await server.read(10, timeout=20) == b"g"
            with pytest.raises(ipckit.PeerClosedError):
                await server.read_exact(1, timeout=20)
            c.finish()

    run(main())


def test_cancelled_write_goes_out_whole_before_the_next(child, unique_name):
    name = unique_name("aio")
    reader = """
        import hashlib, ipckit, sys
        c = ipckit.NamedPipe.connect(sys.argv[1], timeout=20)
        sys.stdin.readline()
        data = bytearray()
        while True:
            chunk = c.read(1 << 20, timeout=20)
            if not chunk:
                break
            data += chunk
        print(len(data), hashlib.sha256(data).hexdigest(), flush=True)
    """
    big = os.urandom(4 << 20)

    async def main():
        async with aio.NamedPipe.create(name) as server:
            c = child(reader, name)
            await server.wait_for_client(timeout=20)
            await cancel_while_waiting(server.write(big))  # part of it is out; the socket is full
            # Later writes wait their turn behind the rest of `big`.
            with pytest.raises(ipckit.IpcTimeoutError):
                await server.write(b"X", timeout=0)
            tell(c)
            assert await server.write(b"END", timeout=20) == 3
        return c

    c = run(main())
    assert c.readline() == digest(big + b"END")
    c.finish()


def test_anonymous_pipes_with_a_child_process(tmp_path):
    to_child = aio.AnonymousPipe()
    from_child = aio.AnonymousPipe()
    code = textwrap.dedent("""
        import ipckit, sys
        inbox = ipckit.AnonymousPipe.from_fds(reader_fd=int(sys.argv[1]))
        outbox = ipckit.AnonymousPipe.from_fds(writer_fd=int(sys.argv[2]))
        while True:
            data = inbox.read(65536, timeout=20)
            if not data:
                break
            outbox.write(data.upper())
        outbox.close()
    """)
    fds = (to_child.raw.detach_reader(), from_child.raw.detach_writer())
    proc = subprocess.Popen([sys.executable, "-c", code, *map(str, fds)], pass_fds=fds)
    for fd in fds:
        os.close(fd)

    async def main():
        sent = b"stream of bytes " * 20000
        got = bytearray()

        async def collect():
            async for chunk in from_child:
                got.extend(chunk)

        reader = asyncio.create_task(collect())
        assert await to_child.write(sent, timeout=20) == len(sent)
        to_child.close_writer()
        await asyncio.wait_for(reader, 20)
        assert got == sent.upper()
        with pytest.raises(ipckit.IpcTimeoutError):
            await aio.AnonymousPipe().read(1, timeout=0.05)

    try:
        run(main())
    finally:
        to_child.close()
        from_child.close()
        assert proc.wait(20) == 0


def test_named_pipe_timeouts(unique_name):
    async def main():
        with pytest.raises(ipckit.NotFoundError):
            await aio.NamedPipe.connect(unique_name("none"))
        with pytest.raises(ipckit.IpcTimeoutError):
            await aio.NamedPipe.connect(unique_name("none"), timeout=0.05)
        async with aio.NamedPipe.create(unique_name("aio")) as server:
            with pytest.raises(ipckit.IpcTimeoutError):
                await server.wait_for_client(timeout=0.05)
            client = await aio.NamedPipe.connect(server.name, timeout=20)
            await server.wait_for_client(timeout=20)
            with pytest.raises(ipckit.IpcTimeoutError):
                await server.read(10, timeout=0.05)
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.05):
                    await client.read_exact(1)
            await client.write_some(b"z")
            assert await server.read(10, timeout=20) == b"z"
            client.close()

    run(main())


BLOCKING_FRONTEND = """
import ipckit, sys
ch = ipckit.FileChannel.frontend(sys.argv[1])
print("ready", flush=True)
request = ch.recv_one(timeout=20)
assert request["type"] == "request" and request["method"] == "getData", request
sys.stdin.readline()
ch.send_event("progress", {"percent": 50})
ch.send_response(request["id"], {"value": request["payload"]["key"].upper()})
ch.send_event("done", None)
"""


def test_file_channel_backend_with_a_blocking_frontend(child, tmp_path):
    directory = tmp_path / "channel"

    async def main():
        async with aio.FileChannel.backend(directory) as backend:
            c = child(BLOCKING_FRONTEND, directory)
            assert await line_from(c) == "ready"
            with pytest.raises(ipckit.IpcTimeoutError):
                await backend.recv_one(timeout=0.05)
            request_id = await backend.send_request("getData", {"key": "user"})
            waiter = asyncio.create_task(backend.wait_response(request_id, timeout=20))
            await waiting(waiter)
            tell(c)
            response = await waiter
            assert response["reply_to"] == request_id
            assert response["payload"] == {"value": "USER"}
            # The events that came meanwhile stay queued, in order.
            events = []
            async for message in backend:
                events.append((message["method"], message["payload"]))
                if message["method"] == "done":
                    break
            assert events == [("progress", {"percent": 50}), ("done", None)]
            assert backend.recv() == []
            c.finish()

    run(main())


def test_file_channel_cancelled_wait_loses_nothing(child, tmp_path):
    directory = tmp_path / "channel"
    frontend = """
        import ipckit, sys
        ch = ipckit.FileChannel.frontend(sys.argv[1])
        ch.send_event(sys.stdin.readline().strip(), None)
        print("sent", flush=True)
    """

    async def main():
        async with aio.FileChannel.backend(directory) as backend:
            c = child(frontend, directory)
            task = asyncio.create_task(backend.recv_one())
            await waiting(task)
            tell(c, "one")
            assert c.readline() == "sent"  # in the file; the loop has not looked
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await backend.wait_for_messages(timeout=20)
            message = await backend.recv_one(timeout=20)
            assert message["method"] == "one"
            c.finish()

    run(main())
