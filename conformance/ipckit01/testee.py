#!/usr/bin/env python3
"""Conformance testee over the original ipckit 0.1 (PyPI `ipckit==0.1.12`).

Run it with the Python of a venv that holds ipckit 0.1 and nothing of ours
(conformance/run_tests.sh makes one):

    python3 conformance/tester.py --impl ipckit01 --failure-list conformance/failure_list_ipckit01.txt \
        --testee "$VENV01/bin/python conformance/ipckit01/testee.py"

It drives 0.1 only through what the two share: JSON text (json_dumps,
json_dumps_pretty, json_loads, also the payload of send_json), IpcChannel
frames and NamedPipe streams on /tmp/{name}.sock (live), and FileChannel
files (live, and file_channel_parse by letting a 0.1 backend read a file).
0.1 has no frame codec, no header-building API, no way to choose a message's
id or timestamp (so no compose/merge) and a header-less SharedMemory, so those
ops and roles are not offered. 0.1 raises plain Python exceptions; classify()
maps them to the spec's classes as a caller of 0.1 would have to.
"""

import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import api_roles  # noqa: E402
import testee_io  # noqa: E402

import ipckit  # noqa: E402

if not ipckit.__version__.startswith("0.1."):
    sys.exit("conformance/ipckit01/testee.py: found ipckit %s at %s, not 0.1.x: wrong venv"
             % (ipckit.__version__, ipckit.__file__))


def classify(e):
    if isinstance(e, TimeoutError):
        return "timeout"
    if isinstance(e, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
        return "peer_closed"
    if isinstance(e, FileNotFoundError):
        return "not_found"
    if isinstance(e, FileExistsError):
        return "in_use"
    if isinstance(e, PermissionError):
        return "permission_denied"
    if isinstance(e, (ValueError, TypeError)):
        return "invalid_argument"
    return "io"


# ------------------------------------------------------------- vector ops

def json_dumps(inp):
    return {"text": ipckit.json_dumps(testee_io.dumps_input(ipckit.json_loads, inp))}


def json_dumps_pretty(inp):
    return {"text": ipckit.json_dumps_pretty(testee_io.dumps_input(ipckit.json_loads, inp))}


def json_loads(inp):
    text = inp["text"] if "text" in inp else bytes.fromhex(inp["text_hex"]).decode("utf-8", "surrogateescape")
    return {"canonical": ipckit.json_dumps(ipckit.json_loads(text))}


class Corrupt(Exception):
    pass


def file_channel_parse(inp):
    """A 0.1 backend reads the text as frontend_to_backend.json."""
    data = inp["text"].encode("utf-8") if "text" in inp else bytes.fromhex(inp["text_hex"])
    work = tempfile.mkdtemp(prefix="ipckit01-parse-")
    try:
        with open(os.path.join(work, "frontend_to_backend.json"), "wb") as f:
            f.write(data)
        try:
            messages = ipckit.FileChannel.backend(work).recv()
        except Exception as e:  # 0.1 refusing the file is what the spec calls corrupt
            raise Corrupt("%s: %s" % (type(e).__name__, e))
        return {"messages": [dict(m) for m in messages]}
    finally:
        shutil.rmtree(work, ignore_errors=True)


OPS = {"json_dumps": json_dumps, "json_dumps_pretty": json_dumps_pretty, "json_loads": json_loads,
       "file_channel_parse": file_channel_parse}


def classify_op(e):
    return "corrupt" if isinstance(e, Corrupt) else classify(e)


# ------------------------------------------------------------- live roles
# 0.1 calls block without a timeout; the tester's own timeout covers them.

def channel_role(req, ready):
    if req["role"] == "channel_server":
        ch = ipckit.IpcChannel.create(req["name"])
        ready()
        ch.wait_for_client()
    else:
        ch = ipckit.IpcChannel.connect(req["name"])
        ready()

    def step(s, results):
        if s["do"] == "send":
            return ch.send(bytes.fromhex(s["hex"]))
        if s["do"] == "send_json":
            return ch.send_json(ipckit.json_loads(s["value_json"]))
        if s["do"] == "recv":
            return {"hex": ch.recv().hex()}
        if s["do"] == "recv_json":
            return {"canonical": ipckit.json_dumps(ch.recv_json())}
        raise ValueError("unknown step %r" % s["do"])
    return testee_io.run_steps(req["steps"], step, classify)  # ch is dropped (closed) on return


def pipe_role(req, ready):
    if req["role"] == "pipe_server":
        pipe = ipckit.NamedPipe.create(req["name"])
        ready()
        pipe.wait_for_client()
    else:
        pipe = ipckit.NamedPipe.connect(req["name"])
        ready()

    def step(s, results):
        if s["do"] == "write":
            return pipe.write_all(bytes.fromhex(s["hex"]))
        if s["do"] == "read":
            return {"hex": pipe.read_exact(s["size"]).hex()}
        if s["do"] == "read_to_end":
            data = b""
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    return {"hex": data.hex()}
                data += chunk
        raise ValueError("unknown step %r" % s["do"])
    return testee_io.run_steps(req["steps"], step, classify)


def message_result(m):
    r = {k: m[k] for k in ("id", "timestamp", "type", "method", "reply_to", "error") if m.get(k) is not None}
    r["payload_json"] = ipckit.json_dumps(m.get("payload"))
    return r


def response_result(m):
    r = {"payload_json": ipckit.json_dumps(m.get("payload"))}
    if m.get("error") is not None:
        r["error"] = m["error"]
    return r


def file_role(req, ready):
    backend = req["role"] == "file_backend"
    ch = (ipckit.FileChannel.backend if backend else ipckit.FileChannel.frontend)(req["dir"])
    ready()
    timeout_ms = req["timeout_ms"]
    requests = []  # ids of the requests received, in order
    sent = {}      # step index -> id of the request it sent

    def step(s, results):
        kind = s["do"]
        if kind == "send_request":
            sent[len(results)] = ch.send_request(s["method"], ipckit.json_loads(s["payload_json"]))
            return None
        if kind == "send_response":
            return ch.send_response(requests[s["request"]], ipckit.json_loads(s["payload_json"]))
        if kind == "send_error":
            return ch.send_error(requests[s["request"]], s["error"])
        if kind == "send_event":
            return ch.send_event(s["name"], ipckit.json_loads(s["payload_json"]))
        if kind == "recv":
            got, deadline = [], time.monotonic() + timeout_ms / 1000.0
            while True:
                got += [message_result(m) for m in ch.recv()]
                if len(got) >= s["count"]:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError("received %d of %d messages: %s" % (len(got), s["count"], got))
                time.sleep(0.005)
            requests.extend(m["id"] for m in got if m["type"] == "request")
            return {"messages": got}
        if kind == "wait_response":
            return {"response": response_result(ch.wait_response(sent[s["request_step"]], timeout_ms))}
        raise ValueError("unknown step %r" % kind)
    return testee_io.run_steps(req["steps"], step, classify)


ROLES = {"channel_server": channel_role, "channel_client": channel_role,
         "pipe_server": pipe_role, "pipe_client": pipe_role,
         "file_backend": file_role, "file_frontend": file_role}
ROLES.update(api_roles.roles(ipckit, classify))

if __name__ == "__main__":
    testee_io.serve(
        hello={"impl": "ipckit01", "impl_version": ipckit.__version__, "format_version": 1,
               "json_objects": "map"},
        ops=OPS, roles=ROLES, error_class=classify_op)
