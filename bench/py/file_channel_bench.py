"""FileChannel request -> response latency between a Python backend and a
frontend in another process (Python, or Node and a Chromium page when js/
provides them).

    python file_channel_bench.py --iters 500 [--node-frontend bench/js/file_channel_frontend.mjs]
        [--browser-frontend bench/js/browser_frontend.mjs]

The backend (this process) sends a request and waits for its response; the
frontend answers each "echo" request with its params and stops on "stop".
The history rows (issue 13's goals) measure the Node frontend as a named
reader, with the backend a named reader too, on a fresh channel, after 3000
events were sent to it, and 1 s after one 5 MB event was taken: format 2's
writers prune what every named reader acknowledged, so the cost should not
grow with what was sent before.
Both sides wait on file change (inotify in ipckit); the page reads and writes
through the HTTP bridge (`python -m ipckit serve`), whose held GETs wake on
file change too. The channel directory is a fresh one under --channel-root
(default $TMPDIR, else /tmp), removed afterwards; run.sh puts it on tmpfs
(/dev/shm), where /tmp is on Debian 13, Fedora and Arch and $XDG_RUNTIME_DIR
everywhere: on an ext4 /tmp every replace-by-rename of a channel file (four
per page round trip) waits on the journal, milliseconds each when other work
on the machine writes to the disk, which the rows would measure instead of
ipckit. A frontend may print one JSON line on stdout with
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
NODE_NAMED = "Python backend <-> Node frontend, named readers"
HISTORY_ROWS = (
    (f"{NODE_NAMED}, fresh channel", None),
    (f"{NODE_NAMED}, 3000 messages already sent", "burst"),
    (f"{NODE_NAMED}, 1 s after one 5 MB message was consumed", "large"),
)
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


def send_history(backend, history: str) -> None:
    """What was sent before the measurement: 3000 events, or one 5 MB event.
    Returns once the frontend has taken them (it answers an echo sent after
    them, in file order), and, for the 5 MB event, 1 s later."""
    if history == "burst":
        for i in range(3000):
            backend.send_event("history", {"i": i, "text": "ping"})
    elif history == "large":
        backend.send_event("history", {"blob": "x" * (5 * 1000 * 1000)})
    backend.wait_response(backend.send_request("echo", None), timeout=TIMEOUT_S)
    if history == "large":
        time.sleep(1.0)


def measure(label: str, frontend_command: list[str], directory: str, warmup: int,
            iters: int, history: Optional[str] = None, reader: Optional[str] = None) -> tuple[Samples, dict]:
    """The latency samples, and what the frontend printed as JSON on stdout."""
    import ipckit

    backend = ipckit.FileChannel.backend(directory, reader=reader) if reader else ipckit.FileChannel.backend(directory)
    frontend = subprocess.Popen(frontend_command, stdout=subprocess.PIPE, text=True)
    samples = Samples()
    try:
        ready = backend.recv_one(timeout=TIMEOUT_S)
        if ready is None or ready.get("method") != "ready":
            raise RuntimeError(f"{label}: the frontend did not start: {ready!r}")
        if history is not None:
            send_history(backend, history)
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
            # SIGTERM first: the Chromium frontend then ends its browser and
            # bridge, which a SIGKILL would leave running.
            frontend.terminate()
            try:
                frontend.wait(timeout=10)
            except subprocess.TimeoutExpired:
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
    parser.add_argument("--only", help="measure only the rows whose label contains this text")
    parser.add_argument("--channel-root", help="where the channel directories are made (default: $TMPDIR or /tmp)")
    parser.add_argument("--frontend", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.frontend:
        run_python_frontend(options.frontend)
        return

    warmup = max(options.iters // 10, 10)
    frontends: list[tuple[str, Optional[list[str]], str, Optional[str], Optional[str]]] = [
        ("Python backend <-> Python frontend",
         [sys.executable, os.path.abspath(__file__), "--frontend", "{dir}"], "", None, None),
    ]
    if options.node_frontend:
        frontends.append(("Python backend <-> Node frontend",
                          ["node", os.path.abspath(options.node_frontend), "{dir}"], "", None, None))
        for label, history in HISTORY_ROWS:
            frontends.append((label, ["node", os.path.abspath(options.node_frontend), "{dir}", "bench-frontend"],
                              "", history, "bench-backend"))
    else:
        for label in ["Python backend <-> Node frontend"] + [row[0] for row in HISTORY_ROWS]:
            frontends.append((label, None, options.node_skip_reason or "no Node frontend given", None, None))
    browser = "Python backend <-> Chromium page frontend (HTTP bridge)"
    if options.browser_frontend:
        frontends.append((browser, ["node", os.path.abspath(options.browser_frontend), "{dir}",
                                    sys.executable], "", None, None))
    else:
        frontends.append((browser, None, options.browser_skip_reason or "no Chromium frontend given", None, None))
    if options.only:
        frontends = [f for f in frontends if options.only in f[0]]
    for label, command, reason, history, reader in frontends:
        if command is None:
            skip(SUITE, label, 0, reason)
            continue
        directory = tempfile.mkdtemp(prefix="ipckit-bench-fc-", dir=options.channel_root)
        try:
            samples, printed = measure(label, [a.replace("{dir}", directory) for a in command],
                                       directory, warmup, options.iters, history, reader)
        except Exception as error:  # Recorded, with the reason.
            skip(SUITE, label, 0, f"{type(error).__name__}: {error}")
            continue
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        emit(result({"suite": SUITE, "method": label, "size": 0,
                     "channel_root": os.path.dirname(directory)}, samples))
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
