"""ApiServer and ApiClient: HTTP/1.1 over ipckit 0.1's socket-server messages.

    server = ApiServer(ApiServerConfig("/tmp/my_app.sock"), task_manager=TaskManager())
    server.route("GET", "/v1/hello/{name}", lambda req: Response.ok({"hi": req.path_param("name")}))
    server.start()                       # serves in a background thread
    ApiClient("/tmp/my_app.sock").get("/v1/hello/ada")   # -> {'hi': 'ada'}
    server.close()

The wire is 0.1.12's (spec/api_server.md): each request and response is a
"binary" message whose base64 data is HTTP/1.1 text, so 0.1.12's ApiClient
and CliBridge talk to this server, and this ApiClient to any 0.1 server.
The socket is a NamedPipe server (0600, stale sockets reclaimed, live ones
refused: spec/naming.md). With a TaskManager, the server answers the
/v1/tasks endpoints that CliBridge posts to (_task_routes.py).
"""

import os
import re
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple, cast

from ipckit._http_message import Request, Response, response_body, to_request_bytes
from ipckit._ipckit import (ClosedError, IpcError, IpcTimeoutError, NamedPipe, NotFoundError,
                            PeerClosedError)
from ipckit import _socket_message as wire

Handler = Callable[[Request], Response]


def default_socket_path() -> str:
    """0.1's default: $XDG_RUNTIME_DIR/ipckit.sock, else /tmp/ipckit.sock."""
    return os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "ipckit.sock")


class ApiServerConfig:
    """Where the server listens and which CORS origins it names."""

    def __init__(self, socket_path: Optional[str] = None, enable_cors: bool = True,
                 cors_origins: Optional[List[str]] = None) -> None:
        self._socket_path = socket_path if socket_path is not None else default_socket_path()
        self._enable_cors = bool(enable_cors)
        self._cors_origins = list(cors_origins) if cors_origins is not None else ["*"]

    socket_path = property(lambda self: self._socket_path,
                           lambda self, value: setattr(self, "_socket_path", str(value)))
    enable_cors = property(lambda self: self._enable_cors,
                           lambda self, value: setattr(self, "_enable_cors", bool(value)))
    cors_origins = property(lambda self: list(self._cors_origins),
                            lambda self, value: setattr(self, "_cors_origins", [str(o) for o in value]))

    def __repr__(self) -> str:
        origins = "[" + ",".join('"%s"' % o for o in self.cors_origins) + "]"
        return "ApiServerConfig(socket_path='%s', enable_cors=%s, cors_origins=%s)" % (
            self.socket_path, "true" if self.enable_cors else "false", origins)


class ApiClient:
    """One connection per request, as in 0.1. timeout_ms bounds connecting and
    each read and write (0.1 bounds only connecting; None waits forever)."""

    def __init__(self, socket_path: str, timeout_ms: Optional[int] = None) -> None:
        self._socket_path = socket_path
        self._timeout_ms = timeout_ms

    @staticmethod
    def connect() -> "ApiClient":
        return ApiClient(default_socket_path())

    @staticmethod
    def connect_timeout(timeout_ms: int) -> "ApiClient":
        return ApiClient(default_socket_path(), timeout_ms)

    def set_timeout(self, timeout_ms: Optional[int]) -> None:
        self._timeout_ms = timeout_ms

    def get_timeout(self) -> Optional[int]:
        return self._timeout_ms

    def get(self, path: str) -> Any:
        return self._request("GET", path, None)

    def post(self, path: str, body: Any = None) -> Any:
        return self._request("POST", path, body)

    def put(self, path: str, body: Any = None) -> Any:
        return self._request("PUT", path, body)

    def delete(self, path: str) -> Any:
        return self._request("DELETE", path, None)

    def _request(self, method: str, path: str, body: Any) -> Any:
        timeout = None if self._timeout_ms is None else self._timeout_ms / 1000.0
        with _connect(self._socket_path, timeout) as pipe:
            pipe.write_all(wire.encode_binary(to_request_bytes(method, path, body)), timeout=timeout)
            msg_type, payload = wire.read_message(pipe, timeout)
        if msg_type == "binary":
            data = wire.binary_data(payload)
            if data is None:
                raise IpcError("binary response without base64 data")
            return response_body(data)
        if msg_type == "text":
            return _json_text(payload.get("content") if isinstance(payload, dict) else None)
        return payload

    def __repr__(self) -> str:
        return "ApiClient()"


def _connect(path: str, timeout: Optional[float]) -> NamedPipe:
    """Without a timeout, one attempt that fails at once (NotFoundError, a
    FileNotFoundError) when nobody serves the path, as 0.1 does."""
    if timeout is not None:
        return NamedPipe.connect(path, timeout=timeout)
    try:
        return NamedPipe.connect(path, timeout=0)
    except IpcTimeoutError as e:
        raise NotFoundError("nobody serves %s: %s" % (path, e)) from None


def _json_text(text: Any) -> Any:
    import json
    if not isinstance(text, str):
        return None
    return json.loads(text)


class _Route:
    """A path pattern: literal segments, {name} captures one, * the rest."""

    def __init__(self, method: str, pattern: str, handler: Handler) -> None:
        self.method, self.handler = method.upper(), handler
        regex = ""
        for segment in pattern.strip("/").split("/"):
            if segment == "*":
                regex += "(?:/.*)?"
                break
            match = re.fullmatch(r"\{(\w+)\}", segment)
            regex += "/(?P<%s>[^/]+)" % match.group(1) if match else "/" + re.escape(segment)
        self.regex = re.compile((regex or "/") + "$")

    def match(self, path: str) -> Optional[Dict[str, str]]:
        found = self.regex.match(path.rstrip("/") or "/")
        return None if found is None else found.groupdict()


class ApiServer:
    """Routes HTTP requests arriving on a socket to Python handlers, one
    thread per connection; handlers run with the GIL like any Python code."""

    def __init__(self, config: Optional[ApiServerConfig] = None, task_manager=None) -> None:
        self.config = config if config is not None else ApiServerConfig()
        self._routes: List[_Route] = []
        self._lock = threading.Lock()
        self._pipe: Optional[NamedPipe] = None
        self._connections: set = set()
        self._thread: Optional[threading.Thread] = None
        self._closed = threading.Event()
        if task_manager is not None:
            from ipckit._task_routes import add_task_routes
            add_task_routes(self, task_manager)

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        with self._lock:
            self._routes.append(_Route(method, pattern, handler))

    def get(self, pattern: str) -> Callable[[Handler], Handler]:
        """Decorator form: @server.get("/v1/items/{id}")."""
        return self._route_decorator("GET", pattern)

    def post(self, pattern: str) -> Callable[[Handler], Handler]:
        return self._route_decorator("POST", pattern)

    def _route_decorator(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.route(method, pattern, handler)
            return handler
        return register

    def handle(self, request: Request) -> Response:
        """The response to one request (CORS applied), without any socket."""
        if request.method == "OPTIONS" and self.config.enable_cors:
            response = Response(204)
            response.set_header("Access-Control-Allow-Origin", self._origin())
            response.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, PATCH, OPTIONS")
            response.set_header("Access-Control-Allow-Headers", "Content-Type, Authorization")
            response.set_header("Access-Control-Max-Age", "86400")
            return response
        with self._lock:
            routes = list(self._routes)
        response = Response.not_found()
        for route in routes:
            params = route.match(request.path) if route.method == request.method else None
            if params is not None:
                request._params = params
                try:
                    response = route.handler(request)
                    if not isinstance(response, Response):
                        response = Response.ok(response)
                except Exception as e:  # a handler's bug is the client's 500, not the server's end
                    response = Response.internal_error(str(e))
                break
        if self.config.enable_cors:
            response.set_header("Access-Control-Allow-Origin", self._origin())
        return response

    def _origin(self) -> str:
        origins = self.config.cors_origins
        return "*" if "*" in origins else ", ".join(origins)

    def start(self) -> "ApiServer":
        """Binds the socket now (errors raise here) and serves in a daemon thread."""
        self._pipe = NamedPipe.create(self.config.socket_path)
        self._thread = threading.Thread(target=self._serve, name="ipckit-api-server", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        if self._pipe is None:
            self._pipe = NamedPipe.create(self.config.socket_path)
        self._serve()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                # No timeout: close() closes the pipe, which wakes this accept.
                connection = cast(NamedPipe, self._pipe).accept()  # set before _serve runs
            except (IpcError, OSError):
                if self._closed.is_set():
                    return
                raise
            with self._lock:
                if self._closed.is_set():
                    connection.close()
                    return
                self._connections.add(connection)
            threading.Thread(target=self._serve_connection, args=(connection,), daemon=True).start()

    def _serve_connection(self, connection) -> None:
        try:
            while not self._closed.is_set():
                try:
                    msg_type, payload = wire.read_message(connection, None)
                except (PeerClosedError, ClosedError, ConnectionError, EOFError):
                    return
                data = wire.binary_data(payload) if msg_type == "binary" else None
                if data is None and msg_type == "text" and isinstance(payload, dict):
                    data = str(payload.get("content", "")).encode()
                try:
                    response = self.handle(Request.parse(data or b""))
                except ValueError as e:
                    response = Response.bad_request(str(e))
                connection.write_all(wire.encode_binary(response.to_bytes()), timeout=30)
        except (IpcError, OSError):
            return  # a broken or hostile client ends its own connection only
        finally:
            with self._lock:
                self._connections.discard(connection)
            connection.close()

    def close(self) -> None:
        """Stops accepting, wakes and closes every connection (each wakes from its
        blocked read with ClosedError), and removes the socket file."""
        with self._lock:
            self._closed.set()
            connections = list(self._connections)
        if self._pipe is not None:
            self._pipe.close()
        for connection in connections:
            connection.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def __enter__(self) -> "ApiServer":
        return self if self._pipe is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.close()
