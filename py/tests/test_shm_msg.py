"""Zero-copy shared-memory publish/subscribe: ShmPublisher, ShmSubscriber."""

import os
import threading

import numpy as np
import pytest

import ipckit
from conftest import elapsed


def _service_exists(name):
    return os.path.exists("/dev/shm/ipckit_msg." + name)


def test_loan_is_writable_and_sample_read_only_across_processes(child, unique_name):
    name = unique_name("msg")
    with ipckit.ShmSubscriber.create(name, max_payload=1 << 16) as sub:
        c = child("""
            import sys
            import numpy as np
            import ipckit
            with ipckit.ShmPublisher.create(sys.argv[1], max_payload=1 << 16) as pub:
                loan = pub.loan(4096)
                arr = np.frombuffer(loan, dtype=np.uint32)
                arr[:] = np.arange(1024, dtype=np.uint32)
                del arr
                pub.send(loan)
                pub.send_copy(b"small")
                pub.send_json({"type": "done", "n": 2})
                print("sent", flush=True)
                sys.stdin.readline()
        """, name)
        c.expect("sent")
        with sub.receive(timeout=10) as sample:
            view = memoryview(sample)
            assert view.readonly and view.nbytes == 4096
            assert sample.sequence == 1
            got = np.frombuffer(sample, dtype=np.uint32)
            assert (got == np.arange(1024, dtype=np.uint32)).all()
            with pytest.raises(ValueError):
                got[0] = 5  # read-only
            del got
            view.release()
        with sub.receive(timeout=10) as sample:
            assert sample.bytes() == b"small"
        assert sub.recv_json(timeout=10) == {"type": "done", "n": 2}
        c.proc.stdin.write("\n")
        c.proc.stdin.flush()
        c.finish()
        with pytest.raises(ipckit.PeerClosedError):
            sub.receive(timeout=10)
    assert not _service_exists(name)


def test_views_cannot_outlive_the_sample_or_the_loan(unique_name):
    name = unique_name("msg")
    with ipckit.ShmSubscriber.create(name) as sub, ipckit.ShmPublisher.create(name) as pub:
        loan = pub.loan(8)
        view = memoryview(loan)
        view[:] = b"12345678"
        with pytest.raises(BufferError):
            pub.send(loan)
        with pytest.raises(BufferError):
            pub.close()
        view.release()
        pub.send(loan)
        assert not loan.valid
        with pytest.raises(ipckit.ClosedError):
            memoryview(loan)

        sample = sub.receive(timeout=5)
        held = memoryview(sample)
        with pytest.raises(BufferError):
            sample.release()
        with pytest.raises(BufferError):
            sub.close()
        assert bytes(held) == b"12345678"
        held.release()
        sample.release()
        assert not sample.valid
        with pytest.raises(ipckit.ClosedError):
            memoryview(sample)


def test_too_large_and_mismatched_config(unique_name):
    name = unique_name("msg")
    with ipckit.ShmPublisher.create(name, max_payload=64) as pub:
        with pytest.raises(ipckit.TooLargeError):
            pub.loan(65)
        with pytest.raises(ipckit.TooLargeError):
            pub.send_copy(b"x" * 65)
        with pytest.raises(ipckit.InvalidArgumentError):
            ipckit.ShmSubscriber.create(name, max_payload=128)
        with pytest.raises(ipckit.InUseError):
            ipckit.ShmPublisher.create(name, max_payload=64)
        with pytest.raises(ValueError):
            ipckit.ShmSubscriber.create(name, max_payload=64, overflow="sometimes")


def test_receive_times_out_and_releases_the_gil(unique_name):
    name = unique_name("msg")
    with ipckit.ShmSubscriber.create(name) as sub, ipckit.ShmPublisher.create(name) as pub:
        result, took = elapsed(sub.receive, timeout=0.05)
        assert isinstance(result, ipckit.IpcTimeoutError) and took >= 0.049
        # The sender thread can only run while receive() waits without the GIL.
        started = threading.Event()

        def send_when_started():
            started.wait(10)
            pub.send_copy(b"from a thread")

        t = threading.Thread(target=send_when_started)
        t.start()
        started.set()
        with sub.receive(timeout=10) as sample:
            assert sample.bytes() == b"from a thread"
        t.join()


@pytest.mark.parametrize("wait", ["blocking", "busy", "hybrid"])
def test_wait_modes_deliver_in_order(unique_name, wait):
    name = unique_name("msg")
    with ipckit.ShmSubscriber.create(name, wait=wait, subscriber_buffer=64) as sub, \
            ipckit.ShmPublisher.create(name, subscriber_buffer=64) as pub:
        for i in range(50):
            pub.send_json(i)
        assert [sub.recv_json(timeout=5) for _ in range(50)] == list(range(50))


def test_killed_publisher_holding_a_loan_is_peer_closed(child, unique_name):
    name = unique_name("msg")
    with ipckit.ShmSubscriber.create(name, max_payload=64) as sub:
        c = child("""
            import sys
            import ipckit
            pub = ipckit.ShmPublisher.create(sys.argv[1], max_payload=64)
            pub.send_copy(b"before")
            loan = pub.loan(8)
            print("holding", flush=True)
            sys.stdin.readline()
        """, name)
        c.expect("holding")
        c.kill()  # SIGKILL, then reaped
        with sub.receive(timeout=10) as sample:
            assert sample.bytes() == b"before"
        result, took = elapsed(sub.receive, timeout=10)
        assert isinstance(result, ipckit.PeerClosedError), result
        assert took < 5
        # Its entry and loan were reclaimed: a new publisher can take over.
        with ipckit.ShmPublisher.create(name, max_payload=64) as pub:
            pub.send_copy(b"after")
            with sub.receive(timeout=5) as sample:
                assert sample.bytes() == b"after"
    assert not _service_exists(name)


def test_wait_set_wakes_on_a_sample_an_fd_and_a_killed_publisher(child, unique_name):
    a, b = unique_name("ws_a"), unique_name("ws_b")
    r, w = os.pipe()
    try:
        with ipckit.ShmSubscriber.create(a) as sub_a, ipckit.ShmSubscriber.create(b) as sub_b:
            ws = ipckit.ShmWaitSet()
            assert ws.add(sub_a) == 0
            assert ws.add(sub_b) == 1
            assert ws.add_fd(r) == 2
            c = child("""
                import sys
                import ipckit
                with ipckit.ShmPublisher.create(sys.argv[1]) as pa, \\
                     ipckit.ShmPublisher.create(sys.argv[2]) as pb:
                    print("ready", flush=True)
                    sys.stdin.readline()
                    pb.send_copy(b"to b")
                    print("sent", flush=True)
                    sys.stdin.readline()
            """, a, b)
            c.expect("ready")
            result, took = elapsed(ws.wait, timeout=0.2)
            assert isinstance(result, ipckit.IpcTimeoutError), result
            assert took >= 0.19
            c.proc.stdin.write("\n")
            c.proc.stdin.flush()
            # Whether the wait sleeps before the sample comes decides nothing.
            assert ws.wait(timeout=30) == [1]
            with sub_b.receive(timeout=0) as sample:
                assert sample.bytes() == b"to b"
            os.write(w, b"x")
            assert ws.wait(timeout=30) == [2]
            assert os.read(r, 1) == b"x"
            c.expect("sent")
            c.kill()  # SIGKILL: both publishers die holding their entries
            assert ws.wait(timeout=30) == [0, 1]
            with pytest.raises(ipckit.PeerClosedError):
                sub_a.receive(timeout=0)
            sub_b.close()
            assert 1 in ws.wait(timeout=0)  # closed: receive would raise at once
            with pytest.raises(TypeError):
                ws.add(object())
    finally:
        os.close(r)
        os.close(w)


def test_two_publisher_processes_one_killed(child, unique_name):
    name = unique_name("msg")
    config = dict(max_payload=64, max_publishers=2)
    code = """
        import sys
        import ipckit
        pub = ipckit.ShmPublisher.create(sys.argv[1], max_payload=64, max_publishers=2)
        print("joined", flush=True)
        sys.stdin.readline()
        pub.send_copy(sys.argv[2].encode() + b"1")
        pub.send_copy(sys.argv[2].encode() + b"2")
        loan = pub.loan(8)
        print("holding", flush=True)
        sys.stdin.readline()
        pub.close()
        print("closed", flush=True)
    """
    with ipckit.ShmSubscriber.create(name, **config) as sub:
        a = child(code, name, "a")
        a.expect("joined")
        b = child(code, name, "b")
        b.expect("joined")
        with pytest.raises(ipckit.InUseError):
            ipckit.ShmPublisher.create(name, **config)
        for c in (a, b):
            c.proc.stdin.write("\n")
            c.proc.stdin.flush()
            c.expect("holding")
        got = []
        for _ in range(4):
            with sub.receive(timeout=10) as sample:
                got.append((sample.publisher, sample.sequence, sample.bytes()))
        # Each stream in its own order, numbered by its publisher; round-robin.
        assert got == [(0, 1, b"a1"), (1, 1, b"b1"), (0, 2, b"a2"), (1, 2, b"b2")]
        a.kill()  # SIGKILL while holding a loan
        # b lives: a plain timeout, not PeerClosedError.
        with pytest.raises(ipckit.IpcTimeoutError):
            sub.receive(timeout=0.05)
        # a's entry is reclaimed for a newcomer, which continues a's numbering.
        with ipckit.ShmPublisher.create(name, **config) as pub:
            pub.send_copy(b"new")
            with sub.receive(timeout=10) as sample:
                assert (sample.publisher, sample.sequence, sample.bytes()) == (0, 3, b"new")
        b.proc.stdin.write("\n")
        b.proc.stdin.flush()
        b.expect("closed")
        b.finish()
        with pytest.raises(ipckit.PeerClosedError):
            sub.receive(timeout=10)
        with pytest.raises(ipckit.InvalidArgumentError):
            ipckit.ShmSubscriber.create(name, max_payload=64)  # max_publishers differs
    assert not _service_exists(name)
