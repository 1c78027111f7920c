"""Friction a new user met (issue 14): errors in Python's names, pathlib.Path
arguments, and write_all from several threads."""

import pathlib
import threading

import pytest

import ipckit


def test_errors_name_python_methods_not_cpp_ones(unique_name):
    with ipckit.IpcChannel.create(unique_name("fr")) as channel:
        with pytest.raises(ipckit.ClosedError) as raised:
            channel.send(b"x", timeout=1)
    message = str(raised.value)
    assert "wait_for_client()" in message, message
    assert "WaitForClient" not in message, message


def test_wait_set_errors_name_the_python_method(unique_name):
    wait_set = ipckit.ShmWaitSet()
    with pytest.raises(ipckit.InvalidArgumentError) as empty:
        wait_set.wait(timeout=0)
    with ipckit.ShmSubscriber.create(unique_name("fr_ws")) as subscriber:
        wait_set.add(subscriber)
        with pytest.raises(ipckit.IpcTimeoutError) as quiet:
            wait_set.wait(timeout=0)
    for raised in (empty, quiet):
        assert str(raised.value).startswith("ShmWaitSet.wait(): "), str(raised.value)
        assert "WaitSet::Wait" not in str(raised.value)


def test_path_arguments(unique_name, tmp_path):
    name = unique_name("fr")
    with ipckit.IpcChannel.create(pathlib.Path("/tmp") / name) as server:
        assert server.path == "/tmp/%s.sock" % name or server.path == "/tmp/" + name
        with ipckit.IpcChannel.connect(pathlib.Path("/tmp") / name, timeout=5):
            pass
    with ipckit.NamedPipe.create(pathlib.PurePosixPath(name + "_np")) as pipe:
        with ipckit.NamedPipe.connect(pathlib.PurePosixPath(name + "_np"), timeout=5):
            pass
    with ipckit.SharedMemory.create(pathlib.PurePosixPath(name), 64) as shm:
        with ipckit.SharedMemory.open(pathlib.PurePosixPath(name), timeout=5) as same:
            assert same.size == shm.size
    channel = ipckit.FileChannel.backend(tmp_path / "channel")
    try:
        assert (tmp_path / "channel" / ".channel_info").exists()
    finally:
        channel.close()
    with ipckit.ShmSubscriber.create(pathlib.PurePosixPath(name + "_msg")) as subscriber:
        with ipckit.ShmPublisher.create(pathlib.PurePosixPath(name + "_msg")) as publisher:
            publisher.send_copy(b"p")
            assert subscriber.receive(timeout=5).bytes() == b"p"
    with ipckit.BridgeServer(tmp_path / "bridged") as bridge:
        assert bridge.dir == str(tmp_path / "bridged")
    with pytest.raises(TypeError):
        ipckit.IpcChannel.create(b"/tmp/" + name.encode())  # names are text
    with pytest.raises(TypeError):
        ipckit.IpcChannel.create(7)


def test_write_all_from_four_threads_never_interleaves(unique_name):
    # Chunks larger than the socket buffer, so each write_all blocks midway
    # and another thread could slip its bytes in between.
    threads, per_thread, chunk = 4, 6, 256 * 1024
    name = unique_name("fr_wa")
    with ipckit.NamedPipe.create(name) as server:
        client = ipckit.NamedPipe.connect(name, timeout=10)
        server.wait_for_client(timeout=10)
        total = threads * per_thread * chunk
        received = bytearray()

        def read_all():
            while len(received) < total:
                received.extend(server.read(min(65536, total - len(received)), timeout=60))

        def write(tag):
            for i in range(per_thread):
                client.write_all(bytes([tag * per_thread + i]) * chunk, timeout=60)

        reader = threading.Thread(target=read_all)
        writers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
        for t in [reader] + writers:
            t.start()
        for t in writers + [reader]:
            t.join(timeout=120)
            assert not t.is_alive()
        client.close()
    assert len(received) == total
    seen = []
    for start in range(0, total, chunk):
        piece = received[start:start + chunk]
        assert piece == bytes([piece[0]]) * chunk, "chunk at %d interleaved" % start
        seen.append(piece[0])
    assert sorted(seen) == list(range(threads * per_thread))
