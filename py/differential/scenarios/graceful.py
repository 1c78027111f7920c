"""GracefulIpcChannel and GracefulNamedPipe across two processes: data
flows, then shutdown refuses new operations and drain returns."""
import os
import subprocess
import sys
from _common import report

if len(sys.argv) > 1:  # the child: client side
    import ipckit
    kind, name = sys.argv[1], sys.argv[2]
    if kind == "channel":
        ch = ipckit.GracefulIpcChannel.connect(name)
        ch.send_json({"hi": 1})
        print(ch.recv().decode(), flush=True)
    else:
        pipe = ipckit.GracefulNamedPipe.connect(name)
        pipe.write_all(b"ping")
        print(pipe.read_exact(4).decode(), flush=True)
    sys.exit(0)

import ipckit
out = {}
for kind, cls in (("channel", ipckit.GracefulIpcChannel), ("pipe", ipckit.GracefulNamedPipe)):
    name = "diff_gr_%s_%d" % (kind, os.getpid())
    server = cls.create(name)
    child = subprocess.Popen([sys.executable, __file__, kind, name], stdout=subprocess.PIPE, text=True)
    server.wait_for_client()
    if kind == "channel":
        got = server.recv_json()
        server.send(b"pong")
    else:
        got = server.read_exact(4).decode()
        server.write_all(b"pong")
    reply = child.stdout.readline().strip()
    child.wait(30)
    state = [server.is_server, server.is_shutdown]
    server.shutdown()
    try:
        server.send(b"x") if kind == "channel" else server.write(b"x")
        after = None
    except Exception as e:
        after = isinstance(e, ConnectionError)
    server.drain()
    server.shutdown_timeout(100)
    # Apart: the exception class is the sockets engineer's (issue 10), the rest is ours.
    out[kind + "_after_shutdown_is_connection_error"] = after
    out[kind] = {"got": got, "reply": reply, "state": state,
                 "is_shutdown": server.is_shutdown, "name": server.name.replace(str(os.getpid()), "<pid>")}
report(out)
