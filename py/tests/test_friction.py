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
    with pytest.raises(TypeError):
        ipckit.IpcChannel.create(b"/tmp/" + name.encode())  # names are text
    with pytest.raises(TypeError):
        ipckit.IpcChannel.create(7)
