"""GracefulIpcChannel and GracefulNamedPipe: ipckit 0.1's shutdown wrappers.

    ch = GracefulIpcChannel.create("jobs")
    ch.wait_for_client()
    ...
    ch.shutdown()              # new operations raise ClosedError; a blocked recv wakes
    ch.drain()                 # waits for operations already running
    ch.shutdown_timeout(5000)  # both, bounded (IpcTimeoutError)

Unlike 0.1 (where a second thread gets "Already mutably borrowed"),
shutdown() may be called from any thread while another is blocked in recv or
read: that call wakes within a short slice and raises ClosedError.
"""

import threading
from contextlib import contextmanager
from typing import Any, Optional

from ipckit._ipckit import ClosedError, IpcChannel, IpcTimeoutError, NamedPipe

# How often a blocked receive looks at the shutdown flag. The native calls
# take a timeout but no wake-up handle, so this is the bound on shutdown's delay.
_SLICE = 0.05


class _Shutdown:
    """The flag and the count of running operations."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._down = False
        self._running = 0

    @property
    def is_shutdown(self) -> bool:
        with self._cond:
            return self._down

    @contextmanager
    def operation(self):
        with self._cond:
            if self._down:
                raise ClosedError("Channel closed")
            self._running += 1
            self._cond.notify_all()  # for wait_running()
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    def wait_running(self, count: int, timeout: Optional[float]) -> bool:
        """True once `count` operations are running (tests use it to know a
        call is inside its wait, without sleeping)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._running >= count, timeout)

    def shutdown(self) -> None:
        with self._cond:
            self._down = True
            self._cond.notify_all()

    def drain(self, timeout: Optional[float]) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._running == 0, timeout):
                raise IpcTimeoutError("Operation timed out")

    def blocking(self, call, *args):
        """call(*args, timeout=slice) until it returns or shutdown() is called."""
        with self.operation():
            while True:
                try:
                    return call(*args, timeout=_SLICE)
                except IpcTimeoutError:
                    if self.is_shutdown:
                        raise ClosedError("Channel closed") from None


class _Graceful:
    _opener: Any = None

    def __init__(self, inner) -> None:
        self._inner = inner
        self._state = _Shutdown()

    @classmethod
    def create(cls, name: str):
        return cls(cls._opener.create(name))

    @classmethod
    def connect(cls, name: str):
        return cls(cls._opener.connect(name))

    @property
    def name(self) -> str:
        """The socket path, as 0.1 reports it."""
        return self._inner.path

    @property
    def is_server(self) -> bool:
        return self._inner.is_server

    @property
    def is_shutdown(self) -> bool:
        return self._state.is_shutdown

    def wait_for_client(self) -> None:
        self._state.blocking(self._inner.wait_for_client)

    def shutdown(self) -> None:
        self._state.shutdown()

    def drain(self) -> None:
        self._state.drain(None)

    def shutdown_timeout(self, timeout_ms: int) -> None:
        self._state.shutdown()
        self._state.drain(max(int(timeout_ms), 0) / 1000.0)


class GracefulIpcChannel(_Graceful):
    """An IpcChannel with shutdown and drain."""

    _opener = IpcChannel

    def send(self, data: bytes) -> None:
        with self._state.operation():
            self._inner.send(data)

    def recv(self) -> bytes:
        return self._state.blocking(self._inner.recv)

    def send_json(self, obj: Any) -> None:
        with self._state.operation():
            self._inner.send_json(obj)

    def recv_json(self) -> Any:
        return self._state.blocking(self._inner.recv_json)


class GracefulNamedPipe(_Graceful):
    """A NamedPipe with shutdown and drain."""

    _opener = NamedPipe

    def read(self, size: int) -> bytes:
        return self._state.blocking(self._inner.read, size)

    def read_exact(self, size: int) -> bytes:
        return self._state.blocking(self._inner.read_exact, size)

    def write(self, data: bytes) -> int:
        with self._state.operation():
            return self._inner.write(data)

    def write_all(self, data: bytes) -> None:
        with self._state.operation():
            self._inner.write_all(data)


# Each wrapper carries its whole API itself, as 0.1's classes do, so that
# vars(), help() and the stubs list every method on the class.
for _cls in (GracefulIpcChannel, GracefulNamedPipe):
    for _name, _member in vars(_Graceful).items():
        if not _name.startswith("_"):
            setattr(_cls, _name, _member)
del _cls, _name, _member
