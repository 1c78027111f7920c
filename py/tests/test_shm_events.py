"""Shared-memory events: ShmNotifier wakes ShmListeners with an event id."""

import os
import threading

import pytest

import ipckit
from conftest import elapsed

NOTIFIER = """
    import sys
    import ipckit
    notifier = ipckit.ShmNotifier.create(sys.argv[1])
    print("ready", notifier.listener_count, flush=True)
    sys.stdin.readline()
    for event_id in map(int, sys.argv[2:]):
        notifier.notify(event_id)
    print("sent", flush=True)
    sys.stdin.readline()
"""


def _go(c):
    c.proc.stdin.write("go\n")
    c.proc.stdin.flush()


def test_a_notifier_process_wakes_the_listener_and_its_death_is_peer_closed(child, unique_name):
    name = unique_name("ev")
    with ipckit.ShmListener.create(name) as listener:
        assert listener.try_wait() is None
        c = child(NOTIFIER, name, 7, 0, 2**64 - 1)
        c.expect("ready 1")
        # Nothing is sent before "go": the listener times out.
        with pytest.raises(ipckit.IpcTimeoutError):
            listener.wait(timeout=0.05)
        _go(c)
        assert listener.wait(timeout=20) == 7
        c.expect("sent")
        assert listener.try_wait() == 0
        assert listener.wait(timeout=0) == 2**64 - 1
        assert listener.try_wait() is None
        c.kill()  # SIGKILL while it is still a notifier of the service
        result, took = elapsed(listener.wait, timeout=10)
        assert isinstance(result, ipckit.PeerClosedError), result
        assert took < 5
        with pytest.raises(ipckit.PeerClosedError):
            listener.try_wait()


def test_events_left_by_a_killed_notifier_come_before_peer_closed(child, unique_name):
    name = unique_name("ev")
    with ipckit.ShmListener.create(name) as listener:
        c = child(NOTIFIER, name, 1, 2, 3)
        c.expect("ready 1")
        _go(c)
        c.expect("sent")
        c.kill()
        assert [listener.wait(timeout=5) for _ in range(3)] == [1, 2, 3]
        with pytest.raises(ipckit.PeerClosedError):
            listener.wait(timeout=5)


def test_wait_releases_the_gil_while_another_thread_notifies(unique_name):
    name = unique_name("ev")
    with ipckit.ShmListener.create(name) as listener, \
            ipckit.ShmNotifier.create(name) as notifier:
        got = []
        waiting = threading.Thread(target=lambda: got.append(listener.wait(timeout=20)))
        waiting.start()
        # This thread runs Python while the other waits: the GIL is free.
        notifier.notify(99)
        waiting.join(timeout=20)
        assert got == [99]
        assert notifier.listener_count == 1


def test_wait_set_wakes_on_a_listener_beside_an_fd(child, unique_name):
    name = unique_name("ev")
    r, w = os.pipe()
    try:
        with ipckit.ShmListener.create(name) as listener:
            ws = ipckit.ShmWaitSet()
            assert ws.add(listener) == 0
            assert ws.add_fd(r) == 1
            c = child(NOTIFIER, name, 5)
            c.expect("ready 1")
            with pytest.raises(ipckit.IpcTimeoutError):
                ws.wait(timeout=0.05)
            _go(c)
            assert ws.wait(timeout=20) == [0]
            assert listener.wait(timeout=0) == 5
            os.write(w, b"x")
            assert ws.wait(timeout=20) == [1]
            os.read(r, 1)
            c.expect("sent")
            c.kill()
            assert ws.wait(timeout=20) == [0]  # wait() would raise PeerClosedError
            listener.close()
            assert ws.wait(timeout=0) == [0]
    finally:
        os.close(r)
        os.close(w)


def test_closed_endpoints_raise_closed_error_and_bad_options_value_error(unique_name):
    name = unique_name("ev")
    listener = ipckit.ShmListener.create(name)
    notifier = ipckit.ShmNotifier.create(name)
    notifier.close()
    notifier.close()  # idempotent
    assert notifier.closed
    with pytest.raises(ipckit.ClosedError):
        notifier.notify(1)
    listener.close()
    with pytest.raises(ipckit.ClosedError):
        listener.wait(timeout=0)
    with pytest.raises(ValueError):
        ipckit.ShmListener.create(unique_name("ev"), wait="sometimes")
    with ipckit.ShmNotifier.create(unique_name("ev")) as other, pytest.raises(TypeError):
        other.notify(-1)
