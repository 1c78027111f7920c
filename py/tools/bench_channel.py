"""Per-call cost of IpcChannel send/recv from Python, next to the C++ API.

Not a test. With the wheel installed in the running Python:

    python py/tools/bench_channel.py [--rounds 20000] [--size 64]
    bazel run -c opt //cc/channel:channel_bench      # the same ping-pong in C++

Two processes play ping-pong with `size`-byte messages; a round trip is
2 sends + 2 recvs + 2 process wake-ups. The script also times send+recv on a
channel whose peer is this same process (no wake-up), which is closer to the
pure per-call cost of the binding.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import ipckit


def echo_peer(name, rounds):
    channel = ipckit.IpcChannel.connect(name, timeout=20)
    for _ in range(rounds):
        channel.send(channel.recv(timeout=20))
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--peer", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        return echo_peer(args.peer[0], int(args.peer[1]))

    payload = b"x" * args.size
    name = "ipckit_bench_%d" % os.getpid()
    server = ipckit.IpcChannel.create(name)
    peer = subprocess.Popen([sys.executable, __file__, "--peer", name, str(args.rounds)])
    server.wait_for_client(timeout=20)
    for _ in range(min(1000, args.rounds // 10)):  # warm-up, not timed
        server.send(payload)
        server.recv()
    warm = min(1000, args.rounds // 10)
    timed = args.rounds - warm
    start = time.perf_counter()
    for _ in range(timed):
        server.send(payload)
        server.recv()
    elapsed = time.perf_counter() - start
    peer.wait(timeout=60)
    print("ipckit %s, %d-byte messages" % (ipckit.__version__, args.size))
    print("  two processes : %.2f us per round trip (%d round trips)"
          % (elapsed / timed * 1e6, timed))

    # One process talking to itself: send then recv on the other end, no
    # scheduler wake-up between them.
    loop_name = name + "_loop"
    loop_server = ipckit.IpcChannel.create(loop_name)
    client = ipckit.IpcChannel.connect(loop_name, timeout=5)
    loop_server.wait_for_client(timeout=5)
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(10000):
            client.send(payload)
            loop_server.recv()
        samples.append((time.perf_counter() - start) / 10000)
    print("  same process  : %.2f us per send+recv pair (best of 5 x 10000)"
          % (min(samples) * 1e6))
    print("  median of the 5 same-process runs: %.2f us" % (statistics.median(samples) * 1e6))
    for closeable in (client, loop_server, server):
        closeable.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
