"""The exceptions ipckit 0.1 programs catch still match (issue 10): each of
ours derives from ipckit.IpcError and from the builtin 0.1 raised for the same
failure (py/src/errors.cc is the table)."""

import pytest

import ipckit


def test_out_of_range_shared_memory_is_buffer_error(unique_name):
    shm = ipckit.SharedMemory.create(unique_name("shm"), 16)
    try:
        for call in (lambda: shm.read(10, 100), lambda: shm.write(10, b"x" * 100)):
            with pytest.raises(BufferError) as info:
                call()
            assert isinstance(info.value, ipckit.OutOfRangeError)
            assert isinstance(info.value, IndexError)
    finally:
        shm.close()


def test_oversize_message_is_buffer_error(unique_name):
    name = unique_name("ch")
    server = ipckit.IpcChannel.create(name, max_payload=10)
    client = ipckit.IpcChannel.connect(name, timeout=5, max_payload=10)
    server.wait_for_client(timeout=5)
    with pytest.raises(BufferError) as info:
        client.send(b"x" * 11, timeout=5)
    assert isinstance(info.value, ipckit.TooLargeError) and isinstance(info.value, ValueError)
    server.close()
    client.close()


@pytest.mark.parametrize("call", [
    lambda name: ipckit.AnonymousPipe().read(-1),
    lambda name: ipckit.SharedMemory.create(name, 16).read(-1, 1),
    lambda name: ipckit.SharedMemory.create(name, 16).read(0, -1),
], ids=["pipe read", "shm offset", "shm size"])
def test_negative_size_is_overflow_error(call, unique_name):
    with pytest.raises(OverflowError) as info:
        call(unique_name("shm"))
    assert isinstance(info.value, ipckit.InvalidArgumentError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("call", [
    lambda: ipckit.NamedPipe.create("a/b/c"),
    lambda: ipckit.IpcChannel.create("../x"),
    lambda: ipckit.NamedPipe.connect("sp ace"),
    lambda: ipckit.SharedMemory.create("a/b", 16),
], ids=["NamedPipe", "IpcChannel", "connect", "SharedMemory"])
def test_bad_name_is_os_error(call):
    with pytest.raises(OSError) as info:
        call()
    assert isinstance(info.value, ipckit.InvalidArgumentError)
    assert isinstance(info.value, ValueError)


def test_closed_or_taken_pipe_end_is_connection_error():
    pipe = ipckit.AnonymousPipe()
    pipe.take_writer()
    with pytest.raises(ConnectionError) as info:
        pipe.write(b"x")
    assert isinstance(info.value, ipckit.ClosedError)
    pipe.take_reader()
    with pytest.raises(ConnectionError):
        pipe.read(1)
    pipe.close()
    with pytest.raises(ConnectionError):
        pipe.reader_fd()
