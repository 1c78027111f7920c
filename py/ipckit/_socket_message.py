"""ipckit 0.1's socket-server messages: u32 little-endian length, then JSON
{"msg_type": ..., "payload": ...} (spec/api_server.md).

    >>> from ipckit._socket_message import encode_binary, decode
    >>> decode(encode_binary(b"GET / HTTP/1.1\\r\\n\\r\\n")[4:])
    ('binary', {'data': 'R0VUIC8gSFRUUC8xLjENCg0K'})

Used by ApiServer and ApiClient over a NamedPipe stream (the same Unix
socket 0.1 uses), so this file only builds and checks bytes.
"""

import base64
import binascii
import json
import struct
from typing import Any, Optional, Tuple

from ipckit._ipckit import CorruptError, TooLargeError, TruncatedError

MAX_MESSAGE = 16 * 1024 * 1024  # 0.1's limit, checked before reading the body
MSG_TYPES = ("text", "binary", "request", "response", "error", "ping", "pong")
_HEADER = struct.Struct("<I")


def encode(msg_type: str, payload: Any) -> bytes:
    """One framed message."""
    body = json.dumps({"msg_type": msg_type, "payload": payload}, separators=(",", ":")).encode()
    if len(body) > MAX_MESSAGE:
        raise TooLargeError("message of %d bytes exceeds the %d-byte limit" % (len(body), MAX_MESSAGE))
    return _HEADER.pack(len(body)) + body


def encode_binary(data: bytes) -> bytes:
    return encode("binary", {"data": base64.b64encode(bytes(data)).decode("ascii")})


def body_length(header: bytes) -> int:
    """The body length in a 4-byte header; too_large past the limit."""
    (length,) = _HEADER.unpack(header)
    if length > MAX_MESSAGE:
        raise TooLargeError("message length %d exceeds the %d-byte limit" % (length, MAX_MESSAGE))
    return length


def decode(body: bytes) -> Tuple[str, Any]:
    """(msg_type, payload) of a message body; corrupt if it is not one."""
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise CorruptError("socket message is not JSON: %s" % e) from None
    if not isinstance(message, dict) or message.get("msg_type") not in MSG_TYPES or "payload" not in message:
        raise CorruptError("socket message lacks a known msg_type and a payload")
    return message["msg_type"], message["payload"]


def binary_data(payload: Any) -> Optional[bytes]:
    """The bytes of a binary payload ({"data": base64}), or None."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, str):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_frame(frame: bytes) -> Tuple[str, Any]:
    """(msg_type, payload) of one whole framed message, checked in the order of
    spec/api_server.md; a binary message's data must be base64 (corrupt)."""
    frame = bytes(frame)
    if len(frame) < 4:
        raise TruncatedError("%d bytes, fewer than the 4-byte length" % len(frame))
    length = body_length(frame[:4])
    if len(frame) - 4 < length:
        raise TruncatedError("body of %d bytes, the length says %d" % (len(frame) - 4, length))
    msg_type, payload = decode(frame[4:4 + length])
    if msg_type == "binary" and binary_data(payload) is None:
        raise CorruptError("binary message without base64 data")
    return msg_type, payload


def read_message(stream, timeout: Optional[float]) -> Tuple[str, Any]:
    """Reads one message from a NamedPipe-like stream (read_exact with timeout=)."""
    length = body_length(stream.read_exact(4, timeout=timeout))
    return decode(stream.read_exact(length, timeout=timeout) if length else b"")
