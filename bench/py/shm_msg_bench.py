"""Python zero-copy shared-memory messaging: ipckit ShmPublisher/ShmSubscriber
beside iceoryx2's publish/subscribe, between two processes.

    python bench/py/shm_msg_bench.py --iters 5000 --big-iters 100 --rounds 3
    python bench/py/shm_msg_bench.py --only loans --size 1048576 --rounds 5

--only (a substring of the row's label, repeatable) and --size (repeatable)
run a subset of the rows; rounds still alternate the rows that are left.
--pin DRIVER,PEER puts the driver and its peer on those CPUs (as
bench/cc's --pin): on a loaded machine, whether two busy-waiting processes
share a core otherwise decides a row (1 MiB round trips of 0.1 ms or 10 ms).

Measured like iceoryx2's own benchmark: ping-pong, the sample being one round
trip (or one round trip / 2 for one-way latency); busy-wait on both sides
(subscriber polled without sleeping), and for ipckit also with blocking
(futex) waits. Payloads are written into a loan (ipckit: a memoryview of the
loan; iceoryx2: loan_slice_uninit + memmove) and echoed by the peer the same
way. One JSON line per measurement on stdout (suite "py_shm_msg").
"""

import argparse
import ctypes
import json
import os
import subprocess
import sys
import time
from typing import Any

SUITE = "py_shm_msg"
MIB = 1 << 20


def unique_name(what: str) -> str:
    return "bench_%s_%d_%s" % (what, os.getpid(), os.urandom(4).hex())


class Ipckit:
    def __init__(self, name: str, outgoing: str, incoming: str, size: int, wait: str) -> None:
        import ipckit

        config = dict(max_payload=size, max_subscribers=1, subscriber_buffer=4, max_held=2,
                      timeout=10)
        self.wait = wait
        self.pub = ipckit.ShmPublisher.create(f"{name}.{outgoing}", **config)
        self.sub = ipckit.ShmSubscriber.create(f"{name}.{incoming}", wait=wait, **config)

    def send(self, data: Any) -> None:
        loan = self.pub.loan(len(data))
        with memoryview(loan) as view:
            view[:] = data
        self.pub.send(loan)

    def try_recv(self) -> Any:
        import ipckit

        try:
            return self.sub.receive(timeout=0)
        except ipckit.IpcTimeoutError:
            return None

    def recv(self) -> None:
        self.sub.receive(timeout=30).release()

    def echo(self) -> bool:
        with self.sub.receive(timeout=30) as sample, memoryview(sample) as view:
            if len(view) == 0:
                return False
            self.send(view)
        return True

    def close(self) -> None:
        self.pub.close()
        self.sub.close()


class Iceoryx2:
    def __init__(self, name: str, outgoing: str, incoming: str, size: int, wait: str) -> None:
        import iceoryx2 as iox2

        iox2.set_log_level_from_env_or(iox2.LogLevel.Error)
        self.node = iox2.NodeBuilder.new().create(iox2.ServiceType.Ipc)

        def pubsub(which: str) -> Any:
            return (self.node.service_builder(iox2.ServiceName.new(f"{name}/{which}"))
                    .publish_subscribe(iox2.Slice[ctypes.c_uint8]).open_or_create())

        self.services = [pubsub(outgoing), pubsub(incoming)]
        self.publisher = self.services[0].publisher_builder().initial_max_slice_len(size).create()
        self.subscriber = self.services[1].subscriber_builder().create()

    def send(self, data: Any) -> None:
        sample = self.publisher.loan_slice_uninit(len(data))
        if not isinstance(data, bytes):
            data = bytes(data)
        ctypes.memmove(sample.payload().as_ptr(), data, len(data))
        sample.assume_init().send()

    def try_recv(self) -> Any:
        return self.subscriber.receive()

    def recv(self) -> None:
        while True:
            sample = self.subscriber.receive()
            if sample is not None:
                sample.delete()
                return

    def echo(self) -> bool:
        while True:
            sample = self.subscriber.receive()
            if sample is not None:
                break
        payload = sample.payload()
        n = payload.len()
        if n == 1 and ctypes.string_at(payload.as_ptr(), 1) == b"\xff":
            sample.delete()
            return False
        out = self.publisher.loan_slice_uninit(n)
        ctypes.memmove(out.payload().as_ptr(), payload.as_ptr(), n)
        sample.delete()
        out.assume_init().send()
        return True

    def close(self) -> None:
        for port in (self.publisher, self.subscriber):
            port.delete()
        self.services.clear()
        del self.node


LIBS = {"ipckit": Ipckit, "iceoryx2": Iceoryx2}


def run_peer(lib: str, name: str, size: int, wait: str) -> None:
    endpoint = LIBS[lib](name, "pong", "ping", size, wait)
    print("ready", flush=True)
    while endpoint.echo():
        pass
    endpoint.close()


def measure(lib: str, wait: str, size: int, iters: int, one_way: bool,
            pin: tuple[int, int] | None = None) -> list[int]:
    name = unique_name(lib)
    endpoint = LIBS[lib](name, "ping", "pong", size, wait)
    peer = subprocess.Popen([sys.executable, __file__, "--peer", lib, name, str(size), wait],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert peer.stdout.readline().strip() == "ready"
        if pin is not None:
            os.sched_setaffinity(peer.pid, {pin[1]})
            os.sched_setaffinity(0, {pin[0]})
        payload = os.urandom(size)
        # Until the peer's subscriber is connected, pings are lost: resend
        # until one comes back, then let stray echoes arrive and drop them.
        deadline = time.monotonic() + 20
        while True:
            endpoint.send(payload)
            got = None
            until = time.monotonic() + 0.05
            while got is None and time.monotonic() < until:
                got = endpoint.try_recv()
            if got is not None:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{lib} peer never answered")
        time.sleep(0.1)
        while endpoint.try_recv() is not None:
            pass
        samples = []
        warmup = max(iters // 10, 5)
        for i in range(warmup + iters):
            start = time.perf_counter_ns()
            endpoint.send(payload)
            endpoint.recv()
            end = time.perf_counter_ns()
            if i >= warmup:
                samples.append((end - start) // 2 if one_way else end - start)
        endpoint.send(b"" if lib == "ipckit" else b"\xff")
        peer.wait(timeout=30)
    finally:
        if peer.poll() is None:
            peer.kill()
            peer.wait()
        endpoint.close()
    return samples


def quantile(sorted_ns: list[int], q: float) -> int:
    return sorted_ns[min(len(sorted_ns) - 1, max(0, int(q * len(sorted_ns) + 0.5) - 1))]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--peer":
        run_peer(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=5000)
    parser.add_argument("--big-iters", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", action="append", default=[],
                        help="run only the rows whose label contains this (repeatable)")
    parser.add_argument("--size", action="append", type=int, default=[],
                        help="run only the rows of this payload size (repeatable)")
    parser.add_argument("--pin", metavar="DRIVER,PEER",
                        help="run the driver on CPU DRIVER and its peer on CPU PEER")
    options = parser.parse_args()
    pin = None
    if options.pin:
        driver_cpu, peer_cpu = (int(cpu) for cpu in options.pin.split(","))
        pin = (driver_cpu, peer_cpu)
    cases = [  # (method label, lib, wait, size, one_way)
        ("ipckit shm_msg one-way (busy)", "ipckit", "busy", 64, True),
        ("iceoryx2 pub/sub one-way (busy)", "iceoryx2", "busy", 64, True),
    ]
    for size in (MIB, 16 * MIB):
        cases += [
            ("ipckit shm_msg RTT with loans (busy)", "ipckit", "busy", size, False),
            ("ipckit shm_msg RTT with loans (futex)", "ipckit", "blocking", size, False),
            ("iceoryx2 pub/sub RTT with loans (busy)", "iceoryx2", "busy", size, False),
        ]
    cases = [case for case in cases
             if (not options.only or any(part in case[0] for part in options.only))
             and (not options.size or case[3] in options.size)]
    collected: dict[tuple[str, int], list[int]] = {}
    for r in range(options.rounds):
        print(f"  round {r + 1}/{options.rounds}", file=sys.stderr, flush=True)
        for label, lib, wait, size, one_way in cases:
            iters = options.iters if size <= 4096 else options.big_iters
            try:
                collected.setdefault((label, size), []).extend(
                    measure(lib, wait, size, iters, one_way, pin))
            except Exception as e:  # noqa: BLE001 - reported as skipped
                collected[(label, size)] = []
                print(json.dumps({"suite": SUITE, "method": label, "size": size,
                                  "skipped": f"{type(e).__name__}: {e}"}), flush=True)
    for (label, size), ns in collected.items():
        if not ns:
            continue
        ns.sort()
        median, p99 = quantile(ns, 0.5), quantile(ns, 0.99)
        print(json.dumps({"suite": SUITE, "method": label, "size": size, "iters": len(ns),
                          "median_ns": median, "p99_ns": p99}), flush=True)
        print(f"  py shm_msg {label:<42} {size:>9} B  median {median / 1e3:9.2f} us  "
              f"p99 {p99 / 1e3:9.2f} us", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
