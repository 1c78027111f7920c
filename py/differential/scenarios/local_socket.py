"""LocalSocketListener in a child process, LocalSocketStream here: raw bytes
and send_json/recv_json (0.1's big-endian length) both ways."""
import os
import subprocess
import sys
from _common import report

if len(sys.argv) > 1:  # the child: echo server for one client
    from ipckit.ipckit import LocalSocketListener
    listener = LocalSocketListener.bind(sys.argv[1])
    print("ready", flush=True)
    stream = listener.accept()
    data = stream.read_exact(5)
    stream.write_all(data[::-1])
    obj = stream.recv_json()
    obj["echo"] = True
    stream.send_json(obj)
    sys.exit(0)

from ipckit.ipckit import LocalSocketStream
name = "diff_ls_%d" % os.getpid()
child = subprocess.Popen([sys.executable, __file__, name], stdout=subprocess.PIPE, text=True)
assert child.stdout.readline().strip() == "ready"
stream = LocalSocketStream.connect(name)
stream.write_all(b"hello")
out = {"raw": stream.read_exact(5).decode()}
stream.send_json({"n": [1, 2]})
out["json"] = stream.recv_json()
out["child_exit"] = child.wait(30)
out["socket_path_used"] = os.path.exists("/tmp/%s.sock" % name)
report(out)
