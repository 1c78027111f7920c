"""SharedMemory across real processes: read/write, the zero-copy buffer
protocol (memoryview, numpy), ownership, stale segments and bad input."""

import fcntl
import json
import multiprocessing
import os
import time

import numpy as np
import pytest

import ipckit


def _shm_exists(name):
    return os.path.exists("/dev/shm/" + name)


def _ready_header_4096():
    """A valid ready header for 4096 user bytes, from the shared vectors."""
    from conftest import VECTORS
    cases = json.loads((VECTORS / "shm" / "shm_header.json").read_text())["cases"]
    case = next(c for c in cases if c["name"] == "shm/shm_header_build/ready-4096")
    return bytes.fromhex(case["expect"]["hex"])


def _begin_creation(path):
    """Plays a live creator at step 3 of spec/shared_memory.md: the object
    exists (0 bytes, 0600) and its descriptor holds the creation lock."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _wait_until_open_in(pid, path, timeout=20):
    """Waits until process `pid` has `path` open (its /proc fd table says so)."""
    deadline = time.monotonic() + timeout
    fd_dir = "/proc/%d/fd" % pid
    while time.monotonic() < deadline:
        for fd in os.listdir(fd_dir):
            try:
                if os.readlink(os.path.join(fd_dir, fd)) == path:
                    return
            except OSError:
                pass  # closed meanwhile
        time.sleep(0.005)
    pytest.fail("process %d never opened %s" % (pid, path))


def test_open_waits_for_a_creator_still_initialising(child, unique_name):
    name = unique_name("init")
    path = "/dev/shm/" + name
    fd = _begin_creation(path)
    try:
        # Made but not sized, then sized but no header: a live creator holds
        # its lock, so open() waits its whole timeout and says so (it used to
        # give up after one 0.1 s slice with CorruptError).
        for size in (0, 64 + 4096):
            os.ftruncate(fd, size)
            start = time.monotonic()
            with pytest.raises(ipckit.IpcTimeoutError, match="still being created"):
                ipckit.SharedMemory.open(name, timeout=0.5)
            assert time.monotonic() - start >= 0.5

        # Another process waits in open() while the header is missing, and
        # gets the segment once it is published.
        c = child("""
            import ipckit, sys
            print("opening", flush=True)
            shm = ipckit.SharedMemory.open(sys.argv[1], timeout=30)
            print(shm.size, shm.read(0, 5), flush=True)
        """, name)
        c.expect("opening")
        _wait_until_open_in(c.proc.pid, path)
        header = _ready_header_4096()
        os.pwrite(fd, b"hello", 64)
        os.pwrite(fd, header[:56] + b"\0\0\0\0" + header[60:], 0)
        os.pwrite(fd, header[56:60], 56)  # publish: state = ready
        os.close(fd)
        fd = -1
        c.expect("4096 b'hello'")
        c.finish()
    finally:
        if fd >= 0:
            os.close(fd)
        os.unlink(path)


@pytest.mark.parametrize("size", [0, 64 + 4096])
def test_creator_killed_mid_creation_is_reclaimed(child, unique_name, size):
    name = unique_name("half")
    path = "/dev/shm/" + name
    c = child("""
        import fcntl, os, sys
        fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(fd, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, int(sys.argv[2]))
        print("stopped", flush=True)
        sys.stdin.readline()
    """, path, size)
    try:
        c.expect("stopped")
        # Alive: waited for, never stale, never reclaimed.
        with pytest.raises(ipckit.IpcTimeoutError):
            ipckit.SharedMemory.open(name, timeout=0.2)
        assert name not in [s["name"] for s in ipckit.SharedMemory.find_stale()]
        with pytest.raises(ipckit.InUseError):
            ipckit.SharedMemory.remove_if_stale(name)
        with pytest.raises(ipckit.InUseError):
            ipckit.SharedMemory.create(name, 64)

        c.proc.kill()
        c.proc.wait(timeout=20)
        start = time.monotonic()
        with pytest.raises(ipckit.CorruptError, match="died"):
            ipckit.SharedMemory.open(name, timeout=20)
        assert time.monotonic() - start < 5, "waited for a dead creator"
        stale = [s for s in ipckit.SharedMemory.find_stale() if s["name"] == name]
        assert len(stale) == 1 and stale[0]["creator_pid"] == 0, stale
        with ipckit.SharedMemory.create(name, 64) as shm:
            assert shm.is_owner and shm.read_all() == bytes(64)
        assert not _shm_exists(name)
    finally:
        if _shm_exists(name):
            os.unlink(path)


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o277])
def test_segments_are_0600_whatever_the_umask(unique_name, mask):
    name = unique_name("mode")
    old = os.umask(mask)
    try:
        shm = ipckit.SharedMemory.create(name, 64)
    finally:
        os.umask(old)
    with shm:
        st = os.stat("/dev/shm/" + name)
        assert st.st_mode & 0o7777 == 0o600
        assert st.st_uid == os.geteuid()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a segment to another user")
def test_another_users_segment_is_refused_unless_allowed(unique_name):
    name = unique_name("foreign_owner")
    with ipckit.SharedMemory.create(name, 64) as mine:
        os.chown("/dev/shm/" + name, 65534, 65534)
        with pytest.raises(ipckit.PermissionDeniedError, match="65534"):
            ipckit.SharedMemory.open(name)
        with pytest.raises(ipckit.PermissionDeniedError):
            ipckit.SharedMemory.remove_if_stale(name)
        assert name not in [s["name"] for s in ipckit.SharedMemory.find_stale()]
        with ipckit.SharedMemory.open(name, allow_other_users=True) as theirs:
            assert theirs.size == 64
        assert mine.size == 64


def test_create_write_open_read_in_another_process(child, unique_name):
    name = unique_name("shm")
    with ipckit.SharedMemory.create(name, 4096) as shm:
        assert shm.is_owner and shm.size == 4096 and shm.name == name
        shm.write(0, b"Shared data here!")
        c = child("""
            import ipckit, sys
            shm = ipckit.SharedMemory.open(sys.argv[1])
            assert not shm.is_owner and shm.size == 4096
            print(shm.read(0, 17).decode(), flush=True)
            shm.write(100, b"reply from child")
        """, name)
        c.expect("Shared data here!")
        c.finish()
        assert shm.read(100, 16) == b"reply from child"
        assert shm.read_all()[:17] == b"Shared data here!"
        assert len(shm.read_all()) == 4096
    assert not _shm_exists(name)  # the owner removed it


def test_memoryview_is_zero_copy_and_shared(child, unique_name):
    name = unique_name("shm")
    shm = ipckit.SharedMemory.create(name, 64)
    view = memoryview(shm)
    assert view.nbytes == 64 and not view.readonly
    view[0:5] = b"hello"
    assert shm.read(0, 5) == b"hello"  # same bytes, no copy
    c = child("""
        import ipckit, sys
        shm = ipckit.SharedMemory.open(sys.argv[1])
        v = memoryview(shm)
        print(bytes(v[0:5]).decode(), flush=True)
        v[10:15] = b"WORLD"
        v.release()
        shm.close()
    """, name)
    c.expect("hello")
    c.finish()
    assert bytes(view[10:15]) == b"WORLD"
    view.release()
    shm.close()


def test_numpy_frombuffer_shares_memory(child, unique_name):
    name = unique_name("shm")
    shm = ipckit.SharedMemory.create(name, 8 * 1000)
    arr = np.frombuffer(shm, dtype=np.float64)
    assert arr.shape == (1000,) and arr.flags.writeable
    arr[:] = np.arange(1000)
    c = child("""
        import ipckit, sys
        import numpy as np
        shm = ipckit.SharedMemory.open(sys.argv[1])
        a = np.frombuffer(shm, dtype=np.float64)
        print(int(a.sum()), flush=True)
        a *= 2
        del a
        shm.close()
    """, name)
    c.expect(str(sum(range(1000))))
    c.finish()
    assert arr[999] == 1998.0
    with pytest.raises(BufferError):
        shm.close()  # the array still uses the mapping
    del arr
    shm.close()
    assert shm.closed


def test_close_refused_while_a_view_exists(unique_name):
    shm = ipckit.SharedMemory.create(unique_name("shm"), 16)
    view = memoryview(shm)
    with pytest.raises(BufferError):
        shm.close()
    assert shm.read(0, 1) == b"\x00"  # still usable
    view.release()
    shm.close()
    with pytest.raises(ipckit.ClosedError):
        memoryview(shm)
    with pytest.raises(ipckit.ClosedError):
        shm.read(0, 1)


def test_opener_does_not_unlink(unique_name):
    name = unique_name("shm")
    owner = ipckit.SharedMemory.create(name, 128)
    opener = ipckit.SharedMemory.open(name)
    opener.close()
    assert _shm_exists(name)
    ipckit.SharedMemory.open(name).close()
    owner.close()
    assert not _shm_exists(name)


def test_unlink_keeps_mapping(unique_name):
    name = unique_name("shm")
    shm = ipckit.SharedMemory.create(name, 32)
    shm.write(0, b"kept")
    shm.unlink()
    with pytest.raises(ipckit.NotFoundError):
        ipckit.SharedMemory.open(name)
    assert shm.read(0, 4) == b"kept"
    shm.close()


def test_missing_segment_is_not_found(unique_name):
    with pytest.raises(ipckit.NotFoundError) as info:
        ipckit.SharedMemory.open(unique_name("nope"))
    assert isinstance(info.value, FileNotFoundError)


def test_create_twice_is_in_use(unique_name):
    name = unique_name("shm")
    shm = ipckit.SharedMemory.create(name, 32)
    with pytest.raises(ipckit.InUseError):
        ipckit.SharedMemory.create(name, 32)
    shm.close()


@pytest.mark.parametrize("name, size", [("", 16), ("../x", 16), ("a" * 65, 16), ("ok_name", 0)])
def test_bad_name_or_size(name, size):
    with pytest.raises(ValueError):
        ipckit.SharedMemory.create(name, size)


def test_bounds(unique_name):
    shm = ipckit.SharedMemory.create(unique_name("shm"), 100)
    shm.write(90, b"0123456789")  # exactly to the end
    assert shm.read(90, 10) == b"0123456789"
    with pytest.raises(ipckit.OutOfRangeError) as info:
        shm.read(95, 10)
    assert isinstance(info.value, IndexError)
    assert "95" in str(info.value) and "100" in str(info.value)
    with pytest.raises(IndexError):
        shm.write(99, b"ab")
    with pytest.raises(IndexError):
        shm.read(2**62, 2**62 + 2**61)  # offset + len overflows 2**63
    with pytest.raises(ValueError, match="offset must be >= 0"):
        shm.read(-1, 1)
    with pytest.raises(ValueError, match="size must be >= 0"):
        shm.read(0, -1)
    with pytest.raises(TypeError):
        shm.write(0, "text")
    shm.close()


def test_foreign_segment_is_refused(unique_name):
    name = unique_name("foreign")
    path = "/dev/shm/" + name
    with open(path, "wb") as f:
        f.write(b"not an ipckit segment".ljust(4096, b"\x00"))
    try:
        with pytest.raises(ipckit.CorruptError):
            ipckit.SharedMemory.open(name)
    finally:
        os.unlink(path)


def test_killed_creator_is_stale(child, unique_name):
    name = unique_name("shm")
    c = child("""
        import ipckit, os, signal, sys
        shm = ipckit.SharedMemory.create(sys.argv[1], 256)
        print("created", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """, name)
    c.expect("created")
    c.proc.wait(timeout=20)
    assert _shm_exists(name)
    assert name in [s["name"] for s in ipckit.SharedMemory.find_stale()]
    ipckit.SharedMemory.remove_if_stale(name)
    assert not _shm_exists(name)


def test_live_creator_is_not_stale(unique_name):
    name = unique_name("shm")
    shm = ipckit.SharedMemory.create(name, 64)
    assert name not in [s["name"] for s in ipckit.SharedMemory.find_stale()]
    with pytest.raises(ipckit.InUseError):
        ipckit.SharedMemory.remove_if_stale(name)
    shm.close()


def _spawned_writer(name):
    shm = ipckit.SharedMemory.open(name)
    memoryview(shm)[0:6] = b"spawn!"
    shm.close()


def test_multiprocessing_spawn_writer(unique_name):
    name = unique_name("shm")
    shm = ipckit.SharedMemory.create(name, 64)
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_spawned_writer, args=(name,))
    proc.start()
    proc.join(timeout=30)
    assert proc.exitcode == 0
    assert shm.read(0, 6) == b"spawn!"
    shm.close()
