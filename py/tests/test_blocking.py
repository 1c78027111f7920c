"""Blocking calls: the GIL is released while they wait, Ctrl-C (SIGINT)
interrupts them promptly without losing data, and close() from another thread
wakes them."""

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
    c.expect("blocking")
    time.sleep(0.3)  # let it block
    c.proc.send_signal(signal.SIGINT)
    line = c.readline(timeout=10)
    assert line.startswith("interrupted "), line
    seconds = float(line.split()[1])
    assert seconds < 0.3 + 1.0, "KeyboardInterrupt came %.2fs after blocking" % seconds


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
    time.sleep(0.1)
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
    time.sleep(0.3)
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
