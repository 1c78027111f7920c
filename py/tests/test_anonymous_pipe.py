"""AnonymousPipe: in one process, to and from real child processes, EOF,
peer death, timeouts and bad input."""

import os
import signal
import subprocess
import sys

import pytest

import ipckit
from conftest import elapsed


def test_roundtrip_in_one_process():
    with ipckit.AnonymousPipe() as pipe:
        assert pipe.write(b"Hello from parent!") == 18
        assert pipe.read(1024) == b"Hello from parent!"
        assert pipe.write_all(bytearray(b"abc")) == 3
        assert pipe.write(memoryview(b"def")) == 3
        assert pipe.read_exact(6) == b"abcdef"
        assert pipe.reader_fd() >= 0 and pipe.writer_fd() >= 0
    assert pipe.closed


def test_child_writes_through_a_detached_fd():
    pipe = ipckit.AnonymousPipe()
    fd = pipe.detach_writer()
    assert pipe.writer_fd() == -1
    child = subprocess.Popen(
        [sys.executable, "-c", "import os, sys; os.write(int(sys.argv[1]), b'from child')", str(fd)],
        pass_fds=[fd])
    os.close(fd)
    assert pipe.read_exact(10, timeout=20) == b"from child"
    assert child.wait(timeout=20) == 0
    assert pipe.read(10, timeout=20) == b""  # every write end is closed: EOF


def test_take_writer_closes_it_here_so_the_parent_sees_eof():
    """0.1's pattern: pass writer_fd() to a child, take_writer(), read until EOF."""
    pipe = ipckit.AnonymousPipe()
    fd = pipe.writer_fd()
    # ipckit's ends are non-blocking (spec/naming.md deviations): a plain child
    # makes its copy blocking, which take_writer() below leaves to it alone.
    code = ("import os, sys; fd = int(sys.argv[1]); os.set_blocking(fd, True); "
            "os.write(fd, b'from child')")
    child = subprocess.Popen([sys.executable, "-c", code, str(fd)], pass_fds=[fd])
    assert pipe.take_writer() is None
    assert pipe.writer_fd() == -1
    got = b""
    while True:
        chunk = pipe.read(1024, timeout=20)  # IpcTimeoutError, not a hang, if an end stays open
        if not chunk:
            break
        got += chunk
    assert got == b"from child"
    assert child.wait(timeout=20) == 0
    pipe.take_writer()  # again: nothing happens, as in 0.1
    with pytest.raises(ConnectionError):
        pipe.write(b"x")


def test_take_reader_closes_it_here():
    pipe = ipckit.AnonymousPipe()
    fd = pipe.reader_fd()
    code = ("import os, sys; fd = int(sys.argv[1]); os.set_blocking(fd, True); "
            "print(os.read(fd, 100).decode())")
    child = subprocess.Popen([sys.executable, "-c", code, str(fd)],
                             pass_fds=[fd], stdout=subprocess.PIPE, text=True)
    assert pipe.take_reader() is None
    pipe.write(b"to child", timeout=20)
    out, _ = child.communicate(timeout=20)
    assert out.strip() == "to child"
    with pytest.raises(ConnectionError):
        pipe.read(1)
    # Only the child held a read end: once it is gone, a write is peer_closed.
    with pytest.raises(ipckit.PeerClosedError):
        pipe.write(b"x" * 100, timeout=5)


def test_write_sends_everything_to_a_child():
    """0.1's write delivers all of a large buffer (ours did one short write)."""
    size = 10 * 1024 * 1024
    data = bytes(range(256)) * (size // 256)
    pipe = ipckit.AnonymousPipe()
    fd = pipe.reader_fd()
    code = ("import hashlib, os, sys\n"
            "fd, h, n = int(sys.argv[1]), hashlib.sha256(), 0\n"
            "os.set_blocking(fd, True)\n"
            "while True:\n"
            "    b = os.read(fd, 1 << 16)\n"
            "    if not b: break\n"
            "    h.update(b); n += len(b)\n"
            "print(n, h.hexdigest())\n")
    child = subprocess.Popen([sys.executable, "-c", code, str(fd)], pass_fds=[fd],
                             stdout=subprocess.PIPE, text=True)
    pipe.take_reader()
    assert pipe.write(data, timeout=60) == size
    pipe.take_writer()
    out, _ = child.communicate(timeout=60)
    import hashlib
    assert out.split() == [str(size), hashlib.sha256(data).hexdigest()]


def test_child_reads_through_a_detached_fd():
    pipe = ipckit.AnonymousPipe()
    fd = pipe.detach_reader()
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import os, sys; print(os.read(int(sys.argv[1]), 100).decode())", str(fd)],
        pass_fds=[fd], stdout=subprocess.PIPE, text=True)
    os.close(fd)
    pipe.write_all(b"to child", timeout=20)
    out, _ = child.communicate(timeout=20)
    assert out.strip() == "to child"


def test_ipckit_child_adopts_the_fd():
    pipe = ipckit.AnonymousPipe()
    fd = pipe.detach_writer()
    code = ("import ipckit, sys\n"
            "p = ipckit.AnonymousPipe.from_fds(writer_fd=int(sys.argv[1]))\n"
            "p.write_all(b'adopted')\n")
    child = subprocess.Popen([sys.executable, "-c", code, str(fd)], pass_fds=[fd])
    os.close(fd)
    assert pipe.read_exact(7, timeout=20) == b"adopted"
    assert child.wait(timeout=20) == 0


def test_write_to_a_dead_reader_is_peer_closed_not_sigpipe():
    pipe = ipckit.AnonymousPipe()
    fd = pipe.detach_reader()
    child = subprocess.Popen([sys.executable, "-c", "pass"], pass_fds=[fd])
    os.close(fd)
    child.wait(timeout=20)
    with pytest.raises(ipckit.PeerClosedError) as info:
        pipe.write_all(b"x" * 100, timeout=5)
    assert isinstance(info.value, ConnectionError)
    assert info.value.error_class == "peer_closed"


def test_child_killed_midway_gives_eof():
    pipe = ipckit.AnonymousPipe()
    fd = pipe.detach_writer()
    code = ("import os, sys, signal\n"
            "os.write(int(sys.argv[1]), b'part')\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    child = subprocess.Popen([sys.executable, "-c", code, str(fd)], pass_fds=[fd])
    os.close(fd)
    assert child.wait(timeout=20) == -signal.SIGKILL
    with pytest.raises(ipckit.TruncatedError):
        pipe.read_exact(10, timeout=5)
    # The bytes read before the end are not lost.
    assert pipe.read(10, timeout=5) == b"part"
    assert pipe.read(10, timeout=5) == b""


def test_read_timeout_is_honoured():
    pipe = ipckit.AnonymousPipe()
    error, seconds = elapsed(pipe.read, 10, timeout=0.3)
    assert isinstance(error, ipckit.IpcTimeoutError) and isinstance(error, TimeoutError)
    assert 0.29 <= seconds < 2.3


def test_read_exact_keeps_bytes_on_timeout():
    pipe = ipckit.AnonymousPipe()
    pipe.write(b"abc")
    with pytest.raises(TimeoutError):
        pipe.read_exact(5, timeout=0.2)
    pipe.write(b"de")
    assert pipe.read_exact(5, timeout=1) == b"abcde"


def test_detach_twice_and_closed_ends():
    pipe = ipckit.AnonymousPipe()
    os.close(pipe.detach_reader())
    with pytest.raises(ipckit.ClosedError):
        pipe.detach_reader()
    with pytest.raises(ipckit.ClosedError) as info:
        pipe.read(1)
    assert isinstance(info.value, ConnectionError)  # what 0.1 raises for a taken end
    pipe.close_writer()
    with pytest.raises(ipckit.ClosedError):
        pipe.write(b"x")
    pipe.close()
    pipe.close()  # idempotent
    with pytest.raises(ipckit.ClosedError):
        pipe.reader_fd()


def test_detached_fd_is_blocking_and_close_on_exec():
    pipe = ipckit.AnonymousPipe()
    fd = pipe.detach_reader()
    try:
        assert os.get_blocking(fd)
        assert not os.get_inheritable(fd)
    finally:
        os.close(fd)


@pytest.mark.parametrize("call, error", [
    (lambda p: p.read(-1), ValueError),
    (lambda p: p.read(-1), OverflowError),  # what 0.1 raises for a negative size
    (lambda p: p.write("text"), TypeError),
    (lambda p: p.write(12), TypeError),
    (lambda p: p.read(1, timeout=-1), ValueError),
    (lambda p: p.read(1, timeout="soon"), TypeError),
    (lambda p: p.read(1, timeout=float("nan")), ValueError),
])
def test_bad_arguments(call, error):
    with pytest.raises(error):
        call(ipckit.AnonymousPipe())


def test_from_fds_rejects_bad_fds():
    r, w = os.pipe()
    try:
        with pytest.raises(ValueError):
            ipckit.AnonymousPipe.from_fds(reader_fd=w)  # a write end as reader
    finally:
        os.close(r)
        os.close(w)
