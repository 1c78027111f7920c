"""Sockets check who is at the other end (spec/naming.md, "Who may connect"):
a NamedPipe or IpcChannel peer running as another user is refused with
PermissionDeniedError unless allow_other_users=True.

The other user is a forked child that setuid()s to `nobody` (65534), so these
tests need root (CI runs as root). The child says it is ready by writing a byte
to a pipe and reports through its exit status: nothing waits on luck.
"""

import os
import select
import stat
import time

import pytest

import ipckit

NOBODY = 65534

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: a child must setuid() to 65534 to act as another user")


class _Stream:
    cls = ipckit.NamedPipe

    @staticmethod
    def send(end, data):
        end.write(data, timeout=5)

    @staticmethod
    def recv_all(end):
        got = b""
        while True:
            chunk = end.read(1024, timeout=20)
            if not chunk:
                return got
            got += chunk


class _Messages:
    cls = ipckit.IpcChannel

    @staticmethod
    def send(end, data):
        end.send(data, timeout=5)

    @staticmethod
    def recv_all(end):
        got = b""
        while True:
            try:
                got += end.recv(timeout=20)
            except ipckit.PeerClosedError:
                return got


KINDS = pytest.mark.parametrize("kind", [_Stream, _Messages], ids=["NamedPipe", "IpcChannel"])


def _start_as_nobody(body):
    """Forks a child that becomes uid 65534 and exits with body(ready_fd); returns
    its pid once body has written its ready byte."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 99
        try:
            os.close(r)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            code = body(w)
        finally:
            os._exit(code)
    os.close(w)
    try:
        readable, _, _ = select.select([r], [], [], 30)
        assert readable and os.read(r, 1) == b"r", "the child as nobody never became ready"
    finally:
        os.close(r)
    return pid


def _exit_code(pid, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)  # polling a bounded wait for a child's exit
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the child as nobody did not exit within %ss" % timeout)


def _impostor(kind, name):
    """A server run by another user: sends a forged reply to whoever connects and
    exits with the number of bytes it received (capped at 100)."""

    def body(ready):
        server = kind.cls.create(name, allow_other_users=True)
        os.write(ready, b"r")
        server.wait_for_client(timeout=20)
        try:
            kind.send(server, b"forged")
        except ipckit.IpcError:
            pass
        try:
            return min(len(kind.recv_all(server)), 100)
        except ipckit.IpcError:
            return 0

    return _start_as_nobody(body)


@KINDS
def test_client_refuses_a_server_of_another_user(kind, unique_name):
    name = unique_name("impostor")
    pid = _impostor(kind, name)
    with pytest.raises(ipckit.PermissionDeniedError) as info:
        kind.cls.connect(name, timeout=5)
    assert isinstance(info.value, PermissionError)
    assert "uid %d" % NOBODY in str(info.value)
    assert _exit_code(pid) == 0  # nothing was sent to the impostor, nothing read from it


@KINDS
def test_client_opt_in_talks_to_a_server_of_another_user(kind, unique_name):
    name = unique_name("optin")
    pid = _impostor(kind, name)
    client = kind.cls.connect(name, timeout=5, allow_other_users=True)
    got = b""
    while len(got) < 6:
        got += client.read(6 - len(got), timeout=20) if kind is _Stream else client.recv(timeout=20)
    assert got == b"forged"
    kind.send(client, b"hello")
    client.close()
    assert _exit_code(pid) == 5


@KINDS
def test_server_refuses_a_client_of_another_user(kind, unique_name):
    name = unique_name("strict")

    def body(ready):
        server = kind.cls.create(name)  # the default: same user only
        os.write(ready, b"r")
        try:
            server.wait_for_client(timeout=20)
        except ipckit.PermissionDeniedError as e:
            return 0 if "uid 0" in str(e) else 2
        return 1

    pid = _start_as_nobody(body)
    # Root may connect to nobody's 0600 socket; opting in here leaves only the
    # server's check under test.
    client = kind.cls.connect(name, timeout=5, allow_other_users=True)
    assert _exit_code(pid) == 0
    assert kind.recv_all(client) == b""  # closed without a byte


@KINDS
def test_server_opt_in_accepts_a_client_of_another_user(kind, unique_name):
    name = unique_name("open")
    server = kind.cls.create(name, allow_other_users=True)
    assert stat.S_IMODE(os.lstat(server.path).st_mode) == 0o666

    def body(ready):
        os.write(ready, b"r")
        client = kind.cls.connect(name, timeout=20, allow_other_users=True)
        kind.send(client, b"hi")
        return 0

    pid = _start_as_nobody(body)
    server.wait_for_client(timeout=20)
    assert kind.recv_all(server) == b"hi"
    assert _exit_code(pid) == 0
    server.close()


@KINDS
def test_create_reports_a_socket_file_of_another_user(kind, unique_name):
    name = unique_name("squat")

    def body(ready):
        server = kind.cls.create(name)  # noqa: F841 - alive until _exit
        os.write(ready, b"r")
        os._exit(0)  # no destructor runs: the socket file stays, owned by nobody

    assert _exit_code(_start_as_nobody(body)) == 0
    path = "/tmp/%s.sock" % name
    try:
        with pytest.raises(ipckit.PermissionDeniedError) as info:
            kind.cls.create(name)
        assert "uid %d" % NOBODY in str(info.value)
        assert os.lstat(path).st_uid == NOBODY  # neither removed nor taken
    finally:
        os.unlink(path)
