"""Diagnostic: the CPU cost of one send + one receive of 64 B in ONE process,
where the data is always already there, so nobody sleeps or wakes.

    python call_overhead.py --rounds 20

This is the part of a round trip that the library itself costs (bindings,
GIL hand-offs, system calls, copies), without the kernel's wake-up of the
other process that dominates py_rtt. A sample is a batch of calls divided by
its length; methods take turns batch by batch.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import threading
import time
from typing import Any, Callable

from common import Samples, emit, fmt_us, progress, result, unique_name

SUITE = "py_call_overhead"
SIZE = 64


def pairs() -> dict[str, tuple[Callable[[bytes], Any], Callable[[], Any], Callable[[], None]]]:
    """label -> (send, receive, close), each over a connected pair in this process."""
    import ipckit

    out = {}
    name = unique_name("ovh")
    server = ipckit.IpcChannel.create(name)
    box: list[Any] = []
    connector = threading.Thread(target=lambda: box.append(ipckit.IpcChannel.connect(name, timeout=10)))
    connector.start()
    server.wait_for_client(timeout=10)
    connector.join()
    client = box[0]

    def close_channel() -> None:
        client.close()
        server.close()

    out["ipckit IpcChannel send/recv"] = (client.send, server.recv, close_channel)

    pipe = ipckit.AnonymousPipe()
    out["ipckit AnonymousPipe write_all/read_exact"] = (
        pipe.write_all, lambda: pipe.read_exact(SIZE), pipe.close)

    mine, theirs = multiprocessing.Pipe()

    def close_mp() -> None:
        mine.close()
        theirs.close()

    out["multiprocessing.Pipe send_bytes/recv_bytes"] = (mine.send_bytes, theirs.recv_bytes, close_mp)

    a, b = socket.socketpair()
    buf = bytearray(SIZE)

    def close_sockets() -> None:
        a.close()
        b.close()

    out["raw socket.socketpair sendall/recv_into"] = (a.sendall, lambda: b.recv_into(buf), close_sockets)

    r, w = os.pipe()

    def close_fds() -> None:
        os.close(r)
        os.close(w)

    out["raw os.pipe write/readv"] = (lambda m: os.write(w, m), lambda: os.readv(r, [buf]), close_fds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--batch", type=int, default=2000)
    options = parser.parse_args()

    message = b"m" * SIZE
    methods = pairs()
    samples = {label: Samples() for label in methods}
    clock = time.perf_counter_ns
    for round_index in range(options.rounds + 1):  # round 0 warms up
        for label, (send, recv, _) in methods.items():
            start = clock()
            for _ in range(options.batch):
                send(message)
                recv()
            if round_index > 0:
                samples[label].add((clock() - start) // options.batch)
    for label, (_, _, close) in methods.items():
        close()
        s = samples[label]
        emit(result({"suite": SUITE, "method": label, "size": SIZE}, s))
        progress(f"  py call overhead {label:44} median {fmt_us(s.median):>9}")


if __name__ == "__main__":
    main()
