"""The exact bytes ApiClient and CliBridge put on the socket, recorded by a
plain socket server in a child process, and what the client makes of the
replies it gets (a 200 with JSON, a 204 with no body, a text message)."""
import base64
import json
import os
import struct
import subprocess
import sys
from _common import report

REPLIES = [
    {"msg_type": "binary", "payload": {"data": base64.b64encode(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{\"a\":[]}").decode()}},
    {"msg_type": "binary", "payload": {"data": base64.b64encode(b"HTTP/1.1 204 No Content\r\n\r\n").decode()}},
    {"msg_type": "text", "payload": {"content": "[1, 2]"}},
    {"msg_type": "response", "payload": {"result": 7}},
]

if len(sys.argv) > 1:  # the child: a recorder that answers each connection's one request
    import socket
    path = sys.argv[1]
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    print("ready", flush=True)
    for reply in REPLIES + REPLIES[:1] * 4:
        conn, _ = server.accept()
        head = b""
        while len(head) < 4:
            head += conn.recv(4 - len(head))
        (length,) = struct.unpack("<I", head)
        body = b""
        while len(body) < length:
            body += conn.recv(length - len(body))
        message = json.loads(body)
        message["payload"]["data"] = base64.b64decode(message["payload"]["data"]).decode()
        print(json.dumps([head.hex(), message]), flush=True)
        data = json.dumps(reply).encode()
        conn.sendall(struct.pack("<I", len(data)) + data)
        conn.close()
    sys.exit(0)

import ipckit

path = "/tmp/diff_wire_%d.sock" % os.getpid()
child = subprocess.Popen([sys.executable, __file__, path], stdout=subprocess.PIPE, text=True)
assert child.stdout.readline().strip() == "ready"
client = ipckit.ApiClient(path, 10000)
out = {}


def attempt(name, fn):
    try:
        out[name] = fn()
    except Exception as e:
        out[name] = "error: " + ("ValueError" if isinstance(e, ValueError) else type(e).__name__)
    out[name + ".sent"] = json.loads(child.stdout.readline())


attempt("get_200", lambda: client.get("/v1/tasks?limit=10"))
attempt("post_204", lambda: client.post("/v1/tasks", {"name": "n", "type": "t"}))
attempt("put_text", lambda: client.put("/v1/x/1", [1, "two"]))
attempt("delete_response", lambda: client.delete("/v1/x/1"))
bridge = ipckit.CliBridge.connect_with_config(ipckit.CliBridgeConfig(path))
task_id = bridge.register_task("job", "cli")
sent = json.loads(child.stdout.readline())
sent[1]["payload"]["data"] = sent[1]["payload"]["data"].replace(task_id, "<task_id>")
out["bridge_register.sent"] = sent
for name, call in (("progress", lambda: bridge.set_progress(30, "m")), ("complete", lambda: bridge.complete({"r": 1})),
                   ("fail", lambda: bridge.fail("boom"))):
    call()
    sent = json.loads(child.stdout.readline())
    sent[1]["payload"]["data"] = sent[1]["payload"]["data"].replace(task_id, "<task_id>")
    out["bridge_%s.sent" % name] = sent
out["child_exit"] = child.wait(30)
os.unlink(path)
report(out)
