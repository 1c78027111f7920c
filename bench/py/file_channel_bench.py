"""FileChannel request -> response latency between a Python backend and a
frontend in another process (Python, or Node and a Chromium page when js/
provides them).

    python file_channel_bench.py --iters 500 [--node-frontend bench/js/file_channel_frontend.mjs]
        [--browser-frontend bench/js/browser_frontend.mjs]

The backend (this process) sends a request and waits for its response; the
frontend answers each "echo" request with its params and stops on "stop".
Both sides wait on file change (inotify in ipckit); the page reads and writes
through the HTTP bridge (`python -m ipckit serve`), whose held GETs wake on
file change too. The channel directory is a fresh one under $TMPDIR (default
/tmp), removed afterwards. A frontend may print one JSON line on stdout with
diagnostic samples (the page's fetch() floor), reported beside the latency.
"""

from __future__ import annotations

import argparse
import json
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
FETCH_FLOOR = "Chromium fetch() of a static file (diagnostic: the floor of every bridge request)"


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
            iters: int) -> tuple[Samples, dict]:
    """The latency samples, and what the frontend printed as JSON on stdout."""
    import ipckit

    backend = ipckit.FileChannel.backend(directory)
    frontend = subprocess.Popen(frontend_command, stdout=subprocess.PIPE, text=True)
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
        printed, _ = frontend.communicate(timeout=TIMEOUT_S)
        if frontend.returncode != 0:
            raise RuntimeError(f"{label}: the frontend exited with {frontend.returncode}")
    finally:
        if frontend.poll() is None:
            frontend.kill()
            frontend.wait()
        backend.close()
    lines = [line for line in printed.splitlines() if line.startswith("{")]
    return samples, json.loads(lines[-1]) if lines else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=500)
    parser.add_argument("--node-frontend", help="a Node script taking the channel dir")
    parser.add_argument("--node-skip-reason", help="why there is no Node frontend")
    parser.add_argument("--browser-frontend",
                        help="a Node script taking the channel dir and a python with ipckit")
    parser.add_argument("--browser-skip-reason", help="why there is no Chromium frontend")
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
    browser = "Python backend <-> Chromium page frontend (HTTP bridge)"
    if options.browser_frontend:
        frontends.append((browser, ["node", os.path.abspath(options.browser_frontend), "{dir}",
                                    sys.executable], ""))
    else:
        frontends.append((browser, None, options.browser_skip_reason or "no Chromium frontend given"))
    for label, command, reason in frontends:
        if command is None:
            skip(SUITE, label, 0, reason)
            continue
        directory = tempfile.mkdtemp(prefix="ipckit-bench-fc-")
        try:
            samples, printed = measure(label, [a.replace("{dir}", directory) for a in command],
                                       directory, warmup, options.iters)
        except Exception as error:  # Recorded, with the reason.
            skip(SUITE, label, 0, f"{type(error).__name__}: {error}")
            continue
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        emit(result({"suite": SUITE, "method": label, "size": 0}, samples))
        progress(f"  file channel {label:36} median {fmt_us(samples.median):>10}  "
                 f"p99 {fmt_us(samples.p99):>10}")
        if printed.get("fetch_floor_ns"):
            floor = Samples()
            for ns in printed["fetch_floor_ns"]:
                floor.add(int(ns))
            emit(result({"suite": SUITE, "method": FETCH_FLOOR, "size": 0}, floor))
            progress(f"  {FETCH_FLOOR}: median {fmt_us(floor.median)}")


if __name__ == "__main__":
    main()
