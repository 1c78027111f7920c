"""CliBridge and wrap_command: a command-line tool reports its task, progress
and output to an ApiServer, as with ipckit 0.1.12 (spec/api_server.md).

    bridge = CliBridge.connect()          # $IPCKIT_SERVER_URL or the default socket
    bridge.register_task("Export", "export")
    bridge.set_progress(50, "half way")
    bridge.complete({"files": 3})

    out = wrap_command(["tar", "xf", "big.tar"], task_name="Unpack")
    out.exit_code, out.stdout, out.duration_ms

As in 0.1, reporting never fails the tool: when no server listens, each post
is dropped (one connection attempt, no wait). Output lines are also echoed to
this process's stdout and stderr.
"""

import os
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Optional

from ipckit._api import ApiClient, default_socket_path
from ipckit._progress import parse_progress


class CliBridgeConfig:
    """server_url: the server's socket path; auto_register; output capture flags."""

    def __init__(self, server_url: Optional[str] = None, auto_register: bool = True,
                 capture_stdout: bool = True, capture_stderr: bool = True) -> None:
        self._server_url = server_url if server_url is not None else default_socket_path()
        self._auto_register = bool(auto_register)
        # Kept for 0.1's signature; as in 0.1, wrap_command always captures both.
        self._capture_stdout = bool(capture_stdout)
        self._capture_stderr = bool(capture_stderr)

    server_url = property(lambda self: self._server_url,
                          lambda self, value: setattr(self, "_server_url", str(value)))
    auto_register = property(lambda self: self._auto_register,
                             lambda self, value: setattr(self, "_auto_register", bool(value)))

    @staticmethod
    def from_env() -> "CliBridgeConfig":
        """IPCKIT_SERVER_URL and IPCKIT_AUTO_REGISTER ("false" turns it off)."""
        config = CliBridgeConfig()
        if "IPCKIT_SERVER_URL" in os.environ:
            config.server_url = os.environ["IPCKIT_SERVER_URL"]
        if "IPCKIT_AUTO_REGISTER" in os.environ:
            config.auto_register = os.environ["IPCKIT_AUTO_REGISTER"].lower() != "false"
        return config


class CliBridge:
    """The reporting end of one task. CliBridge(config) alone does not post;
    connect() and connect_with_config() do."""

    def __init__(self, config: Optional[CliBridgeConfig] = None) -> None:
        self._config = config if config is not None else CliBridgeConfig()
        self._client: Optional[ApiClient] = None
        self._lock = threading.Lock()
        self._task_id: Optional[str] = None
        self._progress = 0
        self._cancelled = threading.Event()

    @staticmethod
    def connect() -> "CliBridge":
        return CliBridge.connect_with_config(CliBridgeConfig.from_env())

    @staticmethod
    def connect_with_config(config: CliBridgeConfig) -> "CliBridge":
        bridge = CliBridge(config)
        bridge._client = ApiClient(config.server_url)
        return bridge

    def _post(self, path: str, body: Any) -> None:
        if self._client is None:
            return
        try:
            self._client.post(path, body)
        except Exception:  # reporting is best effort, as in 0.1: the tool keeps running
            pass

    def _post_task(self, action: str, body: Any) -> None:
        task_id = self.task_id
        if task_id is not None:
            self._post("/v1/tasks/%s/%s" % (task_id, action), body)

    def register_task(self, name: str, task_type: str) -> str:
        task_id = "cli-%d-%d" % (os.getpid(), int(time.time() * 1000))
        with self._lock:
            self._task_id = task_id
        self._post("/v1/tasks", {"id": task_id, "name": name, "type": task_type, "status": "running"})
        return task_id

    @property
    def task_id(self) -> Optional[str]:
        with self._lock:
            return self._task_id

    def set_progress(self, progress: int, message: Optional[str] = None) -> None:
        progress = int(progress)
        if not 0 <= progress <= 255:
            raise OverflowError("progress must be in 0..255")
        progress = min(progress, 100)
        with self._lock:
            self._progress = progress
        self._post_task("progress", {"progress": progress, "message": message})

    def log(self, level: str, message: str) -> None:
        print("[%s] %s" % (level.upper(), message), file=sys.stderr, flush=True)
        self._post_task("logs", {"level": level, "message": message})

    def stdout(self, line: str) -> None:
        print(line, flush=True)
        self._post_task("stdout", {"line": line})

    def stderr(self, line: str) -> None:
        print(line, file=sys.stderr, flush=True)
        self._post_task("stderr", {"line": line})

    @property
    def is_cancelled(self) -> bool:
        return self._cancelled.is_set()

    def complete(self, result: Any) -> None:
        self._post_task("complete", {"result": result})

    def fail(self, error: str) -> None:
        self._post_task("fail", {"error": error})

    def __enter__(self) -> "CliBridge":
        return self

    def __exit__(self, _exc_type, exc_value, _traceback) -> None:
        if exc_value is not None:
            self.fail("Exception occurred")


class CommandOutput:
    """What wrap_command returns."""

    def __init__(self, exit_code: int, stdout: str, stderr: str, duration_ms: int) -> None:
        self._exit_code, self._stdout, self._stderr, self._duration_ms = exit_code, stdout, stderr, duration_ms

    exit_code = property(lambda self: self._exit_code)
    stdout = property(lambda self: self._stdout)
    stderr = property(lambda self: self._stderr)
    duration_ms = property(lambda self: self._duration_ms)

    @property
    def success(self) -> bool:
        return self._exit_code == 0

    def __repr__(self) -> str:
        return "CommandOutput(exit_code=%d, duration_ms=%d)" % (self._exit_code, self._duration_ms)


def _pump(stream, echo, lines: List[str], on_line) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n").rstrip("\r")
        echo.write(line + "\n")
        echo.flush()
        lines.append(line + "\n")
        if on_line is not None:
            on_line(line)


def wrap_command(args: List[str], task_name: Optional[str] = None, task_type: Optional[str] = None,
                 cwd: Optional[str] = None, env: Optional[Dict[str, str]] = None) -> CommandOutput:
    """Runs args to completion, echoing and collecting its output; with
    task_name, reports it as a task (progress parsed from its stdout)."""
    args = list(args)
    if not args:
        raise ValueError("args must not be empty")
    start = time.monotonic()
    bridge = None
    if task_name is not None:
        bridge = CliBridge.connect_with_config(CliBridgeConfig.from_env())
        bridge.register_task(task_name, task_type if task_type is not None else "command")
    full_env = None
    if env is not None:
        full_env = dict(os.environ)
        full_env.update({str(k): str(v) for k, v in env.items()})
    try:
        child = subprocess.Popen(args, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        raise RuntimeError("IO error: %s" % e) from e

    def on_stdout_line(line: str) -> None:
        info = parse_progress(line)
        if bridge is not None and info is not None:
            bridge.set_progress(info.percentage, info.message)

    out: List[str] = []
    err: List[str] = []
    readers = [threading.Thread(target=_pump, args=(child.stdout, sys.stdout, out, on_stdout_line)),
               threading.Thread(target=_pump, args=(child.stderr, sys.stderr, err, None))]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    exit_code = child.wait()
    if exit_code < 0:
        exit_code = -1  # killed by a signal: 0.1 reports -1
    duration_ms = int((time.monotonic() - start) * 1000)
    if bridge is not None:
        if exit_code == 0:
            bridge.complete({"exit_code": 0, "duration_ms": duration_ms})
        else:
            bridge.fail("Command exited with code %d" % exit_code)
    return CommandOutput(exit_code, "".join(out), "".join(err), duration_ms)
