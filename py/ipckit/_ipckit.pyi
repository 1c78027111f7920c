"""Stubs of ipckit._ipckit, the pybind11 extension the package is built on.

    from ipckit._ipckit import IpcChannel, socket_path_for

Its classes and functions are stubbed in ipckit/__init__.pyi (the package
presents them as its own); this stub re-exports them and adds the extension's
constants and name helpers, used by `python -m ipckit info`.
"""

from ipckit import (
    AnonymousPipe as AnonymousPipe,
    BridgeServer as BridgeServer,
    ClosedError as ClosedError,
    CorruptError as CorruptError,
    DataLossError as DataLossError,
    FileChannel as FileChannel,
    InUseError as InUseError,
    InvalidArgumentError as InvalidArgumentError,
    IpcChannel as IpcChannel,
    IpcChannelConnection as IpcChannelConnection,
    IpcError as IpcError,
    IpcTimeoutError as IpcTimeoutError,
    NamedPipe as NamedPipe,
    NamedPipeConnection as NamedPipeConnection,
    NotFoundError as NotFoundError,
    OutOfRangeError as OutOfRangeError,
    PeerClosedError as PeerClosedError,
    PermissionDeniedError as PermissionDeniedError,
    SharedMemory as SharedMemory,
    ShmClient as ShmClient,
    ShmListener as ShmListener,
    ShmLoan as ShmLoan,
    ShmNotifier as ShmNotifier,
    ShmPublisher as ShmPublisher,
    ShmRequest as ShmRequest,
    ShmSample as ShmSample,
    ShmServer as ShmServer,
    ShmSubscriber as ShmSubscriber,
    ShmWaitSet as ShmWaitSet,
    TooLargeError as TooLargeError,
    TruncatedError as TruncatedError,
    UnsupportedVersionError as UnsupportedVersionError,
    json_dumps as json_dumps,
    json_dumps_pretty as json_dumps_pretty,
    json_loads as json_loads,
    __version__ as __version__,
)

BRIDGE_NO_TOKEN_WARNING: str
DEFAULT_MAX_PAYLOAD: int
FORMAT_VERSION: int
JSON_MAX_DEPTH: int

def shm_object_name_for(name: str) -> str:
    """The POSIX shared-memory object name a SharedMemory called `name` uses."""

def socket_path_for(name: str) -> str:
    """The Unix socket path a NamedPipe or IpcChannel called `name` uses."""
