"""Blocking calls: the GIL is released while they wait, Ctrl-C (SIGINT)
interrupts them promptly without losing data, and close() from another thread
wakes them."""

import fcntl
import os
import select
import signal
import socket
import struct
import threading
import time

import pytest

import ipckit

# A child blocks in `call` (no timeout). Each SIGINT must raise
# KeyboardInterrupt at once; it reports each one and then blocks again, so the
# parent can check that data sent after the interrupts still arrives whole.
INTERRUPTIBLE = """
import ipckit, sys, time
{setup}
print("blocking", flush=True)
interrupts = 0
while True:
    start = time.monotonic()
    try:
        result = {call}
    except KeyboardInterrupt:
        interrupts += 1
        print("interrupted %.3f" % (time.monotonic() - start), flush=True)
        continue
    print("result", interrupts, repr(result), flush=True)
    break
"""


def _interrupt(c):
    """Sends SIGINT once the child sleeps inside the call: a signal that came
    before it entered its try block would end it instead (a fixed sleep lost
    that race on a loaded machine)."""
    c.expect("blocking")
    _wait_until_sleeping(c)
    sent = time.monotonic()
    c.proc.send_signal(signal.SIGINT)
    line = c.readline(timeout=10)
    assert line.startswith("interrupted "), line
    late = time.monotonic() - sent
    assert late < 1.5, "KeyboardInterrupt came %.2fs after SIGINT" % late


def test_sigint_interrupts_channel_recv_and_loses_nothing(child, tmp_path):
    # A raw socket server, so the test controls every byte and its timing.
    path = str(tmp_path / "raw.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    c = child(INTERRUPTIBLE.format(
        setup="c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)",
        call="c.recv()"), path)
    listener.settimeout(20)
    conn, _ = listener.accept()
    _interrupt(c)
    # Half a frame, an interrupt, time for several 100 ms slices, the rest.
    frame = struct.pack("<I", 6) + b"abcdef"
    conn.sendall(frame[:5])
    _wait_until_sleeping(c)  # back in recv() with the half frame read
    c.proc.send_signal(signal.SIGINT)
    assert c.readline(timeout=10).startswith("interrupted ")
    time.sleep(0.35)
    conn.sendall(frame[5:])
    assert c.readline(timeout=10) == "result 2 b'abcdef'"
    c.finish()
    conn.close()
    listener.close()


def test_sigint_interrupts_named_pipe_read(child, unique_name):
    server = ipckit.NamedPipe.create(unique_name("sig"))
    c = child(INTERRUPTIBLE.format(
        setup="c = ipckit.NamedPipe.connect(sys.argv[1], timeout=20)",
        call="c.read_exact(4)"), server.name)
    server.wait_for_client(timeout=20)
    _interrupt(c)
    server.write_all(b"da")
    time.sleep(0.35)  # several slices pass between the halves
    server.write_all(b"ta")
    assert c.readline(timeout=10) == "result 1 b'data'"
    c.finish()


def test_sigint_interrupts_wait_for_client(child, unique_name):
    name = unique_name("sig")
    c = child(INTERRUPTIBLE.format(
        setup="s = ipckit.IpcChannel.create(sys.argv[1])",
        call="s.wait_for_client()"), name)
    _interrupt(c)
    client = ipckit.IpcChannel.connect(name, timeout=20)
    assert c.readline(timeout=10) == "result 1 None"
    c.finish()
    client.close()


def test_sigint_interrupts_file_channel_wait(child, tmp_path):
    d = str(tmp_path / "ch")
    c = child(INTERRUPTIBLE.format(
        setup="b = ipckit.FileChannel.backend(sys.argv[1])",
        call="b.wait_response('no-such-request')"), d)
    _interrupt(c)
    c.kill()


def test_sigint_interrupts_anonymous_pipe_read(child):
    c = child(INTERRUPTIBLE.format(setup="p = ipckit.AnonymousPipe()", call="p.read(1)"))
    _interrupt(c)
    c.kill()


def test_gil_is_released_while_blocked(unique_name):
    server = ipckit.IpcChannel.create(unique_name("gil"))
    done = threading.Event()
    errors = []

    def block():
        try:
            server.wait_for_client(timeout=0.5)
        except TimeoutError as e:
            errors.append(e)
        done.set()

    thread = threading.Thread(target=block)
    count = 0
    thread.start()
    while not done.is_set():
        count += 1
    thread.join()
    assert len(errors) == 1
    # With the GIL held for 0.5 s this loop would barely run at all.
    assert count > 10000, count
    server.close()


def test_close_from_another_thread_wakes_a_blocked_call(unique_name):
    server = ipckit.IpcChannel.create(unique_name("close"))
    raised = []

    def block():
        try:
            server.wait_for_client()
        except ipckit.ClosedError as e:
            raised.append((e, time.monotonic()))

    thread = threading.Thread(target=block)
    thread.start()
    # Closed once the thread sleeps in the call, so that close() must wake it.
    stat = "/proc/self/task/%d/stat" % thread.native_id
    deadline = time.monotonic() + 20
    while _state(stat) != "S":
        assert time.monotonic() < deadline, "the thread never blocked in wait_for_client()"
        time.sleep(0.002)
    closed_at = time.monotonic()
    server.close()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert raised and raised[0][1] - closed_at < 1.0


def test_send_and_recv_from_two_threads(unique_name, child):
    server = ipckit.IpcChannel.create(unique_name("threads"))
    c = child("""
        import ipckit, sys
        c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)
        for _ in range(200):
            c.send(c.recv(timeout=20))
    """, server.name)
    server.wait_for_client(timeout=20)
    received = []
    reader = threading.Thread(target=lambda: received.extend(
        server.recv(timeout=20) for _ in range(200)))
    reader.start()
    for i in range(200):
        server.send(b"%d" % i)
    reader.join(timeout=30)
    assert received == [b"%d" % i for i in range(200)]
    c.finish()


@pytest.mark.parametrize("timeout", [0, 0.0, 0.05])
def test_zero_and_small_timeouts(timeout):
    pipe = ipckit.AnonymousPipe()
    with pytest.raises(ipckit.IpcTimeoutError):
        pipe.read(1, timeout=timeout)
    pipe.write(b"x")
    assert pipe.read(1, timeout=timeout) == b"x"


# ---------------------------------------------------------------- the audit
#
# Every blocking call of the API (py/ipckit/__init__.pyi: each method with a
# `timeout`), put into a state where it must wait, in a child process:
#   1. with timeout=T it raises IpcTimeoutError after T, not before, and not
#      much after;
#   2. with no timeout it burns no CPU while it waits;
#   3. one SIGINT raises KeyboardInterrupt from inside the call, promptly.
# The child says when it is about to call; the parent then waits until the
# child's main thread sleeps in the kernel (/proc/PID/stat state S), which,
# after that line, only the call itself can do. No sleep stands in for that.

AUDIT_CHILD = """
import fcntl, os, sys, time
import ipckit

def fill(write):
    # Write until a write times out: the pipe or socket buffer is full.
    try:
        while True:
            write(b"f" * 65536, timeout=0.2)
    except ipckit.IpcTimeoutError:
        pass

def raise_timeout():
    raise ipckit.IpcTimeoutError("returned None at its timeout")

{setup}
print("ready", flush=True)
sys.stdin.readline()  # the parent has done its part
{setup_after}

def blocked(**kw):
    return {call}

start = time.monotonic()
try:
    blocked(timeout=0.3)
    print("returned", flush=True)
except ipckit.IpcTimeoutError:
    print("timed_out %.3f" % (time.monotonic() - start), flush=True)
while True:
    try:
        print("blocking", flush=True)
        blocked()
        print("returned", flush=True)
        break
    except KeyboardInterrupt as e:
        tb = e.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        print("interrupted", tb.tb_frame.f_code.co_name, flush=True)
"""

def _half_created_segment(name):
    # A live creator that has made and locked its object, with no header yet.
    fd = os.open("/dev/shm/" + name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _lock_file_channel(tmp):
    # Hold the format-1 writers' lock (spec/file_channel.md) so a send waits.
    fd = os.open(os.path.join(tmp, "ch", ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


# connect() without a timeout does not wait for a server (0.1's behaviour),
# and SharedMemory.open's default timeout is 1 s: their blocking runs use an
# hour.
# (call, child setup, child setup after the parent's part, the call, parent
# side). Parent side: "anon" (nothing), "np_server"/"ipc_server" (the parent is
# the server the child connects to, and never reads), "np_client"/"ipc_client"
# (the parent connects to the child's server, and never reads), "shm" (a
# half-created segment whose live creator is the parent), "fc_lock" (the
# parent holds the channel's write lock).
AUDIT_CASES = [
    ("AnonymousPipe.read", "p = ipckit.AnonymousPipe()", "", "p.read(1, **kw)", "anon"),
    ("AnonymousPipe.read_exact", "p = ipckit.AnonymousPipe()", "", "p.read_exact(4, **kw)", "anon"),
    ("AnonymousPipe.write", "p = ipckit.AnonymousPipe()\nfill(p.write_all)", "",
     "p.write(b'y' * 65536, **kw)", "anon"),
    ("AnonymousPipe.write_all", "p = ipckit.AnonymousPipe()\nfill(p.write_all)", "",
     "p.write_all(b'y' * 65536, **kw)", "anon"),
    ("NamedPipe.connect", "", "", "ipckit.NamedPipe.connect(sys.argv[1] + '_none', timeout=kw.get('timeout', 3600))", "anon"),
    ("NamedPipe.wait_for_client", "s = ipckit.NamedPipe.create(sys.argv[1])", "",
     "s.wait_for_client(**kw)", "anon"),
    ("NamedPipe.accept", "s = ipckit.NamedPipe.create(sys.argv[1])", "", "s.accept(**kw)", "anon"),
    ("NamedPipe.read", "c = ipckit.NamedPipe.connect(sys.argv[1], timeout=20)", "",
     "c.read(1, **kw)", "np_server"),
    ("NamedPipe.read_exact", "c = ipckit.NamedPipe.connect(sys.argv[1], timeout=20)", "",
     "c.read_exact(4, **kw)", "np_server"),
    ("NamedPipe.write", "c = ipckit.NamedPipe.connect(sys.argv[1], timeout=20)",
     "fill(c.write_all)", "c.write(b'y' * 65536, **kw)", "np_server"),
    ("NamedPipe.write_all", "c = ipckit.NamedPipe.connect(sys.argv[1], timeout=20)",
     "fill(c.write_all)", "c.write_all(b'y' * 65536, **kw)", "np_server"),
    ("NamedPipe.write_some", "c = ipckit.NamedPipe.connect(sys.argv[1], timeout=20)",
     "fill(c.write_all)", "c.write_some(b'y' * 65536, **kw)", "np_server"),
    ("NamedPipeConnection.read", "s = ipckit.NamedPipe.create(sys.argv[1])",
     "conn = s.accept(timeout=20)", "conn.read(1, **kw)", "np_client"),
    ("NamedPipeConnection.write_all", "s = ipckit.NamedPipe.create(sys.argv[1])",
     "conn = s.accept(timeout=20)\nfill(conn.write_all)", "conn.write_all(b'y' * 65536, **kw)",
     "np_client"),
    ("IpcChannel.connect", "", "", "ipckit.IpcChannel.connect(sys.argv[1] + '_none',\n"
     "timeout=kw.get('timeout', 3600))",
     "anon"),
    ("IpcChannel.wait_for_client", "s = ipckit.IpcChannel.create(sys.argv[1])", "",
     "s.wait_for_client(**kw)", "anon"),
    ("IpcChannel.accept", "s = ipckit.IpcChannel.create(sys.argv[1])", "", "s.accept(**kw)",
     "anon"),
    ("IpcChannel.recv", "c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)", "",
     "c.recv(**kw)", "ipc_server"),
    ("IpcChannel.recv_json", "c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)", "",
     "c.recv_json(**kw)", "ipc_server"),
    # Issue 14: send ignored Ctrl-C for 8 s while the peer did not read.
    ("IpcChannel.send", "c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)", "",
     "c.send(b'y' * (8 << 20), **kw)", "ipc_server"),
    ("IpcChannel.send_json", "c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)", "",
     "c.send_json('y' * (8 << 20), **kw)", "ipc_server"),
    ("IpcChannelConnection.recv", "s = ipckit.IpcChannel.create(sys.argv[1])",
     "conn = s.accept(timeout=20)", "conn.recv(**kw)", "ipc_client"),
    ("IpcChannelConnection.send", "s = ipckit.IpcChannel.create(sys.argv[1])",
     "conn = s.accept(timeout=20)", "conn.send(b'y' * (8 << 20), **kw)", "ipc_client"),
    ("SharedMemory.open", "", "", "ipckit.SharedMemory.open(sys.argv[1], timeout=kw.get('timeout', 3600))", "shm"),
    ("ShmListener.wait", "l = ipckit.ShmListener.create(sys.argv[1])", "", "l.wait(**kw)", "anon"),
    ("ShmWaitSet.wait (listener)", "l = ipckit.ShmListener.create(sys.argv[1])\n"
     "ws = ipckit.ShmWaitSet()\nws.add(l)", "", "ws.wait(**kw)", "anon"),
    ("FileChannel.wait_response", "f = ipckit.FileChannel.backend(sys.argv[2] + '/ch')", "",
     "f.wait_response('no-such-request', **kw)", "anon"),
    ("FileChannel.wait_for_messages", "f = ipckit.FileChannel.backend(sys.argv[2] + '/ch')", "",
     "f.wait_for_messages(**kw)", "anon"),
    # recv_one returns None at its timeout (0.1's API) instead of raising.
    ("FileChannel.recv_one", "f = ipckit.FileChannel.backend(sys.argv[2] + '/ch')", "",
     "f.recv_one(timeout=kw.get('timeout')) or raise_timeout()", "anon"),
    ("FileChannel.send_event", "f = ipckit.FileChannel.backend(sys.argv[2] + '/ch')\n"
     "f.send_event('warm-up')", "", "f.send_event('e', **kw)", "fc_lock"),
    ("FileChannel.send_request", "f = ipckit.FileChannel.backend(sys.argv[2] + '/ch')\n"
     "f.send_event('warm-up')", "", "f.send_request('m', **kw)", "fc_lock"),
]


class _Lines:
    """Lines from a child's stdout, read unbuffered (the child prints lines
    back to back, which a buffered reader plus select() would miss)."""

    def __init__(self, c):
        self.c = c
        self.fd = c.proc.stdout.fileno()
        self.buffer = b""

    def next(self, timeout=20):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                self.c.fail("printed no line within %ss" % timeout)
            chunk = os.read(self.fd, 4096)
            if not chunk:
                self.c.fail("exited")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()


def _cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _state(stat_path):
    """The state letter ("S": asleep in a call) of a /proc stat file."""
    return open(stat_path).read().rsplit(")", 1)[1].split()[0]


def _main_thread_state(pid):
    return _state("/proc/%d/stat" % pid)


def _wait_until_sleeping(c, timeout=20):
    deadline = time.monotonic() + timeout
    while _main_thread_state(c.proc.pid) != "S":
        if time.monotonic() > deadline:
            c.fail("never went to sleep in the call")
        time.sleep(0.002)


@pytest.mark.parametrize("case", AUDIT_CASES, ids=[case[0] for case in AUDIT_CASES])
def test_blocking_call_honours_timeout_burns_no_cpu_and_stops_on_ctrl_c(
        case, child, unique_name, tmp_path):
    what, setup, setup_after, call, side = case
    name = unique_name("audit")
    held = []
    if side == "np_server":
        held.append(ipckit.NamedPipe.create(name))
    elif side == "ipc_server":
        held.append(ipckit.IpcChannel.create(name))
    elif side == "shm":
        held.append(_half_created_segment(name))
    c = child(AUDIT_CHILD.format(setup=setup, setup_after=setup_after, call=call),
              name, str(tmp_path))
    lines = _Lines(c)
    try:
        assert lines.next() == "ready"
        if side in ("np_server", "ipc_server"):
            held[0].wait_for_client(timeout=20)
        elif side == "np_client":
            held.append(ipckit.NamedPipe.connect(name, timeout=20))
        elif side == "ipc_client":
            held.append(ipckit.IpcChannel.connect(name, timeout=20))
        elif side == "fc_lock":
            held.append(_lock_file_channel(str(tmp_path)))
        c.proc.stdin.write("go\n")
        c.proc.stdin.flush()

        # 1. The timeout is honoured: not early, not much late.
        line = lines.next()
        assert line.startswith("timed_out "), "%s with timeout=0.3: %s" % (what, line)
        elapsed = float(line.split()[1])
        assert 0.3 <= elapsed < 0.3 + 1.5, "%s timed out after %.3fs" % (what, elapsed)

        # 2. No CPU burnt while it waits.
        assert lines.next() == "blocking"
        _wait_until_sleeping(c)
        cpu_before, wall_before = _cpu_seconds(c.proc.pid), time.monotonic()
        time.sleep(0.6)  # the measurement window, not a precondition
        cpu = _cpu_seconds(c.proc.pid) - cpu_before
        wall = time.monotonic() - wall_before
        assert cpu < 0.25 * wall, "%s used %.2fs of CPU in %.2fs of waiting" % (what, cpu, wall)

        # 3. Ctrl-C raises KeyboardInterrupt from inside the call, promptly.
        _wait_until_sleeping(c)
        sent = time.monotonic()
        c.proc.send_signal(signal.SIGINT)
        line = lines.next(timeout=5)
        late = time.monotonic() - sent
        assert line == "interrupted blocked", "%s after SIGINT: %s" % (what, line)
        assert late < 1.5, "%s: KeyboardInterrupt came %.2fs after SIGINT" % (what, late)
        assert lines.next() == "blocking"
    finally:
        c.proc.kill()
        c.proc.wait()
        for h in held:
            if isinstance(h, int):
                os.close(h)
            else:
                h.close()
        if side == "shm":
            os.unlink("/dev/shm/" + name)


def test_sigint_during_a_channel_send_loses_and_doubles_nothing(child, unique_name):
    # Issue 14: the send is interrupted midway through its frame while the
    # peer does not read; the tail goes out before the next message.
    server = ipckit.IpcChannel.create(unique_name("sendint"))
    c = child("""
        import ipckit, sys
        c = ipckit.IpcChannel.connect(sys.argv[1], timeout=20)
        print("blocking", flush=True)
        try:
            c.send(b"y" * (4 << 20))
            print("sent", flush=True)
        except KeyboardInterrupt:
            print("interrupted", c.has_pending_send, flush=True)
        c.send(b"after", timeout=20)
        print("done", flush=True)
    """, server.name)
    server.wait_for_client(timeout=20)
    lines = _Lines(c)
    assert lines.next() == "blocking"
    _wait_until_sleeping(c)
    c.proc.send_signal(signal.SIGINT)
    assert lines.next(timeout=5) == "interrupted True"
    assert server.recv(timeout=20) == b"y" * (4 << 20)
    assert server.recv(timeout=20) == b"after"
    assert lines.next() == "done"
    c.finish()
    server.close()
