#!/usr/bin/env python3
"""Conformance testee over our Python bindings (the `ipckit` 0.2 wheel).

Run it with the Python of a venv that has our wheel installed
(conformance/run_tests.sh builds the wheel with bazel and makes the venv):

    python3 conformance/tester.py --impl py --failure-list conformance/failure_list_py.txt \
        --testee "$VENV/bin/python conformance/py/testee.py"

Everything goes through the public Python API: json_dumps/json_dumps_pretty/
json_loads for the JSON vectors, and IpcChannel, NamedPipe, SharedMemory and
FileChannel for the live roles. The wheel exposes no frame codec, segment
header or FileChannel file functions, so those vector ops are not offered.
Errors are classified by the `error_class` every ipckit exception carries.
"""

import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import api_roles  # noqa: E402
import testee_io  # noqa: E402

import ipckit  # noqa: E402

if not ipckit.__version__.startswith("0.2"):
    sys.exit("conformance/py/testee.py: found ipckit %s at %s, not ours: wrong venv"
             % (ipckit.__version__, ipckit.__file__))


def classify(e):
    cls = getattr(e, "error_class", None)
    if isinstance(cls, str):
        return cls
    # Argument errors raised by Python itself (TypeError, UnicodeError, ...).
    return "invalid_argument" if isinstance(e, (ValueError, TypeError)) else "unclassified"


# ------------------------------------------------------------- vector ops

def json_dumps(inp):
    return {"text": ipckit.json_dumps(testee_io.dumps_input(ipckit.json_loads, inp))}


def json_dumps_pretty(inp):
    return {"text": ipckit.json_dumps_pretty(testee_io.dumps_input(ipckit.json_loads, inp))}


def json_loads(inp):
    # json_loads takes UTF-8 bytes too, which keeps ill-formed input intact.
    text = inp["text"] if "text" in inp else bytes.fromhex(inp["text_hex"])
    return {"canonical": ipckit.json_dumps(ipckit.json_loads(text))}


def api_request_encode(inp):
    from ipckit._http_message import to_request_bytes
    from ipckit._socket_message import encode_binary
    body = None if inp["body_json"] is None else ipckit.json_loads(inp["body_json"])
    return {"hex": encode_binary(to_request_bytes(inp["method"], inp["path"], body)).hex()}


def api_message_decode(inp):
    from ipckit._socket_message import binary_data, parse_frame
    msg_type, payload = parse_frame(bytes.fromhex(inp["hex"]))
    if msg_type == "binary":
        return {"msg_type": msg_type, "data_hex": binary_data(payload).hex()}
    return {"msg_type": msg_type, "payload_json": ipckit.json_dumps(payload)}


OPS = {"json_dumps": json_dumps, "json_dumps_pretty": json_dumps_pretty, "json_loads": json_loads,
       "api_request_encode": api_request_encode, "api_message_decode": api_message_decode}


# ------------------------------------------------------------- live roles

def channel_role(req, ready):
    t = req["timeout_ms"] / 1000.0
    if req["role"] == "channel_server":
        ch = ipckit.IpcChannel.create(req["name"])
        ready()
        ch.wait_for_client(timeout=t)
    else:
        ch = ipckit.IpcChannel.connect(req["name"], timeout=t)
        ready()

    def step(s, results):
        if s["do"] == "send":
            return ch.send(bytes.fromhex(s["hex"]), timeout=t)
        if s["do"] == "send_json":
            return ch.send_json(ipckit.json_loads(s["value_json"]), timeout=t)
        if s["do"] == "recv":
            return {"hex": ch.recv(timeout=t).hex()}
        if s["do"] == "recv_json":
            return {"canonical": ipckit.json_dumps(ch.recv_json(timeout=t))}
        raise ValueError("unknown step %r" % s["do"])
    with ch:
        return testee_io.run_steps(req["steps"], step, classify)


def pipe_role(req, ready):
    t = req["timeout_ms"] / 1000.0
    if req["role"] == "pipe_server":
        pipe = ipckit.NamedPipe.create(req["name"])
        ready()
        pipe.wait_for_client(timeout=t)
    else:
        pipe = ipckit.NamedPipe.connect(req["name"], timeout=t)
        ready()

    def step(s, results):
        if s["do"] == "write":
            pipe.write_all(bytes.fromhex(s["hex"]), timeout=t)
            return None
        if s["do"] == "read":
            return {"hex": pipe.read_exact(s["size"], timeout=t).hex()}
        if s["do"] == "read_to_end":
            data = b""
            while True:
                chunk = pipe.read(65536, timeout=t)
                if not chunk:
                    return {"hex": data.hex()}
                data += chunk
        raise ValueError("unknown step %r" % s["do"])
    with pipe:
        return testee_io.run_steps(req["steps"], step, classify)


def shm_role(req, ready):
    if req["role"] == "shm_create":
        shm = ipckit.SharedMemory.create(req["name"], req["size"])
    else:
        shm = ipckit.SharedMemory.open(req["name"], timeout=req["timeout_ms"] / 1000.0)
    ready()

    def step(s, results):
        if s["do"] == "size":
            return {"size": shm.size}
        if s["do"] == "write":
            return shm.write(s["offset"], bytes.fromhex(s["hex"]))
        if s["do"] == "read":
            return {"hex": shm.read(s["offset"], s["size"]).hex()}
        raise ValueError("unknown step %r" % s["do"])
    try:
        return testee_io.run_steps(req["steps"], step, classify)
    finally:
        shm.close()
        del shm  # the creator's object removes the name when it goes


def message_result(m):
    r = {k: m[k] for k in ("id", "timestamp", "type", "method", "reply_to", "error") if k in m}
    r["payload_json"] = ipckit.json_dumps(m["payload"])
    return r


def response_result(m):
    r = {"payload_json": ipckit.json_dumps(m.get("payload"))}
    if m.get("error") is not None:
        r["error"] = m["error"]
    return r


def file_role(req, ready):
    t = req["timeout_ms"] / 1000.0
    side = ipckit.FileChannel.backend if req["role"] == "file_backend" else ipckit.FileChannel.frontend
    ch = side(req["dir"])
    ready()
    requests = []  # ids of the requests received, in order
    sent = {}      # step index -> id of the request it sent

    def step(s, results):
        kind = s["do"]
        if kind == "send_request":
            sent[len(results)] = ch.send_request(s["method"], ipckit.json_loads(s["payload_json"]), timeout=t)
            return None
        if kind == "send_response":
            ch.send_response(requests[s["request"]], ipckit.json_loads(s["payload_json"]), timeout=t)
        elif kind == "send_error":
            ch.send_error(requests[s["request"]], s["error"], timeout=t)
        elif kind == "send_event":
            ch.send_event(s["name"], ipckit.json_loads(s["payload_json"]), timeout=t,
                          timestamp_ms=s.get("timestamp_ms"))
        elif kind == "recv":
            got, deadline = [], time.monotonic() + t
            while len(got) < s["count"]:
                m = ch.recv_one(timeout=max(0.0, deadline - time.monotonic()))
                if m is None:
                    raise ipckit.IpcTimeoutError("received %d of %d messages" % (len(got), s["count"]))
                got.append(message_result(m))
                if m["type"] == "request":
                    requests.append(m["id"])
            return {"messages": got}
        elif kind == "wait_response":
            return {"response": response_result(ch.wait_response(sent[s["request_step"]], timeout=t))}
        else:
            raise ValueError("unknown step %r" % kind)
        return None
    with ch:
        return testee_io.run_steps(req["steps"], step, classify)


# Shared-memory messaging (spec/shm_messaging.md): the configurations every
# implementation uses for these roles (conformance/protocol.md).
SHM_MSG_CONFIG = dict(max_payload=65536, max_subscribers=2, subscriber_buffer=16, history=2,
                      max_held=2)


def die_now():
    """Ends this process at once, as SIGKILL would: nothing is closed."""
    os.kill(os.getpid(), 9)


def shm_msg_role(req, ready):
    timeout = req["timeout_ms"] / 1000.0
    cls = ipckit.ShmPublisher if req["role"] == "shm_msg_publisher" else ipckit.ShmSubscriber
    endpoint = cls.create(req["name"], timeout=timeout, **SHM_MSG_CONFIG)
    ready()
    loans = []

    def step(s, results):
        if s["do"] == "send":
            return endpoint.send_copy(bytes.fromhex(s["hex"]), timeout=timeout)
        if s["do"] == "loan":
            loan = endpoint.loan(len(s["hex"]) // 2)
            memoryview(loan)[:] = bytes.fromhex(s["hex"])
            loans.append(loan)
            return None
        if s["do"] == "recv":
            sample = endpoint.receive(timeout=timeout)
            result = {"hex": sample.bytes().hex(), "sequence": sample.sequence}
            if s.get("hold"):
                loans.append(sample)
            else:
                sample.release()
            return result
        if s["do"] == "die":
            die_now()
        raise ValueError("unknown step %r" % s["do"])
    try:
        return testee_io.run_steps(req["steps"], step, classify)
    finally:
        for held in loans:
            (held.drop if isinstance(held, ipckit.ShmLoan) else held.release)()
        endpoint.close()


def shm_event_role(req, ready):
    """An event service with ShmNotifier / ShmListener's defaults (8 listeners, 64 queued)."""
    timeout = req["timeout_ms"] / 1000.0
    cls = ipckit.ShmNotifier if req["role"] == "shm_notifier" else ipckit.ShmListener
    endpoint = cls.create(req["name"], timeout=timeout)
    ready()

    def step(s, results):
        if s["do"] == "notify":
            return endpoint.notify(int(s["event_id"]))
        if s["do"] == "wait_event":
            return {"event_id": str(endpoint.wait(timeout=timeout))}
        if s["do"] == "die":
            die_now()
        raise ValueError("unknown step %r" % s["do"])
    with endpoint:
        return testee_io.run_steps(req["steps"], step, classify)


def shm_rpc_role(req, ready):
    timeout = req["timeout_ms"] / 1000.0
    cls = ipckit.ShmServer if req["role"] == "shm_rpc_server" else ipckit.ShmClient
    endpoint = cls.create(req["name"], max_clients=2, max_servers=2, max_request=65536,
                          max_response=65536, max_in_flight=8, timeout=timeout)
    ready()
    ids, requests = {}, []

    def step(s, results):
        if s["do"] == "send_request":
            ids[len(results)] = endpoint.send(bytes.fromhex(s["hex"]), timeout=timeout)
            return None
        if s["do"] == "wait_response":
            return {"hex": endpoint.receive(ids[s["request_step"]], timeout=timeout).hex()}
        if s["do"] == "recv_request":
            requests.append(endpoint.receive(timeout=timeout))
            return {"hex": requests[-1].data.hex()}
        if s["do"] == "respond":
            return endpoint.respond(requests[s["request"]], bytes.fromhex(s["hex"]), timeout=timeout)
        if s["do"] == "die":
            die_now()
        raise ValueError("unknown step %r" % s["do"])
    with endpoint:
        return testee_io.run_steps(req["steps"], step, classify)


ROLES = {"channel_server": channel_role, "channel_client": channel_role,
         "pipe_server": pipe_role, "pipe_client": pipe_role,
         "shm_create": shm_role, "shm_open": shm_role,
         "file_backend": file_role, "file_frontend": file_role,
         "shm_msg_publisher": shm_msg_role, "shm_msg_subscriber": shm_msg_role,
         "shm_notifier": shm_event_role, "shm_listener": shm_event_role,
         "shm_rpc_server": shm_rpc_role, "shm_rpc_client": shm_rpc_role}
ROLES.update(api_roles.roles(ipckit, classify))

if __name__ == "__main__":
    testee_io.serve(
        hello={"impl": "py", "impl_version": ipckit.__version__, "format_version": 1, "json_objects": "map"},
        ops=OPS, roles=ROLES, error_class=classify)
