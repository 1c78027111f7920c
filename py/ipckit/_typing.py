"""The type names of ipckit's stubs, importable at runtime as well.

    from ipckit import JsonValue

    def publish(value: JsonValue) -> str:
        return ipckit.json_dumps(value)

They describe what the extension takes and returns (ipckit/__init__.pyi); the
extension itself does not use them.
"""

from typing import TYPE_CHECKING, Any, Literal, Mapping, NotRequired, Sequence, TypedDict, Union

__all__ = ["Buffer", "FileMessage", "JsonValue", "StaleSegment"]

if TYPE_CHECKING:
    from typing_extensions import Buffer
else:
    try:  # PEP 688's protocol: collections.abc.Buffer from 3.12, else typing_extensions'
        from collections.abc import Buffer
    except ImportError:
        try:
            from typing_extensions import Buffer
        except ImportError:  # 3.11 without typing_extensions: a name to import, nothing more
            class Buffer:
                """Any C-contiguous bytes-like object (bytes, bytearray, memoryview, numpy array, ...)."""

# Mapping and Sequence (covariant), so dict[str, int] and list[str] are accepted.
JsonValue = Union[None, bool, int, float, str, Sequence["JsonValue"], Mapping[str, "JsonValue"]]
"""What json_dumps accepts: dict (str keys), list, tuple, str, int in
[-2**63, 2**64-1], finite float, bool, None."""


class StaleSegment(TypedDict):
    """One leftover shared-memory segment, as SharedMemory.find_stale() reports it."""

    name: str
    creator_pid: int
    creator_start_time: int
    creation_time_ns: int
    size: int


class FileMessage(TypedDict):
    """A FileChannel message as recv()/wait_response() return it."""

    id: str
    timestamp: int
    type: Literal["request", "response", "event"]
    method: NotRequired[str]
    reply_to: NotRequired[str]
    payload: Any
    error: NotRequired[str]
