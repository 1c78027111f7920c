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
