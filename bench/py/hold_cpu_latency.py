"""Holds a PM QoS request of 0 us CPU wake-up latency while it runs.

    python hold_cpu_latency.py < some_pipe   # held until stdin closes

On this VM (cpuidle driver "haltpoll") an idle vCPU halts, and waking a
process on it costs ~50 us: round trips between two processes then measure
the hypervisor, and flip between ~5 us and ~60 us with the load other people
put on the machine. Writing 0 to /dev/cpu_dma_latency (the kernel's PM QoS
interface) keeps idle CPUs in the polling state instead, for as long as the
file stays open; the kernel drops the request when this process exits, so
nothing outlives the run. It takes no CPU time from other work (a polling
idle CPU runs anything runnable at once).

Prints "held" or "not held: <reason>" on stdout, then waits for EOF on stdin.
"""

from __future__ import annotations

import os
import struct
import sys

PATH = "/dev/cpu_dma_latency"


def main() -> None:
    try:
        fd = os.open(PATH, os.O_WRONLY)
        os.write(fd, struct.pack("i", 0))
    except OSError as error:
        print(f"not held: {PATH}: {error.strerror}", flush=True)
        fd = -1
    else:
        print("held", flush=True)
    sys.stdin.buffer.read()  # until the harness closes our stdin (or dies)
    if fd >= 0:
        os.close(fd)


if __name__ == "__main__":
    main()
