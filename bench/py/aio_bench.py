"""asyncio round trips: ipckit.aio IpcChannel beside the blocking IpcChannel and
beside asyncio streams over a Unix socket, in one run, against one peer.

    python aio_bench.py --iters 6000 --rounds 3

The peer is one separate process running a blocking ipckit IpcChannel echo
server; every method connects to it as a client and speaks the same wire
format (a u32 little-endian length, then the payload), so only the driver's
side differs:
  - ipckit IpcChannel (blocking): send(), recv();
  - ipckit.aio IpcChannel: await send(), await recv(), on the default event loop;
  - asyncio streams (Unix socket): writer.write(header + payload),
    await writer.drain(), await reader.readexactly(4), readexactly(n).
Methods take turns for `rounds` rounds (a fresh connection each), so load
changes on the shared machine hit all alike; a sample is one round trip,
timed with perf_counter_ns inside the driver (inside the coroutine for the
asyncio methods).
"""

from __future__ import annotations

import argparse
import asyncio
import struct
import subprocess
import sys
import time
from typing import Any, Callable

from common import Samples, emit, fmt_us, progress, result, skip, unique_name

SUITE = "py_aio"
PEER_TIMEOUT_S = 60.0

PEER = """
import ipckit, sys
with ipckit.IpcChannel.create(sys.argv[1]) as server:
    print("ready", flush=True)
    while True:
        server.wait_for_client(timeout=%r)
        while True:
            try:
                message = server.recv(timeout=%r)
            except ipckit.PeerClosedError:
                break
            if message == b"quit":
                sys.exit(0)
            server.send(message)
""" % (PEER_TIMEOUT_S, PEER_TIMEOUT_S)


def messages(size: int) -> list[bytes]:
    """Two messages that differ in their first byte, alternated, so that a stale
    echo is caught without building a message per round trip."""
    return [b"a" + b"m" * (size - 1), b"b" + b"m" * (size - 1)]


def check(reply: bytes, message: bytes) -> None:
    if len(reply) != len(message) or reply[0] != message[0]:
        raise RuntimeError(f"bad echo: {len(reply)} bytes")


def blocking_channel(name: str, size: int, warmup: int, iters: int, samples: Samples) -> None:
    import ipckit

    clock = time.perf_counter_ns
    ms = messages(size)
    with ipckit.IpcChannel.connect(name, timeout=PEER_TIMEOUT_S) as channel:
        for i in range(warmup + iters):
            message = ms[i & 1]
            start = clock()
            channel.send(message)
            reply = channel.recv()
            end = clock()
            check(reply, message)
            if i >= warmup:
                samples.add(end - start)


async def aio_channel(name: str, size: int, warmup: int, iters: int, samples: Samples) -> None:
    from ipckit import aio

    clock = time.perf_counter_ns
    ms = messages(size)
    async with await aio.IpcChannel.connect(name, timeout=PEER_TIMEOUT_S) as channel:
        for i in range(warmup + iters):
            message = ms[i & 1]
            start = clock()
            await channel.send(message)
            reply = await channel.recv()
            end = clock()
            check(reply, message)
            if i >= warmup:
                samples.add(end - start)


async def asyncio_streams(name: str, size: int, warmup: int, iters: int, samples: Samples) -> None:
    import ipckit._ipckit

    clock = time.perf_counter_ns
    frames = [struct.pack("<I", size) + m for m in messages(size)]
    reader, writer = await asyncio.open_unix_connection(ipckit._ipckit.socket_path_for(name))
    try:
        for i in range(warmup + iters):
            frame = frames[i & 1]
            start = clock()
            writer.write(frame)
            await writer.drain()
            (length,) = struct.unpack("<I", await reader.readexactly(4))
            reply = await reader.readexactly(length)
            end = clock()
            check(reply, frame[4:])
            if i >= warmup:
                samples.add(end - start)
    finally:
        writer.close()
        await writer.wait_closed()


def run_async(fn: Callable[..., Any]) -> Callable[..., None]:
    def run(*args: Any) -> None:
        asyncio.run(fn(*args))

    return run


METHODS: dict[str, Callable[[str, int, int, int, Samples], None]] = {
    "ipckit IpcChannel (blocking)": blocking_channel,
    "ipckit.aio IpcChannel": run_async(aio_channel),
    "asyncio streams (Unix socket)": run_async(asyncio_streams),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64")
    parser.add_argument("--iters", type=int, default=6000, help="round trips per method and size")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    name = unique_name("aio")
    peer = subprocess.Popen([sys.executable, "-c", PEER, name], stdout=subprocess.PIPE)
    try:
        assert peer.stdout is not None
        if peer.stdout.readline() != b"ready\n":
            raise RuntimeError("the echo peer did not start")
        for size in [int(s) for s in options.sizes.split(",") if s]:
            per_round = max(options.iters // options.rounds, 10)
            warmup = max(per_round // 10, 10)
            samples = {method: Samples() for method in METHODS}
            failed: dict[str, str] = {}
            for _ in range(options.rounds):
                for method, measure in METHODS.items():
                    if method in failed:
                        continue
                    try:
                        measure(name, size, warmup, per_round, samples[method])
                    except Exception as error:  # Recorded as a skip, with the reason.
                        failed[method] = f"{type(error).__name__}: {error}".strip()
            for method, s in samples.items():
                if method in failed:
                    skip(SUITE, method, size, failed[method])
                    continue
                emit(result({"suite": SUITE, "method": method, "size": size}, s))
                progress(f"  py aio {method:32} {size:8d} B  median {fmt_us(s.median):>10}  "
                         f"p99 {fmt_us(s.p99):>10}")
    finally:
        import ipckit

        try:
            with ipckit.IpcChannel.connect(name, timeout=5) as quit_channel:
                quit_channel.send(b"quit")
            peer.wait(PEER_TIMEOUT_S)
        except Exception:  # the peer is already gone or stuck: make sure it ends
            peer.kill()
            peer.wait()


if __name__ == "__main__":
    main()
