"""`python -m ipckit demo`: one round-trip measurement per IPC method.

The parent spawns a second Python process (the "peer", this module's
`peer_main`) and plays ping-pong with it over each of the five methods in turn,
printing one line per method with the median round-trip time.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import ipckit

ROUNDS = 50
FILE_ROUNDS = 10
SHM_SIZE = 4096
TIMEOUT = 20


def _median_us(samples):
    return statistics.median(samples) * 1e6


def _report(method, rounds, samples, how):
    print("%-14s %3d round trips, median %8.1f us  (%s)" % (method, rounds, _median_us(samples), how),
          flush=True)


def _time_rounds(rounds, one_round):
    samples = []
    for i in range(rounds):
        start = time.perf_counter()
        one_round(i)
        samples.append(time.perf_counter() - start)
    return samples


def run_demo():
    """The parent side. Returns the process exit code."""
    tag = "ipckit_demo_%d" % os.getpid()
    workdir = tempfile.mkdtemp(prefix=tag + "_")
    to_peer = ipckit.AnonymousPipe()
    from_peer = ipckit.AnonymousPipe()
    peer_reader = to_peer.detach_reader()
    peer_writer = from_peer.detach_writer()
    pipe_server = ipckit.NamedPipe.create(tag + "_pipe")
    channel = ipckit.IpcChannel.create(tag + "_chan")
    shm = ipckit.SharedMemory.create(tag + "_shm", SHM_SIZE)
    files = ipckit.FileChannel.backend(os.path.join(workdir, "files"))
    peer = subprocess.Popen(
        [sys.executable, "-m", "ipckit", "_demo-peer", tag, workdir, str(peer_reader),
         str(peer_writer)],
        pass_fds=[peer_reader, peer_writer])
    os.close(peer_reader)
    os.close(peer_writer)
    try:
        print("ipckit %s demo: this process (pid %d) <-> peer process (pid %d)"
              % (ipckit.__version__, os.getpid(), peer.pid), flush=True)

        def pipe_round(i):
            to_peer.write_all(b"ping %d" % i, timeout=TIMEOUT)
            assert from_peer.read(64, timeout=TIMEOUT) == b"pong %d" % i

        _report("AnonymousPipe", ROUNDS, _time_rounds(ROUNDS, pipe_round), "inherited pipe fds")

        pipe_server.wait_for_client(timeout=TIMEOUT)

        def named_round(i):
            pipe_server.write_all(b"ping %d" % i, timeout=TIMEOUT)
            assert pipe_server.read(64, timeout=TIMEOUT) == b"pong %d" % i

        _report("NamedPipe", ROUNDS, _time_rounds(ROUNDS, named_round), pipe_server.path)

        channel.wait_for_client(timeout=TIMEOUT)

        def channel_round(i):
            channel.send_json({"ping": i}, timeout=TIMEOUT)
            assert channel.recv_json(timeout=TIMEOUT) == {"pong": i}

        _report("IpcChannel", ROUNDS, _time_rounds(ROUNDS, channel_round),
                "JSON messages over " + channel.path)

        view = memoryview(shm)

        def shm_round(i):
            view[0:8] = i.to_bytes(8, "little")
            channel.send(b"shm", timeout=TIMEOUT)  # the channel only signals
            assert channel.recv(timeout=TIMEOUT) == b"done"
            assert int.from_bytes(view[8:16], "little") == i * 2

        _report("SharedMemory", ROUNDS, _time_rounds(ROUNDS, shm_round),
                "%d-byte segment /%s, signalled over the channel" % (shm.size, shm.name))
        view.release()

        def file_round(i):
            request_id = files.send_request("double", i, timeout=TIMEOUT)
            assert files.wait_response(request_id, timeout=TIMEOUT)["payload"] == i * 2

        _report("FileChannel", FILE_ROUNDS, _time_rounds(FILE_ROUNDS, file_round), files.dir)
        channel.send(b"bye", timeout=TIMEOUT)
        if peer.wait(timeout=TIMEOUT) != 0:
            print("demo: the peer process failed", file=sys.stderr)
            return 1
        print("demo: all 5 methods OK", flush=True)
        return 0
    finally:
        if peer.poll() is None:
            peer.kill()
            peer.wait()
        for closeable in (to_peer, from_peer, pipe_server, channel, shm, files):
            closeable.close()
        shutil.rmtree(workdir, ignore_errors=True)


def peer_main(tag, workdir, reader_fd, writer_fd):
    """The peer side: echoes on each method in the order run_demo uses them."""
    pipe = ipckit.AnonymousPipe.from_fds(reader_fd=reader_fd, writer_fd=writer_fd)
    for i in range(ROUNDS):
        assert pipe.read(64, timeout=TIMEOUT) == b"ping %d" % i
        pipe.write_all(b"pong %d" % i, timeout=TIMEOUT)

    named = ipckit.NamedPipe.connect(tag + "_pipe", timeout=TIMEOUT)
    for i in range(ROUNDS):
        assert named.read(64, timeout=TIMEOUT) == b"ping %d" % i
        named.write_all(b"pong %d" % i, timeout=TIMEOUT)

    channel = ipckit.IpcChannel.connect(tag + "_chan", timeout=TIMEOUT)
    for _ in range(ROUNDS):
        channel.send_json({"pong": channel.recv_json(timeout=TIMEOUT)["ping"]}, timeout=TIMEOUT)

    shm = ipckit.SharedMemory.open(tag + "_shm")
    view = memoryview(shm)
    for _ in range(ROUNDS):
        assert channel.recv(timeout=TIMEOUT) == b"shm"
        value = int.from_bytes(view[0:8], "little")
        view[8:16] = (value * 2).to_bytes(8, "little")
        channel.send(b"done", timeout=TIMEOUT)
    view.release()
    shm.close()

    files = ipckit.FileChannel.frontend(os.path.join(workdir, "files"))
    for _ in range(FILE_ROUNDS):
        request = files.recv_one(timeout=TIMEOUT)
        files.send_response(request["id"], request["payload"] * 2, timeout=TIMEOUT)
    assert channel.recv(timeout=TIMEOUT) == b"bye"
    return 0
