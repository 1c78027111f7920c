"""ipckit: fast inter-process communication, backed by a C++ core.

    >>> import ipckit
    >>> ipckit.json_loads(ipckit.json_dumps({"a": [1, 2.5, None]}))
    {'a': [1, 2.5, None]}

Classes: AnonymousPipe, NamedPipe, SharedMemory, IpcChannel, FileChannel (and
NamedPipeConnection / IpcChannelConnection for servers with several clients),
BridgeServer (FileChannel over HTTP for web pages).
Functions: json_dumps, json_dumps_pretty, json_loads.
Errors: IpcError and its subclasses, one per error class of the wire spec;
each also derives from the builtin a caller would expect (TimeoutError,
ConnectionError, ValueError, FileNotFoundError, ...).

Every blocking call takes `timeout=` in seconds (None waits forever), releases
the GIL while it waits, and can be interrupted with Ctrl-C. For asyncio,
`from ipckit import aio`: the same classes on the event loop (ipckit/aio.py).
Try `python -m ipckit demo` and `python -m ipckit info`.
"""

from ipckit._ipckit import (
    __version__,
    AnonymousPipe,
    BridgeServer,
    ClosedError,
    CorruptError,
    DataLossError,
    FileChannel,
    InUseError,
    InvalidArgumentError,
    IpcChannel,
    IpcChannelConnection,
    IpcError,
    IpcTimeoutError,
    NamedPipe,
    NamedPipeConnection,
    NotFoundError,
    OutOfRangeError,
    PeerClosedError,
    PermissionDeniedError,
    SharedMemory,
    ShmClient,
    ShmListener,
    ShmLoan,
    ShmNotifier,
    ShmPublisher,
    ShmRequest,
    ShmSample,
    ShmServer,
    ShmSubscriber,
    ShmWaitSet,
    TooLargeError,
    TruncatedError,
    UnsupportedVersionError,
    json_dumps,
    json_dumps_pretty,
    json_loads,
)

__all__ = [
    "__version__",
    "AnonymousPipe",
    "BridgeServer",
    "ClosedError",
    "CorruptError",
    "DataLossError",
    "FileChannel",
    "InUseError",
    "InvalidArgumentError",
    "IpcChannel",
    "IpcChannelConnection",
    "IpcError",
    "IpcTimeoutError",
    "NamedPipe",
    "NamedPipeConnection",
    "NotFoundError",
    "OutOfRangeError",
    "PeerClosedError",
    "PermissionDeniedError",
    "SharedMemory",
    "ShmClient",
    "ShmLoan",
    "ShmPublisher",
    "ShmRequest",
    "ShmSample",
    "ShmServer",
    "ShmSubscriber",
    "ShmWaitSet",
    "ShmNotifier",
    "ShmListener",
    "TooLargeError",
    "TruncatedError",
    "UnsupportedVersionError",
    "json_dumps",
    "json_dumps_pretty",
    "json_loads",
]

# 0.1.12's other names, kept in ipckit.ipckit (its native module's name) and
# also exported here, as 0.1 exports them.
from ipckit.ipckit import (  # noqa: E402
    ApiClient,
    ApiServer,
    ApiServerConfig,
    ChannelMetrics,
    CliBridge,
    CliBridgeConfig,
    CommandOutput,
    GracefulIpcChannel,
    GracefulNamedPipe,
    MetricsSnapshot,
    ProgressInfo,
    Request,
    Response,
    parse_progress,
    wrap_command,
)
from ipckit import ipckit  # noqa: E402,F401

__all__ += [
    "ApiClient", "ApiServer", "ApiServerConfig", "ChannelMetrics", "CliBridge", "CliBridgeConfig",
    "CommandOutput", "GracefulIpcChannel", "GracefulNamedPipe", "MetricsSnapshot", "ProgressInfo",
    "Request", "Response", "parse_progress", "wrap_command",
]

# The classes live in the extension and in private modules; present them as
# part of this package.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj

# The stubs' type names (ipckit/_typing.py), importable for annotations; not in
# __all__, which holds what the package defines.
from ipckit._typing import Buffer, FileMessage, JsonValue, StaleSegment  # noqa: E402,F401
