"""The Python examples of ipckit 0.1's README, run exactly as written.

Each snippet runs in its own Python process; the ones that need a counterpart
(the NamedPipe server/client pair, the IpcChannel server, the FileChannel
backend) get it in a second process. The snippets below are the README's text
verbatim; when the README is at hand (IPCKIT_SEED_README, or shared/seed/ beside
the repository) a test checks that they still are.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

ANONYMOUS_PIPE = '''\
import ipckit
import subprocess

# Create pipe pair
pipe = ipckit.AnonymousPipe()

# Write to pipe
pipe.write(b"Hello from parent!")

# Read from pipe
data = pipe.read(1024)
print(data)
'''

NAMED_PIPE_SERVER = '''\
import ipckit

# Create server
server = ipckit.NamedPipe.create("my_pipe")
print("Waiting for client...")
server.wait_for_client()

# Communicate
data = server.read(1024)
server.write(b"Response from server")
'''

NAMED_PIPE_CLIENT = '''\
import ipckit

# Connect to server
client = ipckit.NamedPipe.connect("my_pipe")

# Communicate
client.write(b"Hello from client")
response = client.read(1024)
print(response)
'''

SHARED_MEMORY = '''\
import ipckit

# Create shared memory (owner)
shm = ipckit.SharedMemory.create("my_shm", 4096)
shm.write(0, b"Shared data here!")

# In another process, open existing
shm2 = ipckit.SharedMemory.open("my_shm")
data = shm2.read(0, 17)
print(data)  # b"Shared data here!"
'''

IPC_CHANNEL = '''\
import ipckit

# Server
channel = ipckit.IpcChannel.create("my_channel")
channel.wait_for_client()

# Send/receive JSON
channel.send_json({"type": "greeting", "message": "Hello!"})
response = channel.recv_json()
print(response)
'''

FILE_CHANNEL = '''\
import ipckit

# Create backend channel
channel = ipckit.FileChannel.backend("./ipc_channel")

# Send request to frontend
request_id = channel.send_request("getData", {"key": "user_info"})

# Wait for response
response = channel.wait_response(request_id, timeout_ms=5000)
print(response)

# Send events
channel.send_event("status_update", {"status": "ready"})
'''

NATIVE_JSON = '''\
import ipckit

# Serialize (1.2x faster than json.dumps)
data = {"name": "test", "values": [1, 2, 3]}
json_str = ipckit.json_dumps(data)

# Pretty print
pretty_str = ipckit.json_dumps_pretty(data)

# Deserialize
obj = ipckit.json_loads('{"key": "value"}')
'''

SNIPPETS = [ANONYMOUS_PIPE, NAMED_PIPE_SERVER, NAMED_PIPE_CLIENT, SHARED_MEMORY, IPC_CHANNEL,
            FILE_CHANNEL, NATIVE_JSON]


def _start(code, cwd):
    return subprocess.Popen([sys.executable, "-u", "-c", code], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(proc, timeout=30):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail("snippet hung; stdout %r stderr %r" % (out, err))
    assert proc.returncode == 0, err
    return out


def _readme():
    candidates = [os.environ.get("IPCKIT_SEED_README"),
                  REPO_ROOT.parent / "shared" / "seed" / "README.md",
                  pathlib.Path("/work/shared/seed/README.md")]
    for candidate in candidates:
        if candidate and pathlib.Path(candidate).is_file():
            return pathlib.Path(candidate).read_text(encoding="utf-8")
    return None


def test_snippets_are_the_readme_text():
    readme = _readme()
    if readme is None:
        pytest.skip("the seed README is not available here")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert len(blocks) == len(SNIPPETS)
    assert blocks == SNIPPETS


def test_anonymous_pipe(tmp_path):
    assert _finish(_start(ANONYMOUS_PIPE, tmp_path)) == "b'Hello from parent!'\n"


def test_named_pipe_server_and_client(tmp_path):
    server = _start(NAMED_PIPE_SERVER, tmp_path)
    assert server.stdout.readline() == "Waiting for client...\n"
    client = _start(NAMED_PIPE_CLIENT, tmp_path)
    assert _finish(client) == "b'Response from server'\n"
    _finish(server)
    assert not os.path.exists("/tmp/my_pipe.sock")


def test_shared_memory(tmp_path):
    assert _finish(_start(SHARED_MEMORY, tmp_path)) == "b'Shared data here!'\n"
    assert not os.path.exists("/dev/shm/my_shm")


def test_shared_memory_split_across_processes(tmp_path):
    """The same snippet with its "in another process" half really in another one."""
    create, open_ = SHARED_MEMORY.split("# In another process, open existing\n")
    owner = subprocess.Popen([sys.executable, "-u", "-c", create + "print('created')\ninput()\n"],
                             cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert owner.stdout.readline() == "created\n"
        assert _finish(_start("import ipckit\n" + open_, tmp_path)) == "b'Shared data here!'\n"
    finally:
        owner.communicate(input="\n", timeout=30)
    assert owner.returncode == 0


def test_ipc_channel_server(tmp_path):
    server = _start(IPC_CHANNEL, tmp_path)
    client = _start('''\
import ipckit
client = ipckit.IpcChannel.connect("my_channel", timeout=20)
greeting = client.recv_json(timeout=20)
client.send_json({"type": "reply", "to": greeting["message"]})
''', tmp_path)
    _finish(client)
    assert _finish(server) == "{'type': 'reply', 'to': 'Hello!'}\n"


def test_file_channel_backend(tmp_path):
    frontend = _start('''\
import ipckit
channel = ipckit.FileChannel.frontend("./ipc_channel")
request = channel.recv_one(timeout=20)
channel.send_response(request["id"], {"user_info": {"name": "Ada"}, "asked": request["payload"]})
event = channel.recv_one(timeout=20)
print(event["type"], event["method"], event["payload"])
''', tmp_path)
    out = _finish(_start(FILE_CHANNEL, tmp_path))
    assert "'type': 'response'" in out
    assert "'payload': {'user_info': {'name': 'Ada'}, 'asked': {'key': 'user_info'}}" in out
    assert _finish(frontend) == "event status_update {'status': 'ready'}\n"
    assert (tmp_path / "ipc_channel" / "backend_to_frontend.json").is_file()


def test_native_json(tmp_path):
    check = '''
assert json_str == '{"name":"test","values":[1,2,3]}', json_str
assert pretty_str.startswith('{\\n  "name": "test",'), pretty_str
assert obj == {"key": "value"}
print("ok")
'''
    assert _finish(_start(NATIVE_JSON + check, tmp_path)) == "ok\n"
