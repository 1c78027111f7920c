"""Type stubs for ipckit: fast inter-process communication backed by a C++ core.

Every blocking call takes a keyword `timeout` in seconds (float or int; None
waits forever), releases the GIL while it waits, and can be interrupted with
Ctrl-C. Errors derive from IpcError and carry `error_class`, the wire spec's
error class string (spec/conventions.md).
"""

from types import TracebackType
from typing import Any, Iterable, Literal, NotRequired, Optional, Self, TypedDict, Union

__version__: str

Buffer = Union[bytes, bytearray, memoryview]
"""Any C-contiguous bytes-like object (bytes, bytearray, memoryview, numpy array, ...)."""

JsonValue = Union[None, bool, int, float, str, list["JsonValue"], tuple["JsonValue", ...],
                  dict[str, "JsonValue"]]
"""What json_dumps accepts: dict (str keys), list, tuple, str, int in
[-2**63, 2**64-1], finite float, bool, None."""

# ---------------------------------------------------------------- errors

class IpcError(Exception):
    """Base class of every ipckit error; also the class for other OS failures ('io')."""

    error_class: str
    """The spec's error class: 'timeout', 'peer_closed', 'invalid_argument', ..."""

class InvalidArgumentError(IpcError, ValueError):
    """A bad name, size or argument, or malformed JSON ('invalid_argument')."""

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

class TooLargeError(IpcError, ValueError):
    """A length over the configured limit, refused before allocating ('too_large')."""

class CorruptError(IpcError):
    """Bytes the spec does not allow: bad magic, checksum or JSON shape ('corrupt')."""

class UnsupportedVersionError(IpcError):
    """A format version newer than this library knows ('unsupported_version')."""

class OutOfRangeError(IpcError, IndexError):
    """An offset or length outside an object ('out_of_range')."""

class PermissionDeniedError(IpcError, PermissionError):
    """The operating system refused access ('permission_denied')."""

class ClosedError(IpcError):
    """The object was already closed ('closed')."""

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

    Hand an end to a child with take_reader()/take_writer() and
    subprocess.Popen(..., pass_fds=[fd]); a child using ipckit wraps it with
    AnonymousPipe.from_fds().
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
        """Write some of `data`; returns how many bytes. PeerClosedError if no reader."""
    def write_all(self, data: Buffer, *, timeout: Optional[float] = None) -> int:
        """Write all of `data`; returns len(data)."""
    def reader_fd(self) -> int:
        """The read end's fd, or -1 if not held."""
    def writer_fd(self) -> int:
        """The write end's fd, or -1 if not held."""
    def take_reader(self) -> int:
        """Give up the read end: its fd (blocking mode) is now the caller's to close."""
    def take_writer(self) -> int:
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
        """Write some of `data`; returns how many bytes."""
    def write_all(self, data: Buffer, *, timeout: Optional[float] = None) -> int:
        """Write all of `data`; returns len(data)."""
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...

class NamedPipeConnection(_ByteStream):
    """One client of a NamedPipe server, from NamedPipe.accept()."""

class NamedPipe(_ByteStream):
    """A byte stream between unrelated processes that meet by name.

    The name is a plain name ([A-Za-z0-9._-], up to 64 bytes; socket
    /tmp/{name}.sock) or an absolute socket path. A server talks to one current
    client (wait_for_client, then read/write); accept() returns more clients.
    """

    @staticmethod
    def create(name: str) -> NamedPipe:
        """Start a server. InUseError if a live server has the name."""
    @staticmethod
    def connect(name: str, *, timeout: Optional[float] = None) -> NamedPipe:
        """Connect, waiting up to `timeout` seconds for the server to appear."""
    def wait_for_client(self, *, timeout: Optional[float] = None) -> None:
        """Server: accept one client as the current connection."""
    def accept(self, *, timeout: Optional[float] = None) -> NamedPipeConnection:
        """Server: accept one more client as its own connection."""
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

# ---------------------------------------------------------------- shared memory

class StaleSegment(TypedDict):
    name: str
    creator_pid: int
    creator_start_time: int
    creation_time_ns: int
    size: int

class SharedMemory:
    """A named shared-memory segment; supports the buffer protocol.

    memoryview(shm) and numpy.frombuffer(shm, ...) see the user region
    zero-copy; while such a view exists, close() raises BufferError.
    """

    @staticmethod
    def create(name: str, size: int) -> SharedMemory:
        """Create segment `name` with `size` zeroed bytes; this object owns the name."""
    @staticmethod
    def open(name: str, *, timeout: Optional[float] = 1.0,
             allow_other_users: bool = False) -> SharedMemory:
        """Open an existing segment, waiting for a live creator. NotFoundError, CorruptError,
        UnsupportedVersionError, IpcTimeoutError; PermissionDeniedError for another user's
        segment unless allow_other_users."""
    @staticmethod
    def find_stale() -> list[StaleSegment]:
        """This user's ipckit segments whose creator process is dead."""
    @staticmethod
    def remove_if_stale(name: str) -> None:
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

class IpcChannel(_MessageEndpoint):
    """Whole messages between unrelated processes (u32 LE length + payload frames)."""

    @staticmethod
    def create(name: str, *, max_payload: int = 16777216) -> IpcChannel:
        """Start a server. InUseError if a live server has the name."""
    @staticmethod
    def connect(name: str, *, timeout: Optional[float] = None,
                max_payload: int = 16777216) -> IpcChannel:
        """Connect, waiting up to `timeout` seconds for the server to appear."""
    def wait_for_client(self, *, timeout: Optional[float] = None) -> None:
        """Server: accept one client as the current connection."""
    def accept(self, *, timeout: Optional[float] = None) -> IpcChannelConnection:
        """Server: accept one more client as its own connection."""
    def disconnect(self) -> None:
        """Close the current connection."""
    @property
    def name(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def is_server(self) -> bool: ...
    @property
    def is_connected(self) -> bool: ...
    @property
    def max_payload(self) -> int: ...
    @property
    def has_pending_send(self) -> bool:
        """True if a timed-out send left part of its message for the next send."""

# ---------------------------------------------------------------- file channel

class FileMessage(TypedDict):
    """A FileChannel message as recv()/wait_response() return it."""

    id: str
    timestamp: int
    type: Literal["request", "response", "event"]
    method: NotRequired[str]
    reply_to: NotRequired[str]
    payload: Any
    error: NotRequired[str]

class FileChannel:
    """Backend <-> frontend messages through JSON files in a directory."""

    @staticmethod
    def backend(dir: str, *, skip_existing: bool = False, fsync: bool = False,
                        allow_shared_directory: bool = False) -> FileChannel:
        """Open the backend side of the channel in `dir` (created if missing)."""
    @staticmethod
    def frontend(dir: str, *, skip_existing: bool = False, fsync: bool = False,
                         allow_shared_directory: bool = False) -> FileChannel:
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
                   timeout: Optional[float] = None) -> str:
        """Send an event; returns its id."""
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
    """The FileChannel HTTP bridge (js/BRIDGE.md, bridge version 1) on 127.0.0.1.

    Listens from construction on; serve_forever() handles requests until
    close() (from another thread) or Ctrl-C. port=0 picks a free port.
    `allow_origins` are other origins (e.g. "http://127.0.0.1:3000") whose
    pages may read and write; the bridge's own origin may always write.
    `python -m ipckit serve DIR --port N` runs one from the command line.
    """

    def __init__(self, dir: str, port: int = 0, allow_origins: Iterable[str] = (), *,
                 allow_backend_writes: bool = False, max_file_bytes: int = 67108864,
                 max_wait: float = 30.0) -> None: ...
    def serve_forever(self) -> None:
        """Serve requests until close() or Ctrl-C (KeyboardInterrupt)."""
    def close(self) -> None:
        """Stop serving and release the port. Idempotent."""
    @property
    def closed(self) -> bool: ...
    @property
    def url(self) -> str:
        """'http://127.0.0.1:<port>'."""
    @property
    def port(self) -> int: ...
    @property
    def dir(self) -> str: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...
