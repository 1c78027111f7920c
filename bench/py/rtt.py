"""Python round-trip latency between two processes: ipckit beside its peers.

    python rtt.py --sizes 64,4096,1048576 --iters 5000 --big-iters 300 --rounds 3

For each size, each method runs `rounds` times in turn (so that a change in
the shared machine's load hits every method alike); each run starts a fresh
peer process that echoes `iters` messages, after a warm-up. Samples are single
round trips (send, then receive the echo), timed with perf_counter_ns.

Methods: ipckit AnonymousPipe, NamedPipe, IpcChannel and SharedMemory (with a
one-byte AnonymousPipe handshake each way); multiprocessing.Pipe (send_bytes /
recv_bytes), raw os.pipe, raw socket.socketpair, pyzmq PAIR over ipc://,
iceoryx2 publish/subscribe (woken by its event service) and posix_ipc message
queues. Raw baselines carry no framing (both sides know the size) and read
into a preallocated buffer: the least a careful user would do.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from typing import Any, Callable, Optional, Protocol

from common import Samples, emit, fmt_us, progress, result, skip, unique_name

SUITE = "py_rtt"
PEER_TIMEOUT_S = 60.0


class Endpoint(Protocol):
    def send(self, data: Any) -> None: ...

    def recv(self, size: int) -> Any: ...

    def close(self) -> None: ...


class Setup:
    """The driver's side of one method, from creating it to connecting."""

    #: Arguments for the peer (JSON-encoded on its command line).
    peer_args: dict[str, Any]
    #: fds the peer inherits.
    pass_fds: tuple[int, ...] = ()

    def after_spawn(self) -> Endpoint:
        """Called once the peer runs; returns the connected endpoint."""
        raise NotImplementedError


# --- ipckit ---------------------------------------------------------------


class _IpckitStream:
    """NamedPipe (or its connection): a byte stream, read_exact per message."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def send(self, data: Any) -> None:
        self.stream.write_all(data)

    def recv(self, size: int) -> Any:
        return self.stream.read_exact(size)

    def close(self) -> None:
        self.stream.close()


class _IpckitPipes:
    """Two ipckit AnonymousPipes, one per direction."""

    def __init__(self, reader: Any, writer: Any) -> None:
        self.reader = reader
        self.writer = writer

    def send(self, data: Any) -> None:
        self.writer.write_all(data)

    def recv(self, size: int) -> Any:
        return self.reader.read_exact(size)

    def close(self) -> None:
        self.reader.close()
        self.writer.close()


class IpckitAnonymousPipeSetup(Setup):
    def __init__(self, size: int) -> None:
        import ipckit

        self.to_peer = ipckit.AnonymousPipe()
        self.from_peer = ipckit.AnonymousPipe()
        self.peer_fds = (self.to_peer.detach_reader(), self.from_peer.detach_writer())
        self.pass_fds = self.peer_fds
        self.peer_args = {"reader_fd": self.peer_fds[0], "writer_fd": self.peer_fds[1]}

    def after_spawn(self) -> Endpoint:
        for fd in self.peer_fds:
            os.close(fd)
        self.to_peer.close_reader()
        self.from_peer.close_writer()
        return _IpckitPipes(self.from_peer, self.to_peer)


def ipckit_anonymous_pipe_peer(args: dict[str, Any]) -> Endpoint:
    import ipckit

    pipe = ipckit.AnonymousPipe.from_fds(reader_fd=args["reader_fd"], writer_fd=args["writer_fd"])
    return _IpckitPipes(pipe, pipe)


def _ipckit_server(class_name: str, prefix: str, wrap: Any) -> tuple[type, Any]:
    """The setup and peer of an ipckit server class (NamedPipe, IpcChannel share
    one shape): the driver creates and waits for one client, the peer connects."""

    class ServerSetup(Setup):
        def __init__(self, size: int) -> None:
            import ipckit

            name = unique_name(prefix)
            self.server = getattr(ipckit, class_name).create(name)
            self.peer_args = {"name": name}

        def after_spawn(self) -> Endpoint:
            self.server.wait_for_client(timeout=PEER_TIMEOUT_S)
            return wrap(self.server)

    def peer(args: dict[str, Any]) -> Endpoint:
        import ipckit

        return wrap(getattr(ipckit, class_name).connect(args["name"], timeout=PEER_TIMEOUT_S))

    return ServerSetup, peer


IpckitNamedPipeSetup, ipckit_named_pipe_peer = _ipckit_server("NamedPipe", "np", _IpckitStream)


class _IpckitChannel:
    def __init__(self, channel: Any) -> None:
        self.channel = channel

    def send(self, data: Any) -> None:
        self.channel.send(data)

    def recv(self, size: int) -> Any:
        return self.channel.recv()

    def close(self) -> None:
        self.channel.close()


IpckitChannelSetup, ipckit_channel_peer = _ipckit_server("IpcChannel", "ch", _IpckitChannel)


class _IpckitShm:
    """Two segments (one per direction); a one-byte token announces each message."""

    def __init__(self, outbox: Any, inbox: Any, tokens: _IpckitPipes) -> None:
        self.outbox = outbox
        self.inbox = inbox
        self.tokens = tokens

    def send(self, data: Any) -> None:
        self.outbox.write(0, data)
        self.tokens.send(b"t")

    def recv(self, size: int) -> Any:
        self.tokens.recv(1)
        return self.inbox.read(0, size)

    def close(self) -> None:
        self.tokens.close()
        self.outbox.close()
        self.inbox.close()


class IpckitSharedMemorySetup(Setup):
    def __init__(self, size: int) -> None:
        import ipckit

        name = unique_name("shm")
        self.requests = ipckit.SharedMemory.create(name + "-req", size)
        self.replies = ipckit.SharedMemory.create(name + "-rep", size)
        self.tokens = IpckitAnonymousPipeSetup(size)
        self.pass_fds = self.tokens.pass_fds
        self.peer_args = dict(self.tokens.peer_args, name=name)

    def after_spawn(self) -> Endpoint:
        tokens = self.tokens.after_spawn()
        assert isinstance(tokens, _IpckitPipes)
        return _IpckitShm(self.requests, self.replies, tokens)


def ipckit_shared_memory_peer(args: dict[str, Any]) -> Endpoint:
    import ipckit

    requests = ipckit.SharedMemory.open(args["name"] + "-req", timeout=PEER_TIMEOUT_S)
    replies = ipckit.SharedMemory.open(args["name"] + "-rep", timeout=PEER_TIMEOUT_S)
    tokens = ipckit_anonymous_pipe_peer(args)
    assert isinstance(tokens, _IpckitPipes)
    return _IpckitShm(replies, requests, tokens)


# --- raw OS primitives ------------------------------------------------------


class _RawFds:
    """Blocking fds: os.write everything, os.readv into a reused buffer."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.buf = bytearray()
        self.view = memoryview(self.buf)

    def send(self, data: Any) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.write_fd, view):]

    def recv(self, size: int) -> Any:
        if len(self.buf) != size:
            self.view.release()
            self.buf = bytearray(size)
            self.view = memoryview(self.buf)
        got = 0
        while got < size:
            n = os.readv(self.read_fd, [self.view[got:]])
            if n == 0:
                raise EOFError("the peer closed")
            got += n
        return self.view

    def close(self) -> None:
        os.close(self.read_fd)
        if self.write_fd != self.read_fd:
            os.close(self.write_fd)


class OsPipeSetup(Setup):
    def __init__(self, size: int) -> None:
        self.to_peer = os.pipe()
        self.from_peer = os.pipe()
        self.pass_fds = (self.to_peer[0], self.from_peer[1])
        self.peer_args = {"read_fd": self.to_peer[0], "write_fd": self.from_peer[1]}

    def after_spawn(self) -> Endpoint:
        os.close(self.to_peer[0])
        os.close(self.from_peer[1])
        return _RawFds(self.from_peer[0], self.to_peer[1])


def os_pipe_peer(args: dict[str, Any]) -> Endpoint:
    return _RawFds(args["read_fd"], args["write_fd"])


class _RawSocket:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.view = memoryview(self.buf)

    def send(self, data: Any) -> None:
        self.sock.sendall(data)

    def recv(self, size: int) -> Any:
        if len(self.buf) != size:
            self.view.release()
            self.buf = bytearray(size)
            self.view = memoryview(self.buf)
        got = 0
        while got < size:
            n = self.sock.recv_into(self.view[got:])
            if n == 0:
                raise EOFError("the peer closed")
            got += n
        return self.view

    def close(self) -> None:
        self.sock.close()


class SocketpairSetup(Setup):
    def __init__(self, size: int) -> None:
        self.mine, self.theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.pass_fds = (self.theirs.fileno(),)
        self.peer_args = {"fd": self.theirs.fileno()}

    def after_spawn(self) -> Endpoint:
        self.theirs.close()
        return _RawSocket(self.mine)


def socketpair_peer(args: dict[str, Any]) -> Endpoint:
    return _RawSocket(socket.socket(fileno=args["fd"]))


# --- multiprocessing.Pipe (its own process launch) -------------------------


class _MpConnection:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def send(self, data: Any) -> None:
        self.conn.send_bytes(data)

    def recv(self, size: int) -> Any:
        return self.conn.recv_bytes()

    def close(self) -> None:
        self.conn.close()


def mp_pipe_peer_main(conn: Any, size: int, count: int, pin: int = -1) -> None:
    """The multiprocessing child: says ready, then echoes `count` messages."""
    pin_to(pin)
    conn.send_bytes(b"ready")
    for _ in range(count):
        conn.send_bytes(conn.recv_bytes())
    conn.close()


# --- third-party peers ------------------------------------------------------


def _zmq_path(name: str) -> str:
    return f"/tmp/{name}.zmq"


def _zmq_endpoint(name: str) -> str:
    return "ipc://" + _zmq_path(name)


class _Zmq:
    def __init__(self, context: Any, sock: Any, owned_path: str = "") -> None:
        self.context = context
        self.sock = sock
        self.owned_path = owned_path  # the bound ipc:// socket file, removed on close

    def send(self, data: Any) -> None:
        self.sock.send(data)

    def recv(self, size: int) -> Any:
        return self.sock.recv()

    def close(self) -> None:
        # A linger long enough for the last echo to leave (0 would drop it).
        self.sock.close(linger=5000)
        self.context.term()
        if self.owned_path:
            try:
                os.unlink(self.owned_path)
            except FileNotFoundError:
                pass


class ZmqSetup(Setup):
    def __init__(self, size: int) -> None:
        import zmq

        name = unique_name("zmq")
        context = zmq.Context()
        sock = context.socket(zmq.PAIR)
        sock.bind(_zmq_endpoint(name))
        self.endpoint = _Zmq(context, sock, owned_path=_zmq_path(name))
        self.peer_args = {"name": name}

    def after_spawn(self) -> Endpoint:
        return self.endpoint


def zmq_peer(args: dict[str, Any]) -> Endpoint:
    import zmq

    context = zmq.Context()
    sock = context.socket(zmq.PAIR)
    sock.connect(_zmq_endpoint(args["name"]))
    return _Zmq(context, sock)


class _Iceoryx2:
    """A publisher and a subscriber of byte slices, each with an event service
    whose notifier wakes the other side (so nobody spins)."""

    def __init__(self, name: str, outgoing: str, incoming: str, max_size: int) -> None:
        import iceoryx2 as iox2

        iox2.set_log_level_from_env_or(iox2.LogLevel.Error)
        self.iox2 = iox2
        self.node = iox2.NodeBuilder.new().create(iox2.ServiceType.Ipc)

        def pubsub(which: str) -> Any:
            return (
                self.node.service_builder(iox2.ServiceName.new(f"{name}/{which}"))
                .publish_subscribe(iox2.Slice[ctypes.c_uint8])
                .open_or_create()
            )

        def event(which: str) -> Any:
            return (
                self.node.service_builder(iox2.ServiceName.new(f"{name}/{which}-event"))
                .event()
                .open_or_create()
            )

        self.services = [pubsub(outgoing), pubsub(incoming), event(outgoing), event(incoming)]
        self.publisher = (
            self.services[0].publisher_builder().initial_max_slice_len(max_size).create()
        )
        self.subscriber = self.services[1].subscriber_builder().create()
        self.notifier = self.services[2].notifier_builder().create()
        self.listener = self.services[3].listener_builder().create()

    def send(self, data: Any) -> None:
        sample = self.publisher.loan_slice_uninit(len(data))
        if not isinstance(data, bytes):
            data = bytes(data)
        ctypes.memmove(sample.payload().as_ptr(), data, len(data))
        sample.assume_init().send()
        self.notifier.notify()

    def recv(self, size: int) -> Any:
        while True:
            sample = self.subscriber.receive()
            if sample is not None:
                payload = sample.payload()
                data = ctypes.string_at(payload.as_ptr(), payload.len())
                sample.delete()
                return data
            self.listener.timed_wait(self.iox2.Duration.from_secs(int(PEER_TIMEOUT_S)))

    def close(self) -> None:
        # Explicitly, so shared-memory files go even if the interpreter exits
        # without collecting these.
        for port in (self.publisher, self.subscriber, self.notifier, self.listener):
            port.delete()
        self.services.clear()
        del self.node


class Iceoryx2Setup(Setup):
    def __init__(self, size: int) -> None:
        name = unique_name("iox2")
        self.endpoint = _Iceoryx2(name, "ping", "pong", size)
        self.peer_args = {"name": name, "size": size}

    def after_spawn(self) -> Endpoint:
        return self.endpoint


def iceoryx2_peer(args: dict[str, Any]) -> Endpoint:
    return _Iceoryx2(args["name"], "pong", "ping", args["size"])


class _PosixMq:
    def __init__(self, outgoing: Any, incoming: Any, owner: bool) -> None:
        self.outgoing = outgoing
        self.incoming = incoming
        self.owner = owner

    def send(self, data: Any) -> None:
        self.outgoing.send(data)

    def recv(self, size: int) -> Any:
        return self.incoming.receive(PEER_TIMEOUT_S)[0]

    def close(self) -> None:
        for queue in (self.outgoing, self.incoming):
            queue.close()
            if self.owner:
                queue.unlink()


def _mq_msgsize_max() -> Optional[int]:
    try:
        with open("/proc/sys/fs/mqueue/msgsize_max") as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


class PosixMqSetup(Setup):
    def __init__(self, size: int) -> None:
        import posix_ipc

        name = "/" + unique_name("mq")
        limit = _mq_msgsize_max()
        if limit is not None and size > limit:
            raise ValueError(
                f"a {size}-byte message exceeds /proc/sys/fs/mqueue/msgsize_max = {limit}; "
                "raising it needs CAP_SYS_RESOURCE or a system-wide sysctl, which the "
                "benchmark does not change")
        self.requests = posix_ipc.MessageQueue(
            name + "-req", posix_ipc.O_CREX, max_messages=2, max_message_size=size
        )
        try:
            self.replies = posix_ipc.MessageQueue(
                name + "-rep", posix_ipc.O_CREX, max_messages=2, max_message_size=size
            )
        except Exception:
            self.requests.close()
            self.requests.unlink()
            raise
        self.peer_args = {"name": name}

    def after_spawn(self) -> Endpoint:
        return _PosixMq(self.requests, self.replies, owner=True)


def posix_mq_peer(args: dict[str, Any]) -> Endpoint:
    import posix_ipc

    requests = posix_ipc.MessageQueue(args["name"] + "-req")
    replies = posix_ipc.MessageQueue(args["name"] + "-rep")
    return _PosixMq(replies, requests, owner=False)


# --- the table of methods ---------------------------------------------------

SetupFactory = Callable[[int], Setup]
PeerFactory = Callable[[dict[str, Any]], Endpoint]

# id -> (label, driver setup, peer endpoint); None for multiprocessing.Pipe.
METHODS: dict[str, tuple[str, Optional[SetupFactory], Optional[PeerFactory]]] = {
    "ipckit_anonymous_pipe": ("ipckit AnonymousPipe", IpckitAnonymousPipeSetup, ipckit_anonymous_pipe_peer),
    "ipckit_named_pipe": ("ipckit NamedPipe", IpckitNamedPipeSetup, ipckit_named_pipe_peer),
    "ipckit_channel": ("ipckit IpcChannel", IpckitChannelSetup, ipckit_channel_peer),
    "ipckit_shm": ("ipckit SharedMemory+handshake", IpckitSharedMemorySetup, ipckit_shared_memory_peer),
    "mp_pipe": ("multiprocessing.Pipe", None, None),
    "os_pipe": ("raw os.pipe", OsPipeSetup, os_pipe_peer),
    "socketpair": ("raw socket.socketpair", SocketpairSetup, socketpair_peer),
    "zmq": ("pyzmq ipc:// PAIR", ZmqSetup, zmq_peer),
    "iceoryx2": ("iceoryx2 pub/sub", Iceoryx2Setup, iceoryx2_peer),
    "posix_mq": ("posix_ipc MessageQueue", PosixMqSetup, posix_mq_peer),
}


def pin_to(cpu: int) -> None:
    """Pins this process to one CPU (-1: leaves it alone)."""
    if cpu >= 0:
        os.sched_setaffinity(0, {cpu})


def run_peer(method: str, size: int, count: int, args: dict[str, Any]) -> None:
    """The peer process: connect, say ready on stdout, echo `count` messages."""
    pin_to(args.get("pin", -1))
    endpoint_for = METHODS[method][2]
    assert endpoint_for is not None
    endpoint = endpoint_for(args)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for _ in range(count):
        endpoint.send(endpoint.recv(size))
    endpoint.close()


def drive(endpoint: Endpoint, size: int, warmup: int, iters: int, samples: Samples) -> None:
    # Two messages that differ in their first byte, alternated, so that a
    # stale echo is caught without building a message per round trip.
    messages = [b"a" + b"m" * (size - 1), b"b" + b"m" * (size - 1)]
    clock = time.perf_counter_ns
    for i in range(warmup + iters):
        message = messages[i & 1]
        start = clock()
        endpoint.send(message)
        reply = endpoint.recv(size)
        end = clock()
        if len(reply) != size or reply[0] != message[0]:
            raise RuntimeError(f"bad echo: {len(reply)} bytes, first {reply[0]!r}")
        if i >= warmup:
            samples.add(end - start)


def measure_once(method: str, size: int, warmup: int, iters: int, samples: Samples,
                 peer_cpu: int = -1) -> None:
    """One peer process, `warmup + iters` round trips, appended to `samples`."""
    count = warmup + iters
    if method == "mp_pipe":
        context = multiprocessing.get_context("spawn")
        mine, theirs = context.Pipe()
        process = context.Process(target=mp_pipe_peer_main, args=(theirs, size, count, peer_cpu))
        process.start()
        theirs.close()
        endpoint: Endpoint = _MpConnection(mine)
        if mine.recv_bytes() != b"ready":
            raise RuntimeError("multiprocessing peer did not start")
        try:
            drive(endpoint, size, warmup, iters, samples)
        finally:
            endpoint.close()
            process.join(PEER_TIMEOUT_S)
        if process.exitcode != 0:
            raise RuntimeError(f"multiprocessing peer exited with {process.exitcode}")
        return

    setup_for = METHODS[method][1]
    assert setup_for is not None
    setup = setup_for(size)
    command = [sys.executable, os.path.abspath(__file__), "--peer", method, "--size", str(size),
               "--count", str(count), "--args", json.dumps(dict(setup.peer_args, pin=peer_cpu))]
    peer = subprocess.Popen(command, pass_fds=setup.pass_fds, stdout=subprocess.PIPE)
    endpoint = None
    try:
        endpoint = setup.after_spawn()
        assert peer.stdout is not None
        if peer.stdout.readline() != b"ready\n":
            raise RuntimeError("peer did not start")
        drive(endpoint, size, warmup, iters, samples)
    finally:
        if endpoint is not None:
            endpoint.close()
        try:
            code = peer.wait(PEER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            peer.kill()
            peer.wait()
            raise
    if code != 0:
        raise RuntimeError(f"peer exited with {code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--sizes", default="64,4096,65536,1048576")
    parser.add_argument("--iters", type=int, default=5000, help="round trips below 64 KiB")
    parser.add_argument("--big-iters", type=int, default=300, help="round trips at >= 64 KiB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pin", default="", help="DRIVER_CPU,PEER_CPU (default: no pinning)")
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--args", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.peer:
        run_peer(options.peer, options.size, options.count, json.loads(options.args))
        return

    driver_cpu, peer_cpu = (int(c) for c in options.pin.split(",")) if options.pin else (-1, -1)
    pin_to(driver_cpu)
    methods = [m for m in options.methods.split(",") if m]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown methods {unknown}; known: {', '.join(METHODS)}")
    for size in [int(s) for s in options.sizes.split(",") if s]:
        total = options.iters if size < 65536 else options.big_iters
        per_round = max(total // options.rounds, 10)
        warmup = max(per_round // 10, 10)
        samples = {m: Samples() for m in methods}
        failed: dict[str, str] = {}
        for _ in range(options.rounds):
            for method in methods:
                if method in failed:
                    continue
                try:
                    measure_once(method, size, warmup, per_round, samples[method], peer_cpu)
                except Exception as error:  # Recorded as a skip, with the reason.
                    failed[method] = f"{type(error).__name__}: {error}".strip()
        for method in methods:
            label = METHODS[method][0]
            if method in failed:
                skip(SUITE, label, size, failed[method])
                continue
            s = samples[method]
            emit(result({"suite": SUITE, "method": label, "size": size}, s))
            progress(f"  py rtt {label:32} {size:8d} B  median {fmt_us(s.median):>10}  "
                     f"p99 {fmt_us(s.p99):>10}")


if __name__ == "__main__":
    main()
