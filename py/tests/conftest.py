"""Shared fixtures: unique names, peer processes, paths set by py/run_tests.sh."""

import itertools
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import pytest

_counter = itertools.count()

# A process started in the background by a non-interactive shell (as CI may
# start this suite) inherits SIGINT as ignored, and so would every child the
# tests start: Python then never raises KeyboardInterrupt, and the Ctrl-C
# tests would test the launcher, not ipckit. A Python-level handler is reset to
# the default on exec, so children start with SIGINT as a terminal gives it.
signal.signal(signal.SIGINT, signal.default_int_handler)

REPO_ROOT = pathlib.Path(os.environ.get("IPCKIT_REPO_ROOT", pathlib.Path(__file__).resolve().parents[2]))
VECTORS = REPO_ROOT / "conformance" / "vectors"


@pytest.fixture
def unique_name():
    """A function making names that no other test or concurrent run uses."""

    def make(prefix="t"):
        return "%s_%d_%d" % (prefix, os.getpid(), next(_counter))

    return make


@pytest.fixture
def cpp_peer():
    """Path of the C++ peer binary (py/tests/cpp_peer.cc), built by run_tests.sh."""
    path = os.environ.get("IPCKIT_CPP_PEER")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("IPCKIT_CPP_PEER must name the built //py/tests:cpp_peer (use py/run_tests.sh)")
    return path


class Child:
    """A Python child process running `code`, with line-based stdout."""

    def __init__(self, code, *args, cwd=None):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, cwd=cwd)

    def readline(self, timeout=20):
        """The next stdout line (stripped), failing the test if none comes in time."""
        deadline = time.monotonic() + timeout
        import selectors
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if sel.select(timeout=max(0, deadline - time.monotonic())):
                    line = self.proc.stdout.readline()
                    if not line:
                        self.fail("exited before printing a line")
                    return line.rstrip("\n")
        self.fail("printed no line within %ss" % timeout)

    def expect(self, line, timeout=20):
        got = self.readline(timeout)
        assert got == line, "child printed %r, expected %r" % (got, line)

    def finish(self, timeout=20):
        """Waits for exit 0; returns the remaining stdout."""
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            pytest.fail("child did not exit within %ss; stderr:\n%s" % (timeout, err))
        assert self.proc.returncode == 0, "child exited %d; stderr:\n%s" % (self.proc.returncode, err)
        return out

    def fail(self, why):
        self.proc.kill()
        _, err = self.proc.communicate()
        pytest.fail("child %s; stderr:\n%s" % (why, err))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


@pytest.fixture
def child():
    """Starts Python children (Child(code, *argv)); kills any left at the end."""
    started = []

    def start(code, *args, cwd=None):
        c = Child(code, *args, cwd=cwd)
        started.append(c)
        return c

    yield start
    for c in started:
        c.kill()


def elapsed(fn, *args, **kwargs):
    """(exception or result, seconds) of calling fn."""
    start = time.monotonic()
    try:
        result = fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the caller inspects it
        result = e
    return result, time.monotonic() - start
