"""FileChannel request -> response latency between a Python backend and a
frontend in another process (Python, or Node when js/ provides one).

    python file_channel_bench.py --iters 500 [--node-frontend bench/js/file_channel_frontend.mjs]

The backend (this process) sends a request and waits for its response; the
frontend answers each "echo" request with its params and stops on "stop".
Both sides wait on file change (inotify in ipckit); the channel directory is
a fresh one under $TMPDIR (default /tmp), removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Optional

from common import Samples, emit, fmt_us, progress, result, skip

SUITE = "py_file_channel"
TIMEOUT_S = 30.0


def run_python_frontend(directory: str) -> None:
    """The Python frontend process: announces itself, then answers requests."""
    import ipckit

    channel = ipckit.FileChannel.frontend(directory)
    channel.send_event("ready", {"pid": os.getpid()})
    while True:
        message = channel.recv_one(timeout=TIMEOUT_S)
        if message is None:
            raise TimeoutError("no request for %.0f s" % TIMEOUT_S)
        if message.get("type") != "request":
            continue
        channel.send_response(message["id"], message.get("payload"))
        if message.get("method") == "stop":
            break
    channel.close()


def measure(label: str, frontend_command: list[str], directory: str, warmup: int,
            iters: int) -> Samples:
    import ipckit

    backend = ipckit.FileChannel.backend(directory)
    frontend = subprocess.Popen(frontend_command)
    samples = Samples()
    try:
        ready = backend.recv_one(timeout=TIMEOUT_S)
        if ready is None or ready.get("method") != "ready":
            raise RuntimeError(f"{label}: the frontend did not start: {ready!r}")
        clock = time.perf_counter_ns
        for i in range(warmup + iters):
            params = {"i": i, "text": "ping"}
            start = clock()
            request_id = backend.send_request("echo", params)
            response = backend.wait_response(request_id, timeout=TIMEOUT_S)
            end = clock()
            if response.get("payload") != params:
                raise RuntimeError(f"{label}: wrong response {response!r}")
            if i >= warmup:
                samples.add(end - start)
        backend.wait_response(backend.send_request("stop"), timeout=TIMEOUT_S)
        if frontend.wait(TIMEOUT_S) != 0:
            raise RuntimeError(f"{label}: the frontend exited with {frontend.returncode}")
    finally:
        if frontend.poll() is None:
            frontend.kill()
            frontend.wait()
        backend.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=500)
    parser.add_argument("--node-frontend", help="a Node script taking the channel dir")
    parser.add_argument("--node-skip-reason", help="why there is no Node frontend")
    parser.add_argument("--frontend", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.frontend:
        run_python_frontend(options.frontend)
        return

    warmup = max(options.iters // 10, 10)
    frontends: list[tuple[str, Optional[list[str]], str]] = [
        ("Python backend <-> Python frontend",
         [sys.executable, os.path.abspath(__file__), "--frontend", "{dir}"], ""),
    ]
    if options.node_frontend:
        frontends.append(("Python backend <-> Node frontend",
                          ["node", os.path.abspath(options.node_frontend), "{dir}"], ""))
    else:
        frontends.append(("Python backend <-> Node frontend", None,
                          options.node_skip_reason or "no Node frontend given"))
    for label, command, reason in frontends:
        if command is None:
            skip(SUITE, label, 0, reason)
            continue
        directory = tempfile.mkdtemp(prefix="ipckit-bench-fc-")
        try:
            samples = measure(label, [a.replace("{dir}", directory) for a in command], directory,
                              warmup, options.iters)
        except Exception as error:  # Recorded, with the reason.
            skip(SUITE, label, 0, f"{type(error).__name__}: {error}")
            continue
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        emit(result({"suite": SUITE, "method": label, "size": 0}, samples))
        progress(f"  file channel {label:36} median {fmt_us(samples.median):>10}  "
                 f"p99 {fmt_us(samples.p99):>10}")


if __name__ == "__main__":
    main()
