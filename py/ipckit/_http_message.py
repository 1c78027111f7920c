"""The HTTP/1.1 text that ApiClient and ApiServer carry inside binary socket
messages, parsed and written as ipckit 0.1 does (spec/api_server.md).

    >>> from ipckit._http_message import Request
    >>> r = Request.parse(b"GET /v1/tasks?limit=10 HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n")
    >>> r.method, r.path, r.query
    ('GET', '/v1/tasks', {'limit': '10'})
"""

import json
from typing import Any, Dict, Optional
from urllib.parse import unquote_plus

from ipckit._ipckit import InvalidArgumentError

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
_REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
            403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
            500: "Internal Server Error", 503: "Service Unavailable"}


class Request:
    """One HTTP request as a route handler sees it."""

    def __init__(self, method: str, path: str, query: Dict[str, str], headers: Dict[str, str],
                 body: Any, raw_body: bytes) -> None:
        self._method, self._path, self._query, self._headers = method, path, query, headers
        self._body, self.raw_body = body, raw_body
        self._params: Dict[str, str] = {}

    method = property(lambda self: self._method)
    path = property(lambda self: self._path)
    query = property(lambda self: dict(self._query))
    headers = property(lambda self: dict(self._headers))
    body = property(lambda self: self._body)
    params = property(lambda self: dict(self._params))

    @staticmethod
    def parse(data: bytes) -> "Request":
        head, sep, rest = bytes(data).partition(b"\r\n")
        parts = head.decode("utf-8", "replace").split()
        if len(parts) < 2:
            raise InvalidArgumentError("Invalid HTTP request line")
        if parts[0] not in METHODS:
            raise InvalidArgumentError("Invalid HTTP method")
        path, _, query_text = parts[1].partition("?")
        headers: Dict[str, str] = {}
        header_block, _, body = rest.partition(b"\r\n\r\n") if sep else (b"", b"", b"")
        for line in header_block.decode("utf-8", "replace").split("\r\n"):
            key, colon, value = line.partition(":")
            if colon:
                headers[key.strip().lower()] = value.strip()
        raw_body = b""
        length = headers.get("content-length", "")
        if length.isdigit():
            if len(body) < int(length):
                raise InvalidArgumentError("HTTP body shorter than its Content-Length")
            raw_body = body[: int(length)]
        parsed = None
        if raw_body and "application/json" in headers.get("content-type", ""):
            try:
                parsed = json.loads(raw_body)
            except ValueError:
                parsed = None
        return Request(parts[0], path, _parse_query(query_text), headers, parsed, raw_body)

    def header(self, name: str) -> Optional[str]:
        return self._headers.get(name.lower())

    def query_param(self, name: str) -> Optional[str]:
        return self._query.get(name)

    def path_param(self, name: str) -> Optional[str]:
        return self._params.get(name)

    def __repr__(self) -> str:
        return "Request(method='%s', path='%s')" % (self.method, self.path)


def _parse_query(text: str) -> Dict[str, str]:
    query = {}
    for pair in text.split("&"):
        if pair:
            key, _, value = pair.partition("=")
            query[unquote_plus(key)] = unquote_plus(value)
    return query


def _json_bytes(value: Any) -> bytes:
    """Compact JSON with every object's keys sorted: 0.1.12 (serde_json maps)
    writes them so, and its peers see exactly those bytes."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def to_request_bytes(method: str, path: str, body: Any) -> bytes:
    """The request ApiClient sends: 0.1's exact header lines."""
    body_bytes = b"" if body is None else _json_bytes(body)
    head = "%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (
        method, path, len(body_bytes))
    return head.encode() + body_bytes


class Response:
    """An HTTP response for a route handler to return."""

    def __init__(self, status: int = 200) -> None:
        if not 0 <= int(status) <= 0xFFFF:
            raise OverflowError("status must fit in 16 bits")
        self._status = int(status)
        self.headers: Dict[str, str] = {}
        self._body: Optional[bytes] = None

    @property
    def status(self) -> int:
        return self._status

    @staticmethod
    def _json(status: int, body: Any) -> "Response":
        response = Response(status)
        response.set_json(body)
        return response

    @staticmethod
    def ok(body: Any) -> "Response":
        return Response._json(200, body)

    @staticmethod
    def created(body: Any) -> "Response":
        return Response._json(201, body)

    @staticmethod
    def no_content() -> "Response":
        return Response(204)

    @staticmethod
    def bad_request(message: str) -> "Response":
        return Response._json(400, {"error": "Bad Request", "message": message})

    @staticmethod
    def not_found() -> "Response":
        return Response._json(404, {"error": "Not Found"})

    @staticmethod
    def internal_error(message: str) -> "Response":
        return Response._json(500, {"error": "Internal Server Error", "message": message})

    def set_header(self, key: str, value: str) -> None:
        self.headers[str(key)] = str(value)

    def set_json(self, body: Any) -> None:
        self.headers["Content-Type"] = "application/json"
        self._body = _json_bytes(body)

    def to_bytes(self) -> bytes:
        body = self._body or b""
        lines = ["HTTP/1.1 %d %s" % (self._status, _REASONS.get(self._status, "Unknown"))]
        lines += ["%s: %s" % kv for kv in self.headers.items()]
        lines.append("Content-Length: %d" % len(body))
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def __repr__(self) -> str:
        return "Response(status=%d)" % self._status


def response_body(data: bytes) -> Any:
    """What 0.1's ApiClient returns for a response: the JSON after the blank
    line, None if there is no blank line; ValueError if the body is not JSON."""
    _, sep, body = bytes(data).partition(b"\r\n\r\n")
    if not sep:
        return None
    return json.loads(body)
