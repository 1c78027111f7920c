"""Checked with `mypy --strict` by py/run_tests.sh (never run): every name
or directory argument takes a pathlib.Path as well as a str (issue 14)."""

import pathlib

import ipckit


def open_everything(tmp: pathlib.Path, name: pathlib.PurePosixPath) -> None:
    with ipckit.IpcChannel.create(name), ipckit.IpcChannel.connect(name, timeout=1):
        pass
    with ipckit.NamedPipe.create(name), ipckit.NamedPipe.connect(name, timeout=1):
        pass
    with ipckit.SharedMemory.create(name, 64), ipckit.SharedMemory.open(name, timeout=1):
        ipckit.SharedMemory.remove_if_stale(name)
    with ipckit.ShmPublisher.create(name), ipckit.ShmSubscriber.create(name):
        pass
    with ipckit.FileChannel.backend(tmp / "ch"), ipckit.FileChannel.frontend(tmp / "ch"):
        pass
    with ipckit.BridgeServer(tmp / "ch") as bridge:
        print(bridge.url)
    with ipckit.IpcChannel.create("plain_str_still_works"):
        pass
