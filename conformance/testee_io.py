"""The testee side of conformance/protocol.md, for testees written in Python.

A testee module provides its hello fields, its vector ops and its live roles,
and calls serve():

    import testee_io
    testee_io.serve(hello={"impl": "py", ...}, ops={"json_dumps": dumps},
                    roles={"channel_server": channel_server}, error_class=classify)

An op is fn(input) -> output dict; raising reports {"ok":false,"error":
error_class(exc)}. A role is fn(request, ready) -> results list: it opens its
object, calls ready(), runs the steps with run_steps(), and closes the object
before it returns, so that a peer waiting for the close sees it before the
tester sees our final answer. Standard library only: it runs in any venv.
"""

import json
import struct
import sys

PROTOCOL_VERSION = 1
_stdin = sys.stdin.buffer
_stdout = sys.stdout.buffer


def _read_exact(n):
    data = b""
    while len(data) < n:
        chunk = _stdin.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_request():
    """The next request, or None at the end of stdin."""
    header = _read_exact(4)
    if header is None:
        return None
    body = _read_exact(struct.unpack("<I", header)[0])
    if body is None:
        return None
    return json.loads(body.decode("utf-8"))


def write_answer(answer):
    data = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    _stdout.write(struct.pack("<I", len(data)) + data)
    _stdout.flush()


def failure(error_class, message):
    return {"ok": False, "error": error_class, "message": message}


def run_steps(steps, do_step, error_class):
    """Results of `steps`, one per step run; a failing step ends the script.

    do_step(step, results_so_far) returns the step's result (None for steps
    that report nothing); "await" is handled here.
    """
    results = []
    for step in steps:
        if step.get("do") == "await":
            write_answer({"ok": True, "waiting": True})
            if read_request() is None:  # {"op": "continue"}
                sys.exit(0)
            results.append(None)
            continue
        try:
            results.append(do_step(step, results))
        except Exception as e:  # every failure is a result the tester judges
            results.append({"error": error_class(e), "message": "%s: %s" % (type(e).__name__, e)})
            break
    return results


def _live(request, roles, error_class):
    role = roles.get(request.get("role"))
    if role is None:
        write_answer(failure("invalid_argument", "unsupported role %r" % request.get("role")))
        return

    def ready():
        write_answer({"ok": True, "ready": True})

    try:
        results = role(request, ready)
    except Exception as e:
        write_answer(failure(error_class(e), "%s: %s" % (type(e).__name__, e)))
        return
    write_answer({"ok": True, "output": {"results": results}})


def serve(hello, ops, roles, error_class):
    """Answers requests until {"op":"bye"} or the end of stdin."""
    hello = dict(hello, ok=True, protocol_version=PROTOCOL_VERSION,
                 ops=sorted(ops) + (["live"] if roles else []), roles=sorted(roles))
    while True:
        request = read_request()
        if request is None or request.get("op") == "bye":
            return
        op = request.get("op")
        if op == "hello":
            write_answer(hello)
        elif op == "live" and roles:
            _live(request, roles, error_class)
        elif op in ops:
            try:
                write_answer({"ok": True, "output": ops[op](request["input"])})
            except Exception as e:
                write_answer(failure(error_class(e), "%s: %s" % (type(e).__name__, e)))
        else:
            write_answer(failure("invalid_argument", "unsupported op %r" % op))


def dumps_input(value_from_json, inp):
    """The value a json_dumps case describes (spec/json.md, Vectors)."""
    if "value_json" in inp:
        return value_from_json(inp["value_json"])
    if "f64_bits" in inp:
        return struct.unpack(">d", bytes.fromhex(inp["f64_bits"]))[0]
    # Ill-formed UTF-8 survives as lone surrogates, which a writer must refuse.
    return bytes.fromhex(inp["string_hex"]).decode("utf-8", "surrogateescape")
