#!/usr/bin/env python3
"""The ipckit conformance tester: one program that checks any implementation.

It talks to a *testee* (a thin program over one implementation) with the
protocol in conformance/protocol.md: u32 little-endian length + UTF-8 JSON on
the testee's stdin and stdout.

  python3 conformance/tester.py --testee "bazel-bin/conformance/cc/testee" --impl cc
  python3 conformance/tester.py --matrix cc=CMD py=CMD js=CMD ipckit01=CMD
  python3 conformance/tester.py --matrix cc=CMD --only 'live/channel_close/*' --repeat 100

Vector mode runs every case of conformance/vectors/**/*.json against one
testee. Matrix mode runs the live scenarios (two testee processes talking
through a real channel, pipe, segment or directory) for every ordered pair
(producer, consumer) of the named implementations. Both end with one line
"<word>: N passed, N failed" and exit non-zero if anything failed. A failed
live cell reports both sides: how far the schedule got, each side's final
answer and the tail of its stderr.

Python 3 standard library only; no dependency on any ipckit package.
"""

import argparse
import fnmatch
import glob
import json
import os
import secrets
import select
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

PROTOCOL_VERSION = 1
FORMAT_VERSION = 1
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VECTORS = os.path.join(HERE, "vectors")
MAX_MESSAGE = 64 << 20       # a longer length prefix means a broken testee
CASE_TIMEOUT = 10.0          # seconds for one vector case
HELLO_TIMEOUT = 30.0         # first answer may include a slow interpreter start
LIVE_TIMEOUT_MS = 5000       # every blocking call inside a live role
LIVE_SLACK = 5.0             # extra seconds the tester waits beyond that


class TesteeError(Exception):
    """The testee hung, crashed, or broke the protocol."""


# --------------------------------------------------------------------------
# One testee process.


class Testee:
    def __init__(self, impl, command, log_dir):
        self.impl = impl
        self.command = command
        self.log_path = os.path.join(log_dir, "%s-%s.stderr" % (impl, secrets.token_hex(3)))
        self.proc = None
        self.info = None
        self.buf = b""
        self.starts = 0

    # -- lifecycle

    def start(self):
        self.kill()
        self.starts += 1
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                shlex.split(self.command), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=log, start_new_session=True)
        except OSError as e:
            raise TesteeError("cannot start %r: %s" % (self.command, e))
        finally:
            log.close()
        self.buf = b""
        answer = self.request({"op": "hello", "protocol_version": PROTOCOL_VERSION}, HELLO_TIMEOUT)
        problems = check_hello(answer)
        if problems:
            self.kill()
            raise TesteeError("bad hello answer %s: %s" % (short(answer), "; ".join(problems)))
        self.info = answer

    def ensure(self):
        if self.proc is None or self.proc.poll() is not None:
            self.start()

    def kill(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        self.proc = None

    def close(self):
        """Ends the testee politely ({"op":"bye"}), then for sure."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.send({"op": "bye"})
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (TesteeError, OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def stderr_tail(self, lines=8):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip("\n").split("\n")[-lines:])

    # -- messages

    def send(self, obj):
        data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            self.proc.stdin.write(struct.pack("<I", len(data)) + data)
            self.proc.stdin.flush()
        except (OSError, ValueError) as e:
            raise TesteeError("writing to the testee failed: %s" % e)

    def _fill(self, n, deadline):
        fd = self.proc.stdout.fileno()
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TesteeError("no answer within the time limit (testee hung)")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, max(65536, n - len(self.buf)))
            if not chunk:
                code = self.proc.wait()
                raise TesteeError("testee exited (status %s) before answering" % code)
            self.buf += chunk

    def read(self, timeout):
        deadline = time.monotonic() + timeout
        self._fill(4, deadline)
        (length,) = struct.unpack("<I", self.buf[:4])
        if length > MAX_MESSAGE:
            raise TesteeError("answer length %d exceeds %d" % (length, MAX_MESSAGE))
        self._fill(4 + length, deadline)
        data, self.buf = self.buf[4:4 + length], self.buf[4 + length:]
        try:
            answer = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise TesteeError("answer is not UTF-8 JSON: %s" % e)
        if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
            raise TesteeError("answer %s is not an object with a boolean 'ok'" % short(answer))
        if not answer["ok"] and not isinstance(answer.get("error"), str):
            raise TesteeError("failed answer %s has no 'error' class" % short(answer))
        return answer

    def request(self, obj, timeout):
        self.send(obj)
        return self.read(timeout)


def check_hello(a):
    problems = []
    if not a.get("ok"):
        return ["hello refused: %s" % a.get("message", a.get("error"))]
    for key, kind in (("impl", str), ("impl_version", str), ("format_version", int), ("ops", list)):
        if not isinstance(a.get(key), kind):
            problems.append("field %r missing or not %s" % (key, kind.__name__))
    if a.get("format_version") not in (None, FORMAT_VERSION) and isinstance(a.get("format_version"), int):
        problems.append("format_version %s; this tester knows %d" % (a["format_version"], FORMAT_VERSION))
    if not isinstance(a.get("roles", []), list):
        problems.append("'roles' is not a list")
    if a.get("json_objects", "ordered") not in ("ordered", "map"):
        problems.append("'json_objects' must be 'ordered' or 'map'")
    return problems


def short(obj, limit=400):
    text = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, sort_keys=False)
    return text if len(text) <= limit else text[:limit] + "...(%d chars)" % len(text)


# --------------------------------------------------------------------------
# Failure lists and the tally.


def read_failure_list(path):
    """{name: reason} from a file of 'name  # reason' lines."""
    entries = {}
    if not path:
        return entries
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            body, _, reason = line.partition("#")
            body = body.strip()
            if not body:
                continue
            if " " in body or "\t" in body:
                raise SystemExit("%s:%d: one case name per line, then '# reason'" % (path, number))
            if not reason.strip():
                raise SystemExit("%s:%d: %s has no '# reason'" % (path, number, body))
            entries[body] = reason.strip()
    return entries


class Tally:
    def __init__(self, listed, strict):
        self.listed = listed          # {name: reason}
        self.strict = strict          # count recommended failures
        self.used = set()
        self.passed = self.failed = self.xfail = self.warn = 0
        self.state = {}               # name -> pass | fail | listed | warn

    def record(self, name, ok, detail, level="required"):
        listed = name in self.listed
        if listed:
            self.used.add(name)
        if ok and not listed:
            self.passed += 1
            self.state[name] = "pass"
        elif ok:
            self.failed += 1
            self.state[name] = "fail"
            print("FAIL %s: unexpected pass: remove it from the failure list (%s)"
                  % (name, self.listed[name]))
        elif listed:
            self.xfail += 1
            self.state[name] = "listed"
            # The first line only: a live cell's report of both sides is for failures.
            print("XFAIL %s: %s  [listed: %s]" % (name, detail.split("\n")[0], self.listed[name]))
        elif level == "recommended" and not self.strict:
            self.warn += 1
            self.state[name] = "warn"
            print("WARN %s (recommended): %s" % (name, detail))
        else:
            self.failed += 1
            self.state[name] = "fail"
            print("FAIL %s: %s" % (name, detail))

    def fail_stale(self, relevant):
        """Listed names that were never run: the list must stay true."""
        for name in sorted(self.listed):
            if name not in self.used and relevant(name):
                self.failed += 1
                print("FAIL %s: in the failure list, but no such case was run: remove it" % name)


# --------------------------------------------------------------------------
# Vector mode.


def load_vectors(vector_dir):
    files = sorted(glob.glob(os.path.join(vector_dir, "**", "*.json"), recursive=True))
    cases, names, problems = [], set(), []
    for path in files:
        rel = os.path.relpath(path, vector_dir)
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            problems.append("%s: unreadable vector file: %s" % (rel, e))
            continue
        if doc.get("format") != "ipckit-vectors" or doc.get("format_version") != 1:
            problems.append("%s: not an ipckit-vectors format 1 file" % rel)
            continue
        file_cases = doc.get("cases")
        if not isinstance(file_cases, list) or not file_cases:
            problems.append("%s: has no cases" % rel)
            continue
        for case in file_cases:
            name = case.get("name")
            if not isinstance(name, str) or name in names:
                problems.append("%s: missing or duplicate case name %r" % (rel, name))
                continue
            if case.get("level") not in ("required", "recommended"):
                problems.append("%s: case %s has level %r" % (rel, name, case.get("level")))
                continue
            if not isinstance(case.get("input"), dict) or not isinstance(case.get("expect"), dict):
                problems.append("%s: case %s lacks an input or expect object" % (rel, name))
                continue
            names.add(name)
            cases.append(case)
    return files, cases, problems


def expected_output(case, info):
    """What the testee must answer, as an output object or {"error": class}."""
    expect = dict(case["expect"])
    if case["op"] == "json_loads" and "canonical" in expect:
        # spec/json.md: implementations whose objects are maps compare with
        # canonical_map where a case gives one.
        if info.get("json_objects") == "map" and "canonical_map" in expect:
            expect["canonical"] = expect["canonical_map"]
        expect.pop("canonical_map", None)
    return expect


def same(a, b):
    """Equality that also tells 1 from 1.0 and true from 1 (Python's == does not)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def actual_output(answer):
    if answer["ok"]:
        out = answer.get("output")
        return out if isinstance(out, dict) else {"protocol_error": "ok answer without an output object"}
    return {"error": answer["error"]}


def describe_mismatch(expected, actual, answer):
    text = "expected %s, got %s" % (short(expected, 300), short(actual, 300))
    if not answer.get("ok") and answer.get("message"):
        text += " (%s)" % short(answer["message"], 200)
    return text


def run_vectors(args):
    impl = args.impl or "testee"
    listed = read_failure_list(args.failure_list)
    tally = Tally(listed, args.strict)
    files, cases, problems = load_vectors(args.vectors)
    for p in problems:
        tally.failed += 1
        print("FAIL vectors: %s" % p)
    testee = Testee(impl, args.testee, args.log_dir)
    skipped = {}
    try:
        try:
            testee.start()
        except TesteeError as e:
            print("FAIL %s: the testee did not start: %s" % (impl, e))
            print(testee.stderr_tail())
            print("%s: %d passed, %d failed" % (impl, 0, tally.failed + 1))
            return 1
        info = testee.info
        print("%s: testee %s %s, format %s, %d ops: %s" % (
            impl, info["impl"], info["impl_version"], info["format_version"],
            len(info["ops"]), " ".join(info["ops"])))
        for case in cases:
            name, op = case["name"], case["op"]
            if op not in info["ops"]:
                skipped[op] = skipped.get(op, 0) + 1
                continue
            expected = expected_output(case, info)
            try:
                testee.ensure()
                answer = testee.request({"op": op, "input": case["input"]}, CASE_TIMEOUT)
            except TesteeError as e:
                tail = testee.stderr_tail(3)
                testee.kill()  # restarted for the next case
                tally.record(name, False, "testee failure: %s%s" % (e, ("; stderr: " + tail) if tail else ""),
                             case["level"])
                continue
            actual = actual_output(answer)
            ok = same(actual, expected)
            tally.record(name, ok, "" if ok else describe_mismatch(expected, actual, answer), case["level"])
    finally:
        testee.close()
    tally.fail_stale(lambda n: not n.startswith("live/"))
    ran = tally.passed + tally.failed + tally.xfail + tally.warn
    if tally.passed + tally.xfail + tally.warn == 0:
        tally.failed += 1
        print("FAIL %s: no vector case was run (%d files in %s)" % (impl, len(files), args.vectors))
    extra = []
    if tally.xfail:
        extra.append("%d expected failures (listed)" % tally.xfail)
    if tally.warn:
        extra.append("%d recommended cases failed (warnings)" % tally.warn)
    if skipped:
        extra.append("%d skipped, ops not supported: %s" % (
            sum(skipped.values()), ", ".join("%s (%d)" % kv for kv in sorted(skipped.items()))))
    if testee.starts > 1:
        extra.append("testee restarted %d times" % (testee.starts - 1))
    print("%s: %d cases in %d files%s" % (impl, ran, len(files), "; " + "; ".join(extra) if extra else ""))
    print("%s: %d passed, %d failed" % (impl, tally.passed, tally.failed))
    return 0 if tally.failed == 0 else 1


# --------------------------------------------------------------------------
# Live scenarios. Each names a producer and a consumer role, the steps each
# side runs, and what each side must report (protocol.md, "Live roles").

ANY_STR = object()   # matches any non-empty string
ANY_INT = object()   # matches any non-negative integer


def match(expected, actual, path="$"):
    """None if `actual` matches `expected` exactly (with ANY_* wildcards), else where not."""
    if expected is ANY_STR:
        return None if isinstance(actual, str) and actual else "%s: expected a non-empty string, got %s" % (
            path, short(actual, 120))
    if expected is ANY_INT:
        return None if isinstance(actual, int) and not isinstance(actual, bool) and actual >= 0 else (
            "%s: expected an integer, got %s" % (path, short(actual, 120)))
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return "%s: expected an object, got %s" % (path, short(actual, 200))
        if set(expected) != set(actual):
            return "%s: expected fields %s, got %s (%s)" % (
                path, sorted(expected), sorted(actual), short(actual, 200))
        for key in expected:
            where = match(expected[key], actual[key], "%s.%s" % (path, key))
            if where:
                return where
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return "%s: expected a list, got %s" % (path, short(actual, 200))
        for i, (e, a) in enumerate(zip(expected, actual)):
            where = match(e, a, "%s[%d]" % (path, i))
            if where:
                return where
        if len(expected) != len(actual):
            return "%s: expected %d items, got %d (%s)" % (path, len(expected), len(actual), short(actual, 300))
        return None
    if type(expected) != type(actual) or expected != actual:
        return "%s: expected %s, got %s" % (path, short(expected, 200), short(actual, 200))
    return None


def compact(value):
    """spec/json.md compact text for the plain values the scenarios use."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def pattern(size, seed):
    return bytes((i * 131 + seed) % 251 for i in range(size))


def hexof(data):
    return data.hex()


# Orders of events between the tester and the two sides: "start" sends the
# live request and reads the ready ack, "waiting" reads the note an "await"
# step sends, "continue" lets that side go on, "pause" sleeps 5 ms (so what
# follows gets a later timestamp), "final" reads its result, "dies" waits for
# that side to end itself without answering (a "die" step, as if SIGKILLed)
# and reaps it: only the other side's results are then checked.
PLAIN = ("start P", "start C", "final C", "final P")
PRODUCER_PAUSES = ("start P", "waiting P", "start C", "final C", "continue P", "final P")


class Scenario:
    def __init__(self, name, producer, consumer, build, describe, schedule=PLAIN,
                 producer_cannot=None):
        self.name = name
        self.producer = producer   # role name
        self.consumer = consumer
        # build() -> (producer [(step, expected result)], consumer [...],
        #             precondition or None): the precondition is checked
        #             after the run, and an unmet one fails the cell.
        self.build = build
        self.describe = describe
        self.schedule = schedule
        # {impl: why}: producers that cannot drive this scenario
        # deterministically; their cells are not applicable, not retried.
        self.producer_cannot = producer_cannot or {}


def steps_and_expect(pairs):
    return [s for s, _ in pairs], [e for _, e in pairs]


def build_channel_bytes():
    c_big = pattern(262144, 7)          # larger than a socket buffer: partial writes
    s_big = pattern(100003, 11)
    client = [
        ({"do": "send", "hex": hexof(b"hello")}, None),
        ({"do": "send", "hex": ""}, None),
        ({"do": "send", "hex": hexof(bytes(range(256)))}, None),
        ({"do": "send", "hex": hexof(c_big)}, None),
        ({"do": "recv"}, {"hex": hexof(b"world")}),
        ({"do": "recv"}, {"hex": "00ff00"}),
        ({"do": "recv"}, {"hex": hexof(s_big)}),
    ]
    server = [
        ({"do": "recv"}, {"hex": hexof(b"hello")}),
        ({"do": "recv"}, {"hex": ""}),
        ({"do": "recv"}, {"hex": hexof(bytes(range(256)))}),
        ({"do": "recv"}, {"hex": hexof(c_big)}),
        ({"do": "send", "hex": hexof(b"world")}, None),
        ({"do": "send", "hex": "00ff00"}, None),
        ({"do": "send", "hex": hexof(s_big)}, None),
    ]
    return server, client, None


# Keys in sorted order: ipckit 0.1 (serde_json without preserve_order) sorts
# them, which the json vectors cover; here the point is the wire, not order.
JSON_A = {"msg": "h\u00e9llo \u2713 \"q\" \\ /\n\t\u0001", "n": [1, -2, 2.5, None, True, False, 0],
          "nested": {"a": [], "b": {}, "c": [[{}]]}, "type": "greeting"}
JSON_B = {"ok": True, "reply": "\u4f60\u597d \U0001F600", "values": [-9007199254740991, 0.5, "x"]}
JSON_C_TEXT = ' {"k" : [ 1 , 2 ] ,\n "s":"\\u00e9"} '


def build_channel_json():
    a, b = compact(JSON_A), compact(JSON_B)
    client = [
        ({"do": "send_json", "value_json": a}, None),
        ({"do": "send_json", "value_json": a}, None),
        ({"do": "recv_json"}, {"canonical": b}),
        ({"do": "recv"}, {"hex": hexof(b.encode("utf-8"))}),
        ({"do": "recv_json"}, {"canonical": compact({"k": [1, 2], "s": "\u00e9"})}),
    ]
    server = [
        ({"do": "recv_json"}, {"canonical": a}),
        # send_json puts exactly the compact text in the frame.
        ({"do": "recv"}, {"hex": hexof(a.encode("utf-8"))}),
        ({"do": "send_json", "value_json": b}, None),
        ({"do": "send_json", "value_json": b}, None),
        # Any JSON text in a frame is a JSON message for recv_json.
        ({"do": "send", "hex": hexof(JSON_C_TEXT.encode("utf-8"))}, None),
    ]
    return server, client, None


def build_channel_close():
    client = [
        ({"do": "send", "hex": hexof(b"last words")}, None),
    ]
    server = [
        ({"do": "recv"}, {"hex": hexof(b"last words")}),
        # The client closes at a frame boundary once its steps are done.
        ({"do": "recv"}, {"error": "peer_closed"}),
    ]
    return server, client, None


def build_pipe_bytes():
    c_big = pattern(65536, 3)
    s_big = pattern(1000, 5)
    client = [
        ({"do": "write", "hex": hexof(b"ping")}, None),
        ({"do": "write", "hex": hexof(c_big)}, None),
        ({"do": "read", "size": 4}, {"hex": hexof(b"pong")}),
        ({"do": "read", "size": 1000}, {"hex": hexof(s_big)}),
    ]
    server = [
        ({"do": "read", "size": 4}, {"hex": hexof(b"ping")}),
        ({"do": "read", "size": 65536}, {"hex": hexof(c_big)}),
        ({"do": "write", "hex": hexof(b"pong" + s_big)}, None),
        # A byte stream has no frames: the client's close is a plain EOF.
        ({"do": "read_to_end"}, {"hex": ""}),
    ]
    return server, client, None


def build_shm_roundtrip():
    text = b"Shared data here!"
    tail = pattern(96, 9)
    reply = b"opened and written"
    creator = [
        ({"do": "write", "offset": 0, "hex": hexof(text)}, None),
        ({"do": "write", "offset": 4000, "hex": hexof(tail)}, None),
        ({"do": "size"}, {"size": 4096}),
        ({"do": "await"}, None),            # the opener runs now
        ({"do": "read", "offset": 100, "size": len(reply)}, {"hex": hexof(reply)}),
        ({"do": "read", "offset": 0, "size": len(text)}, {"hex": hexof(text)}),
    ]
    opener = [
        ({"do": "size"}, {"size": 4096}),
        ({"do": "read", "offset": 0, "size": len(text)}, {"hex": hexof(text)}),
        ({"do": "read", "offset": 4000, "size": 96}, {"hex": hexof(tail)}),
        ({"do": "read", "offset": 1000, "size": 8}, {"hex": "00" * 8}),
        ({"do": "write", "offset": 100, "hex": hexof(reply)}, None),
        # Offsets are checked against the user size, not the mapping.
        ({"do": "read", "offset": 4090, "size": 7}, {"error": "out_of_range"}),
    ]
    return creator, opener, None


def message(mtype, payload, method=None, reply_to=None, error=None):
    """An expected message result; id and timestamp are checked for type only."""
    m = {"id": ANY_STR, "timestamp": ANY_INT, "type": mtype, "payload_json": compact(payload)}
    if method is not None:
        m["method"] = method
    if reply_to is not None:
        m["reply_to"] = reply_to
    if error is not None:
        m["error"] = error
    return m


def build_file_rpc():
    # Two requests in flight, answered in reverse order: each response must
    # reach the request it answers (by id, which the frontend's API may not
    # even show). Keys in sorted order, as for JSON_A.
    get_params = {"fields": ["name", "age"], "key": "user_info"}
    user = {"age": 30, "name": "Alice \u00e9"}
    frontend = [
        ({"do": "send_request", "method": "getData", "payload_json": compact(get_params)}, None),
        ({"do": "send_request", "method": "explode", "payload_json": compact({"x": 1})}, None),
        ({"do": "wait_response", "request_step": 0}, {"response": {"payload_json": compact(user)}}),
        ({"do": "wait_response", "request_step": 1},
         {"response": {"payload_json": "null", "error": "no such method: explode"}}),
    ]
    backend = [
        ({"do": "recv", "count": 2}, {"messages": [message("request", get_params, method="getData"),
                                                   message("request", {"x": 1}, method="explode")]}),
        ({"do": "send_error", "request": 1, "error": "no such method: explode"}, None),
        # The tester pauses here, so the two responses never share a
        # millisecond (that case is file_same_ms's).
        ({"do": "await"}, None),
        ({"do": "send_response", "request": 0, "payload_json": compact(user)}, None),
    ]
    return backend, frontend, None


EVENT_COUNT = 20


def build_file_events():
    # Sent back to back, so many share a millisecond; all are in the file
    # before the frontend reads, so even a reader that keys on timestamps
    # should get each once.
    backend = [({"do": "send_event", "name": "tick", "payload_json": compact({"i": i})}, None)
               for i in range(EVENT_COUNT)]
    backend.append(({"do": "send_event", "name": "done", "payload_json": compact(None)}, None))
    backend.append(({"do": "await"}, None))
    frontend = [
        ({"do": "recv", "count": EVENT_COUNT + 1},
         {"messages": [message("event", {"i": i}, method="tick") for i in range(EVENT_COUNT)]
          + [message("event", None, method="done")]}),
    ]
    return backend, frontend, None


def build_file_same_ms():
    # The frontend reads between a0/a1 (one millisecond) and a2: a reader
    # must not deliver a0 again, nor lose a2. a0 and a1 carry "timestamp_ms":
    # the producer stamps both with that one millisecond instead of racing
    # its clock for it. C++, Python and JS writers take it; ipckit 0.1 has no
    # such option, so it is not a producer here (its reader is a consumer).
    same_ms = int(time.time() * 1000)
    backend = [
        ({"do": "send_event", "name": "warm_up", "payload_json": "null"}, None),
        ({"do": "send_event", "name": "a", "payload_json": "0", "timestamp_ms": same_ms}, None),
        ({"do": "send_event", "name": "a", "payload_json": "1", "timestamp_ms": same_ms}, None),
        ({"do": "await"}, None),
        ({"do": "send_event", "name": "a", "payload_json": "2"}, None),
    ]
    frontend = [
        ({"do": "recv", "count": 3}, {"messages": [message("event", None, method="warm_up"),
                                                   message("event", 0, method="a"), message("event", 1, method="a")]}),
        ({"do": "await"}, None),
        ({"do": "recv", "count": 1}, {"messages": [message("event", 2, method="a")]}),
    ]

    # Holds for every producer that honours timestamp_ms; checked so a
    # producer that ignores it fails instead of passing vacuously.
    def precondition(prod_results, cons_results):
        try:
            first, second = cons_results[0]["messages"][1:3]
            if first["timestamp"] == second["timestamp"]:
                return None
            return "a0 and a1 were stamped %d and %d ms" % (first["timestamp"], second["timestamp"])
        except (IndexError, KeyError, TypeError, ValueError):
            return None  # the step failed; judge it as it is
    return backend, frontend, precondition


def build_api_tasks():
    """A client (0.1.12's CliBridge and ApiClient, or ours) reports to our ApiServer."""
    client = [
        ({"do": "post_task", "name": "direct", "type": "job"}, {"name": "direct", "status": "running"}),
        ({"do": "bridge", "name": "export", "type": "cli", "progress": 40, "message": "forty",
          "result_json": '{"files":3}'}, {"task_id_prefix": "cli"}),
        ({"do": "get_tasks"}, {"tasks": [["direct", "job", "running", 0, None],
                                         ["export", "cli", "completed", 100, "Completed"]]}),
        ({"do": "get", "path": "/v1/nothing"}, {"body_json": '{"error":"Not Found"}'}),
    ]
    server = [
        ({"do": "await"}, None),
        ({"do": "tasks"}, {"tasks": [["direct", "job", "running", 0, None, "null"],
                                     ["export", "cli", "completed", 100, "Completed", '{"files":3}']]}),
    ]
    return server, client, None


def build_local_socket():
    big = pattern(70000, 11)
    stream = [
        ({"do": "write", "hex": hexof(b"ping")}, None),
        ({"do": "send_json", "value_json": '{"n":[1,2],"s":"x"}'}, None),
        ({"do": "read", "size": 4}, {"hex": hexof(b"pong")}),
        ({"do": "recv_json"}, {"canonical": '{"ok":true}'}),
        ({"do": "read", "size": len(big)}, {"hex": hexof(big)}),
    ]
    listener = [
        ({"do": "read", "size": 4}, {"hex": hexof(b"ping")}),
        ({"do": "recv_json"}, {"canonical": '{"n":[1,2],"s":"x"}'}),
        ({"do": "write", "hex": hexof(b"pong")}, None),
        ({"do": "send_json", "value_json": '{"ok":true}'}, None),
        ({"do": "write", "hex": hexof(big)}, None),
    ]
    return listener, stream, None


def build_shm_pubsub():
    big = pattern(65536, 5)                 # max_payload: one whole slot
    publisher = [
        ({"do": "send", "hex": hexof(b"h1")}, None),
        ({"do": "send", "hex": hexof(b"h2")}, None),
        ({"do": "send", "hex": hexof(b"h3")}, None),
        ({"do": "await"}, None),            # the subscriber joins now: history 2
        ({"do": "send", "hex": hexof(big)}, None),
        ({"do": "send", "hex": ""}, None),
    ]
    subscriber = [
        ({"do": "recv"}, {"hex": hexof(b"h2"), "sequence": 2}),
        ({"do": "recv"}, {"hex": hexof(b"h3"), "sequence": 3}),
        ({"do": "recv"}, {"hex": hexof(big), "sequence": 4}),
        ({"do": "recv"}, {"hex": "", "sequence": 5}),
        ({"do": "recv"}, {"error": "peer_closed"}),   # the publisher closed
    ]
    return publisher, subscriber, None


def build_shm_pubsub_killed():
    publisher = [
        ({"do": "await"}, None),
        ({"do": "send", "hex": hexof(b"before")}, None),
        ({"do": "loan", "hex": hexof(b"half-written")}, None),
        ({"do": "die"}, None),              # killed holding the loan
    ]
    subscriber = [
        ({"do": "recv"}, {"hex": hexof(b"before"), "sequence": 1}),
        ({"do": "recv"}, {"error": "peer_closed"}),
    ]
    return publisher, subscriber, None


def build_shm_events():
    notifier = [
        ({"do": "await"}, None),
        ({"do": "notify", "event_id": "1"}, None),
        ({"do": "notify", "event_id": "18446744073709551615"}, None),
        ({"do": "notify", "event_id": "42"}, None),
    ]
    listener = [
        ({"do": "wait_event"}, {"event_id": "1"}),
        ({"do": "wait_event"}, {"event_id": "18446744073709551615"}),
        ({"do": "wait_event"}, {"event_id": "42"}),
        ({"do": "wait_event"}, {"error": "peer_closed"}),
    ]
    return notifier, listener, None


def build_shm_rpc():
    big = pattern(65536, 13)
    server = [
        ({"do": "recv_request"}, {"hex": hexof(b"q1")}),
        ({"do": "recv_request"}, {"hex": hexof(big)}),
        ({"do": "respond", "request": 1, "hex": hexof(b"r2")}, None),
        ({"do": "respond", "request": 0, "hex": hexof(big)}, None),
    ]
    client = [
        ({"do": "send_request", "hex": hexof(b"q1")}, None),
        ({"do": "send_request", "hex": hexof(big)}, None),
        ({"do": "wait_response", "request_step": 1}, {"hex": hexof(b"r2")}),
        ({"do": "wait_response", "request_step": 0}, {"hex": hexof(big)}),
    ]
    return server, client, None


def build_shm_rpc_server_killed():
    server = [
        ({"do": "recv_request"}, {"hex": hexof(b"work")}),
        ({"do": "die"}, None),              # killed holding the request
    ]
    client = [
        ({"do": "send_request", "hex": hexof(b"work")}, None),
        ({"do": "wait_response", "request_step": 0}, {"error": "peer_closed"}),
    ]
    return server, client, None


# The producer joins, waits, the consumer joins, the producer goes on and
# closes (its final), then the consumer finishes.
PRODUCER_FIRST_CLOSES = ("start P", "waiting P", "start C", "continue P", "final P", "final C")


# Roles whose shared object is a directory: a Windows testee under Wine sees
# the same files as a Linux one. Every other role opens a named OS object
# (a socket or pipe, a segment), which one OS's peer cannot reach on another's.
CROSS_OS_ROLES = {"file_backend", "file_frontend"}


def testee_os(testee):
    """The OS whose objects a testee opens (protocol.md, hello's "os")."""
    return testee.info.get("os", "posix")


SCENARIOS = [
    Scenario("channel_bytes", "channel_server", "channel_client", build_channel_bytes,
             "IpcChannel byte messages both ways (empty, binary, 256 KiB)"),
    Scenario("channel_json", "channel_server", "channel_client", build_channel_json,
             "IpcChannel send_json/recv_json both ways; a frame holds exactly the compact text"),
    Scenario("channel_close", "channel_server", "channel_client", build_channel_close,
             "IpcChannel client closes after a message: the server reads it, then peer_closed"),
    Scenario("pipe_bytes", "pipe_server", "pipe_client", build_pipe_bytes,
             "NamedPipe byte stream both ways, then EOF"),
    Scenario("shm_roundtrip", "shm_create", "shm_open", build_shm_roundtrip,
             "SharedMemory written by its creator, read and written by an opener",
             schedule=PRODUCER_PAUSES),
    Scenario("file_rpc", "file_backend", "file_frontend", build_file_rpc,
             "FileChannel two requests in flight, answered in reverse order (error response first)",
             schedule=("start P", "start C", "waiting P", "pause", "continue P", "final C", "final P")),
    Scenario("file_events", "file_backend", "file_frontend", build_file_events,
             "FileChannel burst of %d events (many in one millisecond), read afterwards" % (EVENT_COUNT + 1),
             schedule=PRODUCER_PAUSES),
    Scenario("file_same_ms", "file_backend", "file_frontend", build_file_same_ms,
             "FileChannel reader reads between two events of one millisecond and a third",
             schedule=("start P", "waiting P", "start C", "waiting C", "continue P", "final P",
                       "continue C", "final C"),
             producer_cannot={"ipckit01": "0.1 cannot stamp a message, so two sends in one "
                              "millisecond would be timing luck"}),
    Scenario("api_tasks", "api_server", "api_client", build_api_tasks,
             "ApiClient and CliBridge post tasks to an ApiServer (0.1.12's socket messages)",
             schedule=PRODUCER_PAUSES),
    Scenario("local_socket", "local_listener", "local_stream", build_local_socket,
             "LocalSocket raw bytes and send_json/recv_json (big-endian length) both ways"),
    Scenario("shm_pubsub", "shm_msg_publisher", "shm_msg_subscriber", build_shm_pubsub,
             "shm_msg publish/subscribe: a late subscriber gets the history, a full slot, an "
             "empty sample, then peer_closed", schedule=PRODUCER_FIRST_CLOSES),
    Scenario("shm_pubsub_killed", "shm_msg_publisher", "shm_msg_subscriber",
             build_shm_pubsub_killed,
             "shm_msg publisher killed holding a half-written loan: its sample before is "
             "delivered, then peer_closed",
             schedule=("start P", "waiting P", "start C", "continue P", "dies P", "final C")),
    Scenario("shm_events", "shm_notifier", "shm_listener", build_shm_events,
             "shm_msg events: three event ids (one 2^64-1), then peer_closed",
             schedule=PRODUCER_FIRST_CLOSES),
    Scenario("shm_rpc", "shm_rpc_server", "shm_rpc_client", build_shm_rpc,
             "shm_msg request/response: two requests in flight, answered in reverse order"),
    Scenario("shm_rpc_server_killed", "shm_rpc_server", "shm_rpc_client",
             build_shm_rpc_server_killed,
             "shm_msg request/response: the server is killed holding the request: peer_closed",
             schedule=("start P", "start C", "dies P", "final C")),
]
class LiveCell:
    """Runs one scenario between a producer and a consumer testee."""

    def __init__(self, scenario, prod, cons, work_dir, serial):
        self.s = scenario
        self.prod = prod
        self.cons = cons
        self.work_dir = work_dir
        self.serial = serial
        uid = "%s_%d" % (secrets.token_hex(4), self.serial)
        self.name = "ipckconf_" + uid             # <= 30 bytes: a portable shm name
        self.dir = os.path.join(self.work_dir, "fc_" + uid)

    def request(self, role, steps):
        req = {"op": "live", "role": role, "script": self.s.name, "steps": steps,
               "timeout_ms": LIVE_TIMEOUT_MS}
        if role.startswith("file_"):
            req["dir"] = self.dir
        else:
            req["name"] = self.name
        if role == "shm_create":
            req["size"] = 4096
        return req

    def cleanup(self):
        for path in ("/tmp/%s.sock" % self.name, "/dev/shm/%s" % self.name,
                     "/dev/shm/ipckit_msg.%s" % self.name, "/dev/shm/ipckit_msg.%s.rq" % self.name,
                     "/dev/shm/ipckit_msg.%s.rs" % self.name):
            try:
                os.unlink(path)
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def run(self):
        """(ok, detail)."""
        ok, detail, unmet = self.run_once()
        if unmet is not None:
            return False, "precondition not met: %s" % unmet
        return ok, detail

    def run_once(self):
        """(ok, detail, unmet precondition or None)."""
        prod_plan, cons_plan, precondition = self.s.build()
        steps = {"P": steps_and_expect(prod_plan)[0], "C": steps_and_expect(cons_plan)[0]}
        expects = {"P": steps_and_expect(prod_plan)[1], "C": steps_and_expect(cons_plan)[1]}
        sides = {"P": (self.prod, self.s.producer, "producer"), "C": (self.cons, self.s.consumer, "consumer")}
        wait = LIVE_TIMEOUT_MS / 1000.0 + LIVE_SLACK
        finals = {}
        done = []   # the schedule's actions completed, for a failure's report
        clean = False
        try:
            for t in (self.prod, self.cons):
                try:
                    t.ensure()
                except TesteeError as e:
                    tail = t.stderr_tail(8).replace("\n", " | ")
                    return False, "%s testee did not start: %s; stderr: %s" % (t.impl, e, tail or "(empty)"), None
            for action in self.s.schedule:
                verb, who = action.split() if " " in action else (action, "P")
                testee, role, label = sides[who]
                stage = "%s %s (%s)" % (label, testee.impl, role)
                try:
                    if verb == "start":
                        ack = testee.request(self.request(role, steps[who]), wait)
                        if not ack["ok"] or not ack.get("ready"):
                            return False, "%s did not get ready: %s%s" % (
                                stage, short(ack, 300), self.both_sides(sides, finals, done)), None
                    elif verb == "waiting":
                        note = testee.read(wait)
                        if not note.get("waiting"):
                            return False, "%s: expected {waiting:true}, got %s%s" % (
                                stage, short(note, 400), self.both_sides(sides, finals, done)), None
                    elif verb == "continue":
                        testee.send({"op": "continue"})
                    elif verb == "pause":
                        time.sleep(0.005)
                    elif verb == "dies":
                        try:
                            note = testee.read(wait)
                        except TesteeError:
                            testee.kill()  # ended (and reaped): started afresh for the next cell
                            finals[who] = None
                        else:
                            return False, "%s: expected it to die, got %s" % (stage, short(note, 400)), None
                    else:
                        finals[who] = testee.read(wait)
                except TesteeError as e:
                    return False, "%s: %s%s" % (stage, e, self.both_sides(sides, finals, done)), None
                done.append(action)
            clean = True
        finally:
            if not clean:  # a side may still be blocked in its role: start afresh
                self.prod.kill()
                self.cons.kill()
            self.cleanup()

        results, problems = {}, []
        for who in ("P", "C"):
            testee, role, label = sides[who]
            final = finals[who]
            if final is None:
                continue  # it died, as the scenario wanted
            if not final["ok"]:
                problems.append("%s %s failed: %s %s" % (label, testee.impl, final["error"], final.get("message", "")))
            elif not isinstance(final.get("output", {}).get("results"), list):
                problems.append("%s %s: final answer has no output.results list" % (label, testee.impl))
            else:
                results[who] = final["output"]["results"]
        if problems:
            return False, "; ".join(problems) + self.both_sides(sides, finals, done), None
        if precondition:
            unmet = precondition(results["P"], results["C"])
            if unmet:
                return False, "", unmet
        for who in results:
            testee, role, label = sides[who]
            expect = expects[who]
            got = results[who]
            for i, (e, r) in enumerate(zip(expect, got)):
                if isinstance(r, dict) and "error" in r:
                    r = {k: v for k, v in r.items() if k != "message"}  # free text
                where = match(e, r, "step %d (%s)" % (i, steps[who][i]["do"]))
                if where:
                    msg = got[i].get("message") if isinstance(got[i], dict) else None
                    problems.append("%s %s %s%s" % (label, testee.impl, where,
                                                    (" [%s]" % short(msg, 160)) if isinstance(msg, str) else ""))
                    break
            else:
                if len(got) != len(expect):
                    problems.append("%s %s: %d step results for %d steps" % (label, testee.impl, len(got), len(expect)))
            for i, r in enumerate(got):
                ids = [m.get("id") for m in r.get("messages", [])] if isinstance(r, dict) else []
                if len(set(ids)) != len(ids):
                    problems.append("%s %s step %d: a message id occurs twice: %s" % (label, testee.impl, i, ids))
        if problems:
            return False, "; ".join(problems) + self.both_sides(sides, finals, done), None
        return True, "", None

    @staticmethod
    def both_sides(sides, finals, done):
        """What a failed cell's report adds: how far the schedule got, each
        side's final answer (its step results, or its error) and the tail of
        each side's stderr, so that one failure explains itself."""
        parts = ["after: %s" % (", ".join(done) or "nothing")]
        for who in ("P", "C"):
            testee, role, label = sides[who]
            if who not in finals:
                answer = "no final answer"
            elif finals[who] is None:
                answer = "died (as scheduled)"
            elif not finals[who].get("ok"):
                answer = "failed: %s %s" % (finals[who].get("error"), short(finals[who].get("message", ""), 300))
            else:
                results = finals[who].get("output", {}).get("results")
                answer = "results: %s" % short(results, 300)
            tail = testee.stderr_tail(5).replace("\n", " | ")
            parts.append("%s %s (%s): %s; stderr: %s" % (label, testee.impl, role, answer, tail or "(empty)"))
        return "\n    " + "\n    ".join(parts)


def run_matrix(args):
    impls = []
    for item in args.matrix:
        name, sep, command = item.partition("=")
        if not sep or not name or not command:
            raise SystemExit("--matrix takes NAME=COMMAND items, got %r" % item)
        impls.append((name, command))
    listed = {}
    reasons_by_impl = {}
    for name, _ in impls:
        path = os.path.join(args.failure_list_dir, "failure_list_%s.txt" % name)
        reasons_by_impl[name] = read_failure_list(path) if os.path.exists(path) else {}
        for entry, reason in reasons_by_impl[name].items():
            if entry.startswith("live/"):
                listed.setdefault(entry, "%s: %s" % (name, reason))
    tally = Tally(listed, args.strict)
    work_dir = tempfile.mkdtemp(prefix="ipckit-conformance-")
    pool = {}
    roles = {}
    for name, command in impls:
        pool[name] = (Testee(name, command, args.log_dir), Testee(name, command, args.log_dir))
        try:
            pool[name][0].start()
            roles[name] = set(pool[name][0].info.get("roles", []))
            print("matrix: %s = %s %s, roles: %s" % (name, pool[name][0].info["impl"],
                  pool[name][0].info["impl_version"], " ".join(sorted(roles[name])) or "(none)"))
        except TesteeError as e:
            roles[name] = None
            print("FAIL matrix: %s testee did not start: %s" % (name, e))
            tally.failed += 1
    names = [n for n, _ in impls]
    states = {}
    serial = 0
    try:
        for s in SCENARIOS:
            for p in names:
                for c in names:
                    cell = "live/%s/%s->%s" % (s.name, p, c)
                    if args.only and not any(fnmatch.fnmatchcase(cell, pat) for pat in args.only):
                        continue
                    if roles[p] is None or roles[c] is None:
                        states[cell] = "fail"
                        continue
                    if s.producer not in roles[p] or s.consumer not in roles[c]:
                        states[cell] = "n/a"
                        continue
                    if testee_os(pool[p][0]) != testee_os(pool[c][0]) and not (
                            {s.producer, s.consumer} <= CROSS_OS_ROLES):
                        states[cell] = "n/a"
                        continue
                    impl = pool[p][0].info["impl"]
                    if impl in s.producer_cannot:
                        states[cell] = "n/a"
                        if args.verbose:
                            print("  %s n/a: %s" % (cell, s.producer_cannot[impl]))
                        continue
                    for _ in range(args.repeat):
                        serial += 1
                        start = time.monotonic()
                        ok, detail = LiveCell(s, pool[p][0], pool[c][1], work_dir, serial).run()
                        if args.verbose:
                            print("  %s %s (%.2fs)" % (cell, "ok" if ok else "FAILED", time.monotonic() - start))
                        tally.record(cell, ok, detail)
                        # A cell is as good as its worst run.
                        if states.get(cell) in (None, "pass"):
                            states[cell] = tally.state[cell]
    finally:
        for a, b in pool.values():
            a.close()
            b.close()
        shutil.rmtree(work_dir, ignore_errors=True)

    present = set(names)

    def relevant(entry):
        if not entry.startswith("live/"):
            return False
        parts = entry.split("/")
        pair = parts[2].split("->") if len(parts) == 3 else []
        if args.only and not any(fnmatch.fnmatchcase(entry, pat) for pat in args.only):
            return False
        return len(pair) == 2 and set(pair) <= present
    tally.fail_stale(relevant)

    print_tables(names, states)
    if tally.passed + tally.xfail == 0:
        tally.failed += 1
        print("FAIL matrix: no live cell was run")
    extra = "; %d listed failures" % tally.xfail if tally.xfail else ""
    na = sum(1 for v in states.values() if v == "n/a")
    print("matrix: %d cells run, %d not applicable%s" % (
        tally.passed + tally.failed + tally.xfail, na, extra))
    print("matrix: %d passed, %d failed" % (tally.passed, tally.failed))
    return 0 if tally.failed == 0 else 1


def print_tables(names, states):
    width = max([len(n) for n in names] + [8]) + 2
    print()
    print("Live matrix: rows = producer (server/creator/backend), columns = consumer "
          "(client/opener/frontend).")
    for s in SCENARIOS:
        print()
        print("%s: %s" % (s.name, s.describe))
        print("".ljust(width) + "".join(n.ljust(width) for n in names))
        for p in names:
            row = p.ljust(width)
            for c in names:
                row += states.get("live/%s/%s->%s" % (s.name, p, c), "-").ljust(width)
            print(row.rstrip())
    print()


# --------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--testee", help="command that starts a testee (split like a shell would)")
    mode.add_argument("--matrix", nargs="+", metavar="NAME=COMMAND",
                      help="run the live scenarios between every ordered pair of these testees")
    parser.add_argument("--impl", help="name of the implementation in --testee mode (for output)")
    parser.add_argument("--failure-list", help="--testee mode: the testee's failure list")
    parser.add_argument("--failure-list-dir", default=HERE,
                        help="--matrix mode: directory of failure_list_<NAME>.txt (default: %(default)s)")
    parser.add_argument("--vectors", default=DEFAULT_VECTORS, help="vector directory (default: %(default)s)")
    parser.add_argument("--strict", action="store_true", help="count failed 'recommended' cases as failures")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every live cell as it runs")
    parser.add_argument("--only", action="append", metavar="PATTERN",
                        help="--matrix mode: run only the cells whose name matches this shell pattern "
                             "(e.g. 'live/channel_close/windows->*'); repeatable")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="--matrix mode: run each selected cell N times (hunting a flaky cell)")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    # The testees' stderr, whose tails failure lines quote.
    args.log_dir = tempfile.mkdtemp(prefix="ipckit-conformance-logs-")
    try:
        return run_vectors(args) if args.testee else run_matrix(args)
    finally:
        shutil.rmtree(args.log_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
