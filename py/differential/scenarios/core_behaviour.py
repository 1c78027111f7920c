"""What 0.1 programs rely on in the core classes, each across processes where
0.1 would use them: write sends everything, take_* closes this process's end,
connect to nobody fails at once, the exception classes 0.1 code catches, and
FileChannel's files at open and clear()."""
import json
import os
import subprocess
import sys
import tempfile
from _common import report

if len(sys.argv) > 1 and sys.argv[1] == "read_pipe":  # child: read a NamedPipe to the end
    import ipckit
    pipe = ipckit.NamedPipe.connect(sys.argv[2])
    total = 0
    while True:
        chunk = pipe.read(1 << 20)
        if not chunk:
            break
        total += len(chunk)
    print(total, flush=True)
    sys.exit(0)

import ipckit


def caught(fn, *classes):
    """The first of `classes` (builtins 0.1 raised) the error is an instance of."""
    try:
        fn()
        return "no error"
    except Exception as e:
        for cls in classes:
            if isinstance(e, cls):
                return cls.__name__
        return "other: " + type(e).__name__


out = {}
# NamedPipe.write of 10 MiB delivers everything to another process.
name = "diff_np_%d" % os.getpid()
server = ipckit.NamedPipe.create(name)
reader = subprocess.Popen([sys.executable, __file__, "read_pipe", name], stdout=subprocess.PIPE, text=True)
server.wait_for_client()
data = b"x" * (10 << 20)
written = server.write(data)
del server  # closing the server end lets the reader see the end
out["named_pipe_write"] = [written, int(reader.stdout.readline()), reader.wait(60)]

# AnonymousPipe: the child writes to writer_fd; the parent takes (closes) its
# writer end and reads to EOF.
pipe = ipckit.AnonymousPipe()
fd = pipe.writer_fd()
child = subprocess.Popen([sys.executable, "-c", "import os,sys; os.write(int(sys.argv[1]), b'hello'); os._exit(0)",
                          str(fd)], pass_fds=[fd])
pipe.take_writer()
got = b""
while True:
    chunk = pipe.read(1024)
    if not chunk:
        break
    got += chunk
out["take_writer_then_eof"] = [got.decode(), child.wait(30)]

out["connect_nobody"] = [caught(lambda: ipckit.IpcChannel.connect("diff_nobody_%d" % os.getpid()), FileNotFoundError),
                         caught(lambda: ipckit.NamedPipe.connect("diff_nobody_%d" % os.getpid()), FileNotFoundError)]

shm_name = "diff_shm_%d" % os.getpid()
shm = ipckit.SharedMemory.create(shm_name, 64)
out["shm_out_of_range"] = [caught(lambda: shm.read(60, 10), BufferError),
                           caught(lambda: shm.write(62, b"abcd"), BufferError)]
out["negative_size"] = caught(lambda: ipckit.SharedMemory.create(shm_name + "n", -1), OverflowError)
out["bad_name"] = caught(lambda: ipckit.NamedPipe.create("bad/name\0"), OSError)
shm.unlink() if hasattr(shm, "unlink") else None

closed = ipckit.AnonymousPipe()
closed.take_reader()
out["taken_end"] = caught(lambda: closed.read(1), ConnectionError)

# FileChannel: the message files exist at open; clear() empties both.
directory = tempfile.mkdtemp(prefix="diff_fc_")
backend = ipckit.FileChannel.backend(directory)
files = ("backend_to_frontend.json", "frontend_to_backend.json")
out["files_at_open"] = [os.path.exists(os.path.join(directory, f)) for f in files]
frontend = ipckit.FileChannel.frontend(directory)
backend.send_event("e", {"n": 1})
frontend.send_event("f", {"n": 2})
backend.clear()
out["after_clear"] = [json.loads(open(os.path.join(directory, f)).read() or "[]") for f in files]
report(out)
