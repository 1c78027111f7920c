"""LocalSocketListener and LocalSocketStream: ipckit 0.1's local sockets.

    listener = LocalSocketListener.bind("svc")     # /tmp/svc.sock (or an absolute path)
    stream = listener.accept()
    stream.send_json({"hello": 1})                 # u32 BIG-endian length, then JSON

On the wire a local socket is a plain Unix stream socket at 0.1's path, so
it is a NamedPipe here (0600, stale sockets reclaimed, live ones refused:
spec/naming.md). send_json/recv_json keep 0.1.12's big-endian length
(unlike IpcChannel's little-endian frames), so both ends interoperate with
0.1 (spec/local_socket.md).
"""

import struct
from typing import Any

from ipckit._ipckit import NamedPipe, TooLargeError, json_dumps, json_loads

_LENGTH = struct.Struct(">I")
MAX_JSON = 16 * 1024 * 1024  # our bound before allocating (0.1 has none)


class LocalSocketStream:
    """One connected local socket."""

    def __init__(self, stream, name: str) -> None:
        self._stream, self._name = stream, name

    @staticmethod
    def connect(name: str) -> "LocalSocketStream":
        from ipckit._api import _connect
        return LocalSocketStream(_connect(name, None), name)

    @property
    def name(self) -> str:
        return self._name

    def read(self, size: int) -> bytes:
        return self._stream.read(size)

    def read_exact(self, size: int) -> bytes:
        return self._stream.read_exact(size)

    def write(self, data: bytes) -> int:
        return self._stream.write(data)

    def write_all(self, data: bytes) -> None:
        self._stream.write_all(data)

    def flush(self) -> None:
        """Nothing is buffered: every write goes straight to the socket."""

    def send_json(self, obj: Any) -> None:
        body = json_dumps(obj).encode("utf-8")
        if len(body) > 0xFFFFFFFF:
            raise TooLargeError("JSON of %d bytes does not fit a u32 length" % len(body))
        self._stream.write_all(_LENGTH.pack(len(body)) + body)

    def recv_json(self) -> Any:
        (length,) = _LENGTH.unpack(self._stream.read_exact(4))
        if length > MAX_JSON:
            raise TooLargeError("JSON length %d exceeds the %d-byte limit" % (length, MAX_JSON))
        return json_loads(self._stream.read_exact(length) if length else b"")

    def close(self) -> None:
        self._stream.close()


class LocalSocketListener:
    """A bound local socket that accepts any number of clients."""

    def __init__(self, name: str) -> None:
        self._pipe = NamedPipe.create(name)
        self._name = name

    @staticmethod
    def bind(name: str) -> "LocalSocketListener":
        return LocalSocketListener(name)

    @property
    def name(self) -> str:
        return self._name

    def accept(self) -> LocalSocketStream:
        return LocalSocketStream(self._pipe.accept(), self._pipe.path)

    def close(self) -> None:
        self._pipe.close()
