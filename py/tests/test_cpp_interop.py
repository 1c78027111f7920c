"""Python <-> C++ across processes: a Python server with the C++ client and the
reverse, for NamedPipe, IpcChannel, SharedMemory and FileChannel, plus an
AnonymousPipe end handed to a C++ child. The C++ side is py/tests/cpp_peer.cc."""

import json
import os
import subprocess

import ipckit


def _start(cpp_peer, *args):
    return subprocess.Popen([cpp_peer, *map(str, args)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc, timeout=30):
    """Closes the peer's stdin, waits for exit 0 and returns the rest of its stdout."""
    out, err = proc.communicate(input="", timeout=timeout)
    assert proc.returncode == 0, "cpp_peer exited %d: %s" % (proc.returncode, err)
    return out


def test_named_pipe_python_server_cpp_client(cpp_peer, unique_name):
    name = unique_name("x")
    server = ipckit.NamedPipe.create(name)
    proc = _start(cpp_peer, "named-pipe-client", name, "hello from C++")
    server.wait_for_client(timeout=20)
    assert server.read_exact(14, timeout=20) == b"hello from C++"
    server.write_all(b"hello from Python")
    assert _finish(proc) == "hello from Python\n"
    server.close()


def test_named_pipe_cpp_server_python_client(cpp_peer, unique_name):
    name = unique_name("x")
    proc = _start(cpp_peer, "named-pipe-server", name)
    assert proc.stdout.readline() == "ready\n"
    client = ipckit.NamedPipe.connect(name, timeout=20)
    client.write_all(b"ping")
    assert client.read_exact(8, timeout=20) == b"cpp:ping"
    client.close()
    _finish(proc)


def test_channel_python_server_cpp_client(cpp_peer, unique_name):
    name = unique_name("x")
    server = ipckit.IpcChannel.create(name)
    proc = _start(cpp_peer, "channel-client", name, "one", "", "three")
    server.wait_for_client(timeout=20)
    for _ in range(3):
        server.send(b"py:" + server.recv(timeout=20))
    assert _finish(proc) == "py:one\npy:\npy:three\n"
    server.close()


def test_channel_cpp_server_python_client(cpp_peer, unique_name):
    name = unique_name("x")
    proc = _start(cpp_peer, "channel-server", name)
    assert proc.stdout.readline() == "ready\n"
    client = ipckit.IpcChannel.connect(name, timeout=20)
    big = bytes(range(256)) * 4096  # 1 MiB
    client.send(big)
    assert client.recv(timeout=20) == b"cpp:" + big
    client.send_json({"k": [1, 2.5, "é"]})
    assert client.recv(timeout=20) == b'cpp:{"k":[1,2.5,"\xc3\xa9"]}'
    client.close()
    _finish(proc)


def test_shm_python_creates_cpp_reads_and_writes(cpp_peer, unique_name):
    name = unique_name("x")
    shm = ipckit.SharedMemory.create(name, 1024)
    memoryview(shm)[0:6] = b"py-shm"
    out = subprocess.run([cpp_peer, "shm-read", name, "0", "6"], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    assert bytes.fromhex(out.strip()) == b"py-shm"
    subprocess.run([cpp_peer, "shm-write", name, "500", "written by C++"], timeout=30, check=True)
    assert shm.read(500, 14) == b"written by C++"
    shm.close()


def test_shm_cpp_creates_python_reads_and_writes(cpp_peer, unique_name):
    name = unique_name("x")
    proc = _start(cpp_peer, "shm-create", name, 4096, "cpp-shm")
    assert proc.stdout.readline() == "ready\n"
    shm = ipckit.SharedMemory.open(name)
    assert shm.size == 4096 and not shm.is_owner
    assert shm.read(0, 7) == b"cpp-shm"
    shm.write(100, b"from python")
    proc.stdin.write("100 11\n")
    proc.stdin.flush()
    assert bytes.fromhex(proc.stdout.readline().strip()) == b"from python"
    shm.close()
    _finish(proc)
    assert not os.path.exists("/dev/shm/" + name)  # the C++ owner removed it


def test_file_channel_python_backend_cpp_frontend(cpp_peer, tmp_path):
    d = str(tmp_path / "ch")
    backend = ipckit.FileChannel.backend(d)
    proc = _start(cpp_peer, "file-serve", d, 2)
    assert proc.stdout.readline() == "ready\n"
    ok = backend.send_request("getData", {"key": "user_info", "n": [1, 2.5]})
    bad = backend.send_request("fail", None)
    response = backend.wait_response(ok, timeout=20)
    assert response["payload"] == {"method": "getData",
                                   "params": {"key": "user_info", "n": [1, 2.5]}}
    assert backend.wait_response(bad, timeout=20)["error"] == "cpp says no"
    _finish(proc)


def test_file_channel_cpp_backend_python_frontend(cpp_peer, tmp_path):
    d = str(tmp_path / "ch")
    frontend = ipckit.FileChannel.frontend(d)
    proc = _start(cpp_peer, "file-call", d, "getUser", '{"id":7}')
    request = frontend.recv_one(timeout=20)
    assert request["type"] == "request" and request["method"] == "getUser"
    assert request["payload"] == {"id": 7}
    frontend.send_response(request["id"], {"name": "Ada", "id": 7})
    assert _finish(proc) == '{"name":"Ada","id":7}\n'


PY_FRONTEND = """
import ipckit, sys
f = ipckit.FileChannel.frontend(sys.argv[1], reader="py")
print("ready", flush=True)
while True:
    m = f.recv_one(timeout=20)
    assert m is not None, "no message"
    if m["type"] == "event" and m["method"] == "quit":
        break
    if m["type"] == "request":
        print("handled", m["payload"], flush=True)
        f.send_response(m["id"], {"by": "py"})
"""


def test_file_channel_cpp_and_python_frontends_handle_each_request_once(cpp_peer, tmp_path, child):
    # FileChannel format 2: a C++ frontend (anonymous) and a Python one (named)
    # on one channel claim each request under the lock; each is answered once.
    d = str(tmp_path / "ch")
    backend = ipckit.FileChannel.backend(d)
    count = 30
    proc = _start(cpp_peer, "file-serve", d, count)
    assert proc.stdout.readline() == "ready\n"
    py = child(PY_FRONTEND, d)
    py.expect("ready")
    ids = [backend.send_request("work", i) for i in range(count)]
    by = [backend.wait_response(i, timeout=20)["payload"] for i in ids]
    backend.send_event("quit", None)
    handled_by_py = [int(line.split()[1]) for line in py.finish().splitlines()]
    proc.kill()  # it waits for the requests the Python frontend took
    proc.communicate()
    assert sum(1 for p in by if p == {"by": "py"}) == len(handled_by_py)
    assert sum(1 for p in by if p.get("method") == "work") == count - len(handled_by_py)
    with open(os.path.join(d, "frontend_to_backend.json")) as fh:
        answers = [m["reply_to"] for m in json.load(fh) if m["type"] == "response"]
    assert sorted(answers) == sorted(ids)  # each exactly once


def test_anonymous_pipe_to_a_cpp_child(cpp_peer):
    pipe = ipckit.AnonymousPipe()
    fd = pipe.detach_writer()
    proc = subprocess.Popen([cpp_peer, "pipe-write", str(fd), "from C++ child"], pass_fds=[fd])
    os.close(fd)
    assert pipe.read_exact(14, timeout=20) == b"from C++ child"
    assert proc.wait(timeout=20) == 0
    assert pipe.read(1, timeout=20) == b""
