"""Type stubs for ipckit: fast inter-process communication backed by a C++ core.

Every blocking call takes a keyword `timeout` in seconds (float or int; None
waits forever), releases the GIL while it waits, and can be interrupted with
Ctrl-C. Errors derive from IpcError and carry `error_class`, the wire spec's
error class string (spec/conventions.md).
"""

import os
import sys
from types import TracebackType
from typing import Any, Iterable, Literal, Optional, Self, Union

# The type names, importable at runtime too, are defined in ipckit/_typing.py.
from ipckit._typing import (
    Buffer as Buffer,
    FileMessage as FileMessage,
    JsonValue as JsonValue,
    StaleSegment as StaleSegment,
)

__version__: str

# A name or path: str, or any os.PathLike (pathlib.Path), as open() takes.
_Name = Union[str, os.PathLike[str]]

# As the runtime's, in its order (stubtest compares them).
__all__ = [
    "__version__", "AnonymousPipe", "BridgeServer", "ClosedError", "CorruptError", "DataLossError",
    "FileChannel", "InUseError", "InvalidArgumentError", "IpcChannel", "IpcChannelConnection",
    "IpcError", "IpcTimeoutError", "NamedPipe", "NamedPipeConnection", "NotFoundError",
    "OutOfRangeError", "PeerClosedError", "PermissionDeniedError", "SharedMemory", "ShmClient",
    "ShmLoan", "ShmPublisher", "ShmRequest", "ShmSample", "ShmServer", "ShmSubscriber", "ShmWaitSet", "ShmNotifier", "ShmListener", "TooLargeError", "TruncatedError",
    "UnsupportedVersionError", "json_dumps", "json_dumps_pretty", "json_loads", "ApiClient",
    "ApiServer", "ApiServerConfig", "ChannelMetrics", "CliBridge", "CliBridgeConfig",
    "CommandOutput", "GracefulIpcChannel", "GracefulNamedPipe", "MetricsSnapshot", "ProgressInfo",
    "Request", "Response", "parse_progress", "wrap_command",
]

# ---------------------------------------------------------------- errors

class IpcError(Exception):
    """Base class of every ipckit error; also the class for other OS failures ('io')."""

    error_class: str
    """The spec's error class: 'timeout', 'peer_closed', 'invalid_argument', ..."""

class InvalidArgumentError(IpcError, ValueError, OSError, OverflowError):
    """A bad name, size or argument, or malformed JSON ('invalid_argument').

    Also OSError and OverflowError: what ipckit 0.1 raised for a bad name and a
    negative size."""

class NotFoundError(IpcError, FileNotFoundError):
    """No such segment, socket or directory ('not_found')."""

class InUseError(IpcError, FileExistsError):
    """The name belongs to a live object ('in_use')."""

class IpcTimeoutError(IpcError, TimeoutError):
    """A blocking call ran out of time ('timeout'). Nothing received is lost."""

class PeerClosedError(IpcError, ConnectionError):
    """The other side closed the connection at a message boundary ('peer_closed')."""

class TruncatedError(IpcError):
    """Input ended inside a frame or structure ('truncated')."""

class TooLargeError(IpcError, ValueError, BufferError):
    """A length over the configured limit, refused before allocating ('too_large').

    Also BufferError, what ipckit 0.1 raised for an oversize message."""

class CorruptError(IpcError):
    """Bytes the spec does not allow: bad magic, checksum or JSON shape ('corrupt')."""

class UnsupportedVersionError(IpcError):
    """A format version newer than this library knows ('unsupported_version')."""

class OutOfRangeError(IpcError, IndexError, BufferError):
    """An offset or length outside an object ('out_of_range').

    Also BufferError, what ipckit 0.1 raised for shared memory out of bounds."""

class PermissionDeniedError(IpcError, PermissionError):
    """The operating system refused access ('permission_denied')."""

class ClosedError(IpcError, ConnectionError):
    """The object, or that end of it, was already closed or taken ('closed').

    Also ConnectionError, what ipckit 0.1 raised for a closed pipe end."""

class DataLossError(IpcError):
    """FileChannel messages were pruned before this reader received them ('data_loss')."""

# ---------------------------------------------------------------- JSON

def json_dumps(obj: JsonValue) -> str:
    """Serialize `obj` to compact JSON, byte-identical to the C++ core (spec/json.md).

    No spaces, keys in the dict's order, non-ASCII written as UTF-8, doubles in
    their shortest round-trip form (1.0, 0.1, 1e21). TypeError for other types
    or non-str keys; ValueError for NaN/Infinity, ints outside [-2**63, 2**64-1],
    str with lone surrogates; TooLargeError for nesting deeper than 512.
    """

def json_dumps_pretty(obj: JsonValue) -> str:
    """Serialize `obj` to JSON indented by 2 spaces, with ': ' after keys."""

def json_loads(s: Union[str, Buffer]) -> Any:
    """Parse strict RFC 8259 JSON text.

    Objects become dict (a later duplicate key wins), arrays list, integers int,
    numbers with a fraction or exponent float (-0 is -0.0). ValueError
    (InvalidArgumentError) naming the byte offset for malformed text;
    TooLargeError for nesting deeper than 512.
    """

# ---------------------------------------------------------------- pipes

class AnonymousPipe:
    """A one-way pipe: bytes written to the write end are read from the read end.

    Pass writer_fd() (or reader_fd()) to a child with
    subprocess.Popen(..., pass_fds=[fd]), then take_writer() (take_reader())
    closes that end here, as in ipckit 0.1; detach_*() hands the fd over
    instead. A child using ipckit wraps it with AnonymousPipe.from_fds().
    """

    def __init__(self) -> None:
        """Create a pipe with both ends open in this process."""
    @staticmethod
    def from_fds(reader_fd: int = -1, writer_fd: int = -1) -> AnonymousPipe:
        """Adopt inherited pipe ends (-1: not held); the pipe owns them afterwards."""
    def read(self, size: int, *, timeout: Optional[float] = None) -> bytes:
        """Up to `size` bytes once some are available; b'' at end of stream."""
    def read_exact(self, size: int, *, timeout: Optional[float] = None) -> bytes:
        """Exactly `size` bytes. PeerClosedError/TruncatedError at end of stream."""
    def write(self, data: Buffer, *, timeout: Optional[float] = None) -> int:
        """Write all of `data` (as 0.1); returns len(data). PeerClosedError if no reader."""
    def write_all(self, data: Buffer, *, timeout: Optional[float] = None) -> int:
        """The same as write()."""
    def write_some(self, data: Buffer, *, timeout: Optional[float] = None) -> int:
        """One short write: some of `data`; returns how many bytes."""
    def reader_fd(self) -> int:
        """The read end's fd, or -1 if not held."""
    def writer_fd(self) -> int:
        """The write end's fd, or -1 if not held."""
    def take_reader(self) -> None:
        """Close the read end here (after passing reader_fd() to a child), as 0.1."""
    def take_writer(self) -> None:
        """Close the write end here (after passing writer_fd() to a child), as 0.1."""
    def detach_reader(self) -> int:
        """Give up the read end: its fd (blocking mode) is now the caller's to close."""
    def detach_writer(self) -> int:
        """Give up the write end: its fd (blocking mode) is now the caller's to close."""
    def close_reader(self) -> None:
        """Close the read end here."""
    def close_writer(self) -> None:
        """Close the write end here."""
    def close(self) -> None:
        """Close both ends. Idempotent."""
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...

class _ByteStream:
    """(Stub only.) The I/O methods NamedPipe and NamedPipeConnection share."""

    def read(self, size: int, *, timeout: Optional[float] = None) -> bytes:
        """Up to `size` bytes once some are available; b'' when the peer closed."""
    def read_exact(self, size: int, *, timeout: Optional[float] = None) -> bytes:
        """Exactly `size` bytes; bytes read before a timeout are kept for the next read."""
    def write(self, data: Buffer, *, timeout: Optional[float] = None) -> int:
        """Write all of `data` (as 0.1); returns len(data)."""
    def write_all(self, data: Buffer, *, timeout: Optional[float] = None) -> int:
        """The same as write()."""
    def write_some(self, data: Buffer, *, timeout: Optional[float] = None) -> int:
        """One short write: some of `data`; returns how many bytes."""
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...

class _StreamServer:
    """(Stub only.) The server shape NamedPipe and IpcChannel share.

    Both ends check the peer's user (spec/naming.md): a peer running as another
    user is PermissionDeniedError unless allow_other_users=True was given to
    create/connect."""

    def wait_for_client(self, *, timeout: Optional[float] = None) -> None:
        """Server: accept one client as the current connection."""
    def disconnect(self) -> None:
        """Close the current connection."""
    @property
    def name(self) -> str: ...
    @property
    def path(self) -> str:
        """The socket file's path."""
    @property
    def is_server(self) -> bool: ...
    @property
    def is_connected(self) -> bool: ...

class NamedPipeConnection(_ByteStream):
    """One client of a NamedPipe server, from NamedPipe.accept()."""

class NamedPipe(_ByteStream, _StreamServer):
    """A byte stream between unrelated processes that meet by name.

    The name is a plain name ([A-Za-z0-9._-], up to 64 bytes; socket
    /tmp/{name}.sock) or an absolute socket path. A server talks to one current
    client (wait_for_client, then read/write); accept() returns more clients.
    """

    @staticmethod
    def create(name: _Name, *, allow_other_users: bool = False) -> NamedPipe:
        """Start a server. InUseError if a live server has the name."""
    @staticmethod
    def connect(name: _Name, *, timeout: Optional[float] = None,
                allow_other_users: bool = False) -> NamedPipe:
        """Connect. No timeout: NotFoundError at once if nobody serves the name (as
        0.1); else wait up to `timeout` seconds for the server to appear."""
    def accept(self, *, timeout: Optional[float] = None) -> NamedPipeConnection:
        """Server: accept one more client as its own connection."""

# ---------------------------------------------------------------- shared memory

class SharedMemory:
    """A named shared-memory segment; supports the buffer protocol.

    memoryview(shm) and numpy.frombuffer(shm, ...) see the user region
    zero-copy; while such a view exists, close() raises BufferError.
    """

    if sys.version_info >= (3, 12):
        # Spelled out from 3.12 (PEP 688), so type checkers see the buffer.
        def __buffer__(self, flags: int, /) -> memoryview: ...

    @staticmethod
    def create(name: _Name, size: int) -> SharedMemory:
        """Create segment `name` with `size` zeroed bytes; this object owns the name."""
    @staticmethod
    def open(name: _Name, *, timeout: Optional[float] = 1.0,
             allow_other_users: bool = False) -> SharedMemory:
        """Open an existing segment, waiting for a live creator. NotFoundError, CorruptError,
        UnsupportedVersionError, IpcTimeoutError; PermissionDeniedError for another user's
        segment unless allow_other_users."""
    @staticmethod
    def find_stale() -> list[StaleSegment]:
        """This user's ipckit segments whose creator process is dead."""
    @staticmethod
    def remove_if_stale(name: _Name) -> None:
        """Remove segment `name` if its creator is dead; InUseError if alive."""
    @property
    def name(self) -> str: ...
    @property
    def size(self) -> int:
        """Size of the user region in bytes."""
    @property
    def is_owner(self) -> bool:
        """True for the creator, which removes the name when closed."""
    @property
    def closed(self) -> bool: ...
    def read(self, offset: int, size: int) -> bytes:
        """Copy `size` bytes at `offset`. OutOfRangeError (an IndexError) past the end."""
    def read_all(self) -> bytes:
        """Copy the whole user region."""
    def write(self, offset: int, data: Buffer) -> None:
        """Copy `data` to `offset`. OutOfRangeError (an IndexError) past the end."""
    def unlink(self) -> None:
        """Remove the name now; existing mappings keep working."""
    def close(self) -> None:
        """Unmap (an owner also removes the name). BufferError while views exist."""
    if sys.version_info >= (3, 12):
        def __buffer__(self, flags: int, /) -> memoryview: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...

# ---------------------------------------------------------------- channels

class _MessageEndpoint:
    """(Stub only.) The message methods IpcChannel and IpcChannelConnection share."""

    def send(self, data: Buffer, *, timeout: Optional[float] = None) -> None:
        """Send `data` as one message. TooLargeError over max_payload."""
    def recv(self, *, timeout: Optional[float] = None) -> bytes:
        """Receive one message. PeerClosedError, TruncatedError, IpcTimeoutError."""
    def send_json(self, obj: JsonValue, *, timeout: Optional[float] = None) -> None:
        """Send `obj` as one message of compact JSON (json_dumps(obj).encode())."""
    def recv_json(self, *, timeout: Optional[float] = None) -> Any:
        """Receive one message and parse it as JSON."""
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...

class IpcChannelConnection(_MessageEndpoint):
    """One client of an IpcChannel server, from IpcChannel.accept()."""

class IpcChannel(_MessageEndpoint, _StreamServer):
    """Whole messages between unrelated processes (u32 LE length + payload frames)."""

    @staticmethod
    def create(name: _Name, *, max_payload: int = 16777216,
               allow_other_users: bool = False) -> IpcChannel:
        """Start a server. InUseError if a live server has the name."""
    @staticmethod
    def connect(name: _Name, *, timeout: Optional[float] = None, max_payload: int = 16777216,
                allow_other_users: bool = False) -> IpcChannel:
        """Connect. No timeout: NotFoundError at once if nobody serves the name (as
        0.1); else wait up to `timeout` seconds for the server to appear."""
    def accept(self, *, timeout: Optional[float] = None) -> IpcChannelConnection:
        """Server: accept one more client as its own connection."""
    @property
    def max_payload(self) -> int: ...
    @property
    def has_pending_send(self) -> bool:
        """True if a timed-out send left part of its message for the next send."""

# ---------------------------------------------------------------- file channel

class FileChannel:
    """Backend <-> frontend messages through JSON files in a directory."""

    @staticmethod
    def backend(dir: _Name, *, skip_existing: bool = False, fsync: bool = False,
                        allow_shared_directory: bool = False, reader: Optional[str] = None,
                        claim_requests: bool = True) -> FileChannel:
        """Open the backend side of the channel in `dir` (created if missing)."""
    @staticmethod
    def frontend(dir: _Name, *, skip_existing: bool = False, fsync: bool = False,
                         allow_shared_directory: bool = False, reader: Optional[str] = None,
                         claim_requests: bool = True) -> FileChannel:
        """Open the frontend side of the channel in `dir`."""
    def send_request(self, method: str, params: JsonValue = None, *,
                     timeout: Optional[float] = None) -> str:
        """Send a request; returns its id."""
    def send_response(self, request_id: str, result: JsonValue = None, *,
                      timeout: Optional[float] = None) -> str:
        """Answer a request; returns the response's id."""
    def send_error(self, request_id: str, error: str, *, timeout: Optional[float] = None) -> str:
        """Answer a request with an error message; returns the response's id."""
    def send_event(self, name: str, payload: JsonValue = None, *,
                   timeout: Optional[float] = None, timestamp_ms: Optional[int] = None) -> str:
        """Send an event; returns its id. timestamp_ms: stamp that time instead of the clock's."""
    def recv(self) -> list[FileMessage]:
        """All messages not yet received, oldest first. Never waits."""
    def recv_one(self, *, timeout: Optional[float] = 0.0) -> Optional[FileMessage]:
        """The next message, or None if none arrives within `timeout` (default: don't wait)."""
    def wait_response(self, request_id: str, timeout_ms: Optional[float] = None, *,
                      timeout: Optional[float] = None) -> FileMessage:
        """The response to `request_id`; IpcTimeoutError if none arrives in time."""
    def wait_for_messages(self, *, timeout: Optional[float] = None) -> None:
        """Wait until recv() has something to return."""
    def clear(self, *, timeout: Optional[float] = None) -> None:
        """Empty both channel files (as 0.1 does) and drop every pending message."""
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def dir(self) -> str: ...
    @property
    def side(self) -> Literal["backend", "frontend"]: ...
    @property
    def sender_id(self) -> str: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...

# ---------------------------------------------------------------- HTTP bridge

class BridgeServer:
    """The FileChannel HTTP bridge (spec/bridge.md, bridge version 1) on 127.0.0.1.

    Listens from construction on; serve_forever() handles requests until
    close() (from another thread) or Ctrl-C. port=0 picks a free port.
    `allow_origins` are other origins (e.g. "http://127.0.0.1:3000") whose
    pages may read and write; the bridge's own origin may always write.
    `static_dir`: the page's own files, served on the bridge's origin at every
    path outside /v1/ (spec/bridge.md, "Page files").
    `python -m ipckit serve DIR --port N` runs one from the command line.
    """

    def __init__(self, dir: _Name, port: int = 0, allow_origins: Iterable[str] = (), *,
                 token: Optional[str] = "", allow_backend_writes: bool = False,
                 max_file_bytes: int = 67108864, max_wait: float = 30.0,
                 static_dir: Optional[_Name] = None) -> None: ...
    def serve_forever(self) -> None:
        """Serve requests until close() or Ctrl-C (KeyboardInterrupt)."""
    def close(self) -> None:
        """Stop serving and release the port. Idempotent."""
    @property
    def closed(self) -> bool: ...
    @property
    def url(self) -> str:
        """'http://127.0.0.1:<port>/?token=<token>': the URL to give a client."""
    @property
    def origin(self) -> str:
        """'http://127.0.0.1:<port>'."""
    @property
    def token(self) -> Optional[str]:
        """The token every request must carry; None if served without one."""
    @property
    def port(self) -> int: ...
    @property
    def dir(self) -> str: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...


# ---- Zero-copy shared-memory publish/subscribe (spec/shm_messaging.md) ----

_Overflow = Literal["drop_oldest", "block"]
_WaitMode = Literal["blocking", "busy", "hybrid"]


class ShmLoan:
    """A writable buffer in shared memory lent by ShmPublisher.loan().

    memoryview(loan) and numpy.frombuffer(loan, dtype) write the shared bytes
    in place. send(), resize() and drop() raise BufferError while such a view
    exists."""

    @property
    def size(self) -> int: ...
    @property
    def valid(self) -> bool:
        """False once sent or dropped."""
    def resize(self, size: int) -> None:
        """Change how many bytes are sent (TooLargeError over max_payload)."""
    def drop(self) -> None:
        """Give the buffer back unsent."""
    def __len__(self) -> int: ...
    if sys.version_info >= (3, 12):
        def __buffer__(self, flags: int, /) -> memoryview: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...


class ShmSample:
    """A received sample: a read-only zero-copy buffer, valid until release().

    release() raises BufferError while a memoryview or numpy array of it exists."""

    @property
    def size(self) -> int: ...
    @property
    def sequence(self) -> int:
        """The publisher's sequence number (gaps: samples dropped on overflow)."""
    @property
    def publisher(self) -> int:
        """Which publisher sent it: 0 .. max_publishers - 1 (each numbers its own samples)."""
    @property
    def valid(self) -> bool:
        """False once released (or once its subscriber is closed)."""
    def bytes(self) -> bytes:
        """A copy of the payload."""
    def release(self) -> None:
        """Give the sample back. Idempotent."""
    def __len__(self) -> int: ...
    if sys.version_info >= (3, 12):
        def __buffer__(self, flags: int, /) -> memoryview: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...


class ShmPublisher:
    """A publisher of a shared-memory publish/subscribe service (up to max_publishers at once)."""

    @staticmethod
    def create(name: _Name, *, max_payload: int = 4096, max_subscribers: int = 4,
               subscriber_buffer: int = 16, history: int = 0, max_held: int = 2,
               pool_slots: int = 0, overflow: _Overflow = "drop_oldest",
               wait: _WaitMode = "blocking", timeout: Optional[float] = 1.0,
               max_publishers: int = 1) -> ShmPublisher:
        """Open or create service `name` and join it as a publisher.

        Every participant must pass the same configuration (InvalidArgumentError
        otherwise); InUseError if the service already has max_publishers live
        publishers."""
    def loan(self, size: int) -> ShmLoan:
        """A writable ShmLoan of `size` bytes (TooLargeError over max_payload)."""
    def send(self, loan: ShmLoan, *, timeout: Optional[float] = None) -> None:
        """Send a loan to every subscriber. With overflow="block", waits up to
        `timeout` for room (IpcTimeoutError: nothing sent, the loan stays valid)."""
    def send_copy(self, data: Buffer, *, timeout: Optional[float] = None) -> None:
        """Copy `data` into a loan and send it."""
    def send_json(self, obj: Any, *, timeout: Optional[float] = None) -> None:
        """Send `obj` as JSON text."""
    @property
    def subscriber_count(self) -> int: ...
    @property
    def max_payload(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None:
        """Leave the service (the last one out removes it). BufferError while a
        view of a loan exists. Idempotent."""
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...


class ShmSubscriber:
    """A subscriber of a shared-memory publish/subscribe service."""

    @staticmethod
    def create(name: _Name, *, max_payload: int = 4096, max_subscribers: int = 4,
               subscriber_buffer: int = 16, history: int = 0, max_held: int = 2,
               pool_slots: int = 0, overflow: _Overflow = "drop_oldest",
               wait: _WaitMode = "blocking", timeout: Optional[float] = 1.0,
               max_publishers: int = 1) -> ShmSubscriber:
        """Open or create service `name` and join it as a subscriber."""
    def receive(self, *, timeout: Optional[float] = None) -> ShmSample:
        """The next sample. IpcTimeoutError if none comes in time; PeerClosedError
        once every publisher has gone (even killed) and nothing is left."""
    def recv_json(self, *, timeout: Optional[float] = None) -> Any:
        """The next sample parsed as JSON."""
    @property
    def name(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None:
        """Leave the service, releasing every sample. BufferError while a view
        of a sample exists. Idempotent."""
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...

class ShmRequest:
    """A request an ShmServer received; answer it with ShmServer.respond()."""

    @property
    def id(self) -> int: ...
    @property
    def client(self) -> int:
        """Which client sent it: 0 .. max_clients - 1."""
    @property
    def data(self) -> bytes: ...


class ShmServer:
    """A server of a shared-memory request/response service."""

    @staticmethod
    def create(name: str, *, max_clients: int = 4, max_servers: int = 1,
               max_request: int = 4096, max_response: int = 4096, max_in_flight: int = 8,
               wait: _WaitMode = "blocking", timeout: Optional[float] = 1.0) -> ShmServer:
        """Open or create request/response service `name` and join it as a server."""
    def receive(self, *, timeout: Optional[float] = None) -> ShmRequest:
        """The next request from any client. IpcTimeoutError if none comes in time
        (never PeerClosedError: clients come and go)."""
    def respond(self, request: ShmRequest, data: Buffer, *,
                timeout: Optional[float] = 1.0) -> None:
        """Answer `request`. PeerClosedError if its client has left or died."""
    @property
    def name(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None:
        """Leave the service (the last one out removes it). Idempotent."""
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...


class ShmClient:
    """A client of a shared-memory request/response service."""

    @staticmethod
    def create(name: str, *, max_clients: int = 4, max_servers: int = 1,
               max_request: int = 4096, max_response: int = 4096, max_in_flight: int = 8,
               wait: _WaitMode = "blocking", timeout: Optional[float] = 1.0) -> ShmClient:
        """Open or create request/response service `name` and join it as a client."""
    def send(self, data: Buffer, *, timeout: Optional[float] = None) -> int:
        """Send a request to one server; returns its id. NotFoundError with no
        server, InUseError with max_in_flight requests outstanding."""
    def receive(self, id: int, *, timeout: Optional[float] = None) -> bytes:
        """The response to request `id`. IpcTimeoutError keeps it outstanding;
        PeerClosedError if its server left or died."""
    def call(self, data: Buffer, *, timeout: Optional[float] = None) -> bytes:
        """send() then receive() within one timeout."""
    @property
    def in_flight(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None:
        """Leave the service (the last one out removes it). Idempotent."""
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...

class ShmNotifier:
    """The notifier of a shared-memory event service: wakes listeners with an event id."""

    @staticmethod
    def create(name: _Name, *, max_listeners: int = 8, max_notifiers: int = 1,
               buffer: int = 64, wait: _WaitMode = "blocking",
               timeout: Optional[float] = 1.0) -> ShmNotifier:
        """Open or create event service `name` and join it as a notifier."""
    def notify(self, event_id: int) -> None:
        """Wake every listener with `event_id` (0 .. 2**64 - 1); never blocks."""
    @property
    def listener_count(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None:
        """Leave the service (the last one out removes it). Idempotent."""
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...

class ShmListener:
    """A listener of a shared-memory event service."""

    @staticmethod
    def create(name: _Name, *, max_listeners: int = 8, max_notifiers: int = 1,
               buffer: int = 64, wait: _WaitMode = "blocking",
               timeout: Optional[float] = 1.0) -> ShmListener:
        """Open or create event service `name` and join it as a listener."""
    def wait(self, *, timeout: Optional[float] = None) -> int:
        """The next event id. IpcTimeoutError if none comes in time; PeerClosedError
        once the notifier has gone (even killed) and no event is left."""
    def try_wait(self) -> Optional[int]:
        """The next event id if one is queued, else None; never waits."""
    @property
    def name(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None:
        """Leave the service (the last one out removes it). Idempotent."""
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...

class ShmWaitSet:
    """One thread waits on several ShmSubscribers, ShmListeners and file descriptors at once."""

    def __init__(self) -> None: ...
    def add(self, subscriber: Union[ShmSubscriber, ShmListener]) -> int:
        """Add a subscriber or listener; returns its index, in the order added."""
    def add_fd(self, fd: Union[int, Any]) -> int:
        """Watch a file descriptor (or an object with fileno()) for reading; returns its index."""
    def wait(self, *, timeout: Optional[float] = None) -> list[int]:
        """The indices of the ready members, in order. IpcTimeoutError if none
        is ready in time. A subscriber is ready when receive() would not wait."""

# ---------------------------------------------------------------- ipckit 0.1.12's other names
# Pure Python (py/ipckit/_api.py, _cli_bridge.py, _progress.py, _metrics.py,
# _graceful.py); the in-process classes are in ipckit/ipckit.pyi.

from typing import Callable, Dict, List
from ipckit.ipckit import TaskManager as _TaskManager

class ApiClient:
    """One connection per request, as in 0.1. timeout_ms bounds connecting and each read and write (0.1 bounds only connecting; None waits forever)."""
    def __init__(self, socket_path: str, timeout_ms: Optional[int] = None) -> None: ...
    @staticmethod
    def connect() -> ApiClient: ...
    @staticmethod
    def connect_timeout(timeout_ms: int) -> ApiClient: ...
    def delete(self, path: str) -> Any: ...
    def get(self, path: str) -> Any: ...
    def get_timeout(self) -> Optional[int]: ...
    def post(self, path: str, body: Any = None) -> Any: ...
    def put(self, path: str, body: Any = None) -> Any: ...
    def set_timeout(self, timeout_ms: Optional[int]) -> None: ...

class ApiServer:
    """Routes HTTP requests arriving on a socket to Python handlers, one thread per connection; handlers run with the GIL like any Python code."""
    def __enter__(self) -> ApiServer: ...
    def __exit__(self, *exc) -> None: ...
    def __init__(self, config: Optional[ApiServerConfig] = None, task_manager: Optional[_TaskManager] = None) -> None: ...
    def close(self) -> None: ...
    def get(self, pattern: str) -> Callable[[Callable[[Request], Response]], Callable[[Request], Response]]: ...
    def handle(self, request: Request) -> Response: ...
    def post(self, pattern: str) -> Callable[[Callable[[Request], Response]], Callable[[Request], Response]]: ...
    def route(self, method: str, pattern: str, handler: Callable[[Request], Response]) -> None: ...
    def serve_forever(self) -> None: ...
    def start(self) -> ApiServer: ...

class ApiServerConfig:
    """Where the server listens and which CORS origins it names."""
    def __init__(self, socket_path: Optional[str] = None, enable_cors: bool = True, cors_origins: Optional[List[str]] = None) -> None: ...
    @property
    def cors_origins(self) -> Any: ...
    @cors_origins.setter
    def cors_origins(self, value: Any) -> None: ...
    @property
    def enable_cors(self) -> Any: ...
    @enable_cors.setter
    def enable_cors(self, value: Any) -> None: ...
    @property
    def socket_path(self) -> Any: ...
    @socket_path.setter
    def socket_path(self, value: Any) -> None: ...

class ChannelMetrics:
    """Counters, latency and queue depth of one channel; thread-safe."""
    def __init__(self) -> None: ...
    @property
    def avg_latency_us(self) -> Any: ...
    @property
    def bytes_received(self) -> Any: ...
    @property
    def bytes_sent(self) -> Any: ...
    @property
    def elapsed_secs(self) -> Any: ...
    def meter(self, endpoint: Any) -> Any:
        """Beyond 0.1: the endpoint wrapped so that it records its own traffic here."""
    def latency_percentile(self, percentile: int) -> int: ...
    @property
    def max_latency_us(self) -> Any: ...
    @property
    def messages_received(self) -> Any: ...
    @property
    def messages_sent(self) -> Any: ...
    @property
    def min_latency_us(self) -> Any: ...
    @property
    def peak_queue_depth(self) -> Any: ...
    @property
    def queue_depth(self) -> Any: ...
    @property
    def receive_errors(self) -> Any: ...
    def record_latency_ms(self, latency_ms: float) -> None: ...
    def record_latency_us(self, latency_us: int) -> None: ...
    def record_recv(self, bytes: int) -> None: ...
    def record_recv_error(self) -> None: ...
    def record_send(self, bytes: int) -> None: ...
    def record_send_error(self) -> None: ...
    @property
    def recv_bandwidth(self) -> Any: ...
    @property
    def recv_throughput(self) -> Any: ...
    def reset(self) -> None: ...
    @property
    def send_bandwidth(self) -> Any: ...
    @property
    def send_errors(self) -> Any: ...
    @property
    def send_throughput(self) -> Any: ...
    def set_queue_depth(self, depth: int) -> None: ...
    def snapshot(self) -> Dict[str, Any]: ...
    def to_json(self) -> str: ...
    def to_json_pretty(self) -> str: ...
    def to_prometheus(self, prefix: str) -> str: ...

class CliBridge:
    """The reporting end of one task. CliBridge(config) alone does not post; connect() and connect_with_config() do."""
    def __enter__(self) -> CliBridge: ...
    def __exit__(self, _exc_type, exc_value, _traceback) -> None: ...
    def __init__(self, config: Optional[CliBridgeConfig] = None) -> None: ...
    def complete(self, result: Any) -> None: ...
    @staticmethod
    def connect() -> CliBridge: ...
    @staticmethod
    def connect_with_config(config: CliBridgeConfig) -> CliBridge: ...
    def fail(self, error: str) -> None: ...
    @property
    def is_cancelled(self) -> bool: ...
    def log(self, level: str, message: str) -> None: ...
    def register_task(self, name: str, task_type: str) -> str: ...
    def set_progress(self, progress: int, message: Optional[str] = None) -> None: ...
    def stderr(self, line: str) -> None: ...
    def stdout(self, line: str) -> None: ...
    @property
    def task_id(self) -> Optional[str]: ...

class CliBridgeConfig:
    """server_url: the servers socket path; auto_register; output capture flags."""
    def __init__(self, server_url: Optional[str] = None, auto_register: bool = True, capture_stdout: bool = True, capture_stderr: bool = True) -> None: ...
    @property
    def auto_register(self) -> Any: ...
    @auto_register.setter
    def auto_register(self, value: Any) -> None: ...
    @staticmethod
    def from_env() -> CliBridgeConfig: ...
    @property
    def server_url(self) -> Any: ...
    @server_url.setter
    def server_url(self, value: Any) -> None: ...

class CommandOutput:
    """What wrap_command returns."""
    def __init__(self, exit_code: int, stdout: str, stderr: str, duration_ms: int) -> None: ...
    @property
    def duration_ms(self) -> Any: ...
    @property
    def exit_code(self) -> Any: ...
    @property
    def stderr(self) -> Any: ...
    @property
    def stdout(self) -> Any: ...
    @property
    def success(self) -> bool: ...

class GracefulIpcChannel:
    """An IpcChannel with shutdown and drain."""
    @classmethod
    def connect(cls, name: str) -> GracefulIpcChannel: ...
    @classmethod
    def create(cls, name: str) -> GracefulIpcChannel: ...
    def drain(self) -> None: ...
    @property
    def is_server(self) -> bool: ...
    @property
    def is_shutdown(self) -> bool: ...
    @property
    def name(self) -> str: ...
    def recv(self) -> bytes: ...
    def recv_json(self) -> Any: ...
    def send(self, data: bytes) -> None: ...
    def send_json(self, obj: Any) -> None: ...
    def shutdown(self) -> None: ...
    def shutdown_timeout(self, timeout_ms: int) -> None: ...
    def wait_for_client(self) -> None: ...

class GracefulNamedPipe:
    """A NamedPipe with shutdown and drain."""
    @classmethod
    def connect(cls, name: str) -> GracefulNamedPipe: ...
    @classmethod
    def create(cls, name: str) -> GracefulNamedPipe: ...
    def drain(self) -> None: ...
    @property
    def is_server(self) -> bool: ...
    @property
    def is_shutdown(self) -> bool: ...
    @property
    def name(self) -> str: ...
    def read(self, size: int) -> bytes: ...
    def read_exact(self, size: int) -> bytes: ...
    def shutdown(self) -> None: ...
    def shutdown_timeout(self, timeout_ms: int) -> None: ...
    def wait_for_client(self) -> None: ...
    def write(self, data: bytes) -> int: ...
    def write_all(self, data: bytes) -> None: ...

class MetricsSnapshot:
    """ChannelMetrics.snapshot() as an object with one read-only property per key."""
    def __init__(self, values: Dict[str, Any]) -> None: ...
    @property
    def avg_latency_us(self) -> Any: ...
    @property
    def bytes_received(self) -> Any: ...
    @property
    def bytes_sent(self) -> Any: ...
    @property
    def elapsed_secs(self) -> Any: ...
    @property
    def max_latency_us(self) -> Any: ...
    @property
    def messages_received(self) -> Any: ...
    @property
    def messages_sent(self) -> Any: ...
    @property
    def min_latency_us(self) -> Any: ...
    @classmethod
    def of(cls, metrics: ChannelMetrics) -> MetricsSnapshot: ...
    @property
    def p50_latency_us(self) -> Any: ...
    @property
    def p95_latency_us(self) -> Any: ...
    @property
    def p99_latency_us(self) -> Any: ...
    @property
    def peak_queue_depth(self) -> Any: ...
    @property
    def queue_depth(self) -> Any: ...
    @property
    def receive_errors(self) -> Any: ...
    @property
    def recv_bandwidth(self) -> Any: ...
    @property
    def recv_throughput(self) -> Any: ...
    @property
    def send_bandwidth(self) -> Any: ...
    @property
    def send_errors(self) -> Any: ...
    @property
    def send_throughput(self) -> Any: ...
    def to_dict(self) -> Dict[str, Any]: ...

class ProgressInfo:
    """A progress reading: current of total, and an optional message."""
    def __init__(self, current: int, total: int, message: Optional[str] = None) -> None: ...
    @property
    def current(self) -> int: ...
    @property
    def message(self) -> Optional[str]: ...
    @property
    def percentage(self) -> int: ...
    @property
    def total(self) -> int: ...

class Request:
    """One HTTP request as a route handler sees it."""
    def __init__(self, method: str, path: str, query: Dict[str, str], headers: Dict[str, str], body: Any, raw_body: bytes) -> None: ...
    @property
    def body(self) -> Any: ...
    def header(self, name: str) -> Optional[str]: ...
    @property
    def headers(self) -> Any: ...
    @property
    def method(self) -> Any: ...
    @property
    def params(self) -> Any: ...
    @staticmethod
    def parse(data: bytes) -> Request: ...
    @property
    def path(self) -> Any: ...
    def path_param(self, name: str) -> Optional[str]: ...
    @property
    def query(self) -> Any: ...
    def query_param(self, name: str) -> Optional[str]: ...

class Response:
    """An HTTP response for a route handler to return."""
    def __init__(self, status: int = 200) -> None: ...
    @staticmethod
    def bad_request(message: str) -> Response: ...
    @staticmethod
    def created(body: Any) -> Response: ...
    @staticmethod
    def internal_error(message: str) -> Response: ...
    @staticmethod
    def no_content() -> Response: ...
    @staticmethod
    def not_found() -> Response: ...
    @staticmethod
    def ok(body: Any) -> Response: ...
    def set_header(self, key: str, value: str) -> None: ...
    def set_json(self, body: Any) -> None: ...
    @property
    def status(self) -> int: ...
    def to_bytes(self) -> bytes: ...

def parse_progress(line: str, parser_type: str = "all") -> Optional[ProgressInfo]: ...

def wrap_command(args: List[str], task_name: Optional[str] = None, task_type: Optional[str] = None, cwd: Optional[str] = None, env: Optional[Dict[str, str]] = None) -> CommandOutput: ...

