"""The Python backend the JS tests talk to: ipckit.FileChannel.backend(DIR)
from the installed wheel, answering the frontend's requests in one loop.

    python py_backend.py DIR        # prints "ready", then serves until "quit"

Requests it answers (the result is the response's payload):
  add {a, b}            -> {"sum": a + b}
  echo X                -> X
  fail X                -> error response 'failed on purpose: <json X>'
  never                 -> no answer at all (the frontend's timeout)
  ask {method, params, timeout_ms}
                        -> sends a request to the frontend, waits for its
                           response with wait_response and returns
                           {"result": ...} or {"error": ...} or
                           {"timed_out": true, "elapsed_ms": ...}
  emit {name, count}    -> sends `count` events {"i": 0..count-1} back to back
                           (same millisecond), then {"emitted": count}
  events {name}         -> the payloads of the `name` events received so far,
                           with {"ids": n, "unique_ids": n} to check duplicates
  quit                  -> "bye", then exits 0
Events "ping" are answered with the event "pong" carrying the same payload.
"""

import sys
import time

import ipckit


def main(argv):
    channel = ipckit.FileChannel.backend(argv[1])
    received_events = {}  # name -> list of (id, payload)
    print("ready", flush=True)
    while True:
        message = channel.recv_one(timeout=30.0)
        if message is None:
            print("py_backend: no message for 30 s; exiting", file=sys.stderr, flush=True)
            return 2
        kind = message["type"]
        if kind == "event":
            name = message.get("method", "")
            received_events.setdefault(name, []).append((message["id"], message["payload"]))
            if name == "ping":
                channel.send_event("pong", message["payload"])
            continue
        if kind != "request":
            continue
        method = message.get("method", "")
        params = message["payload"]
        rid = message["id"]
        if method == "add":
            channel.send_response(rid, {"sum": params["a"] + params["b"]})
        elif method == "echo":
            channel.send_response(rid, params)
        elif method == "fail":
            channel.send_error(rid, "failed on purpose: " + ipckit.json_dumps(params))
        elif method == "never":
            pass
        elif method == "ask":
            asked = channel.send_request(params["method"], params.get("params"))
            started = time.monotonic()
            try:
                reply = channel.wait_response(asked, params.get("timeout_ms", 10000))
            except ipckit.IpcTimeoutError:
                elapsed_ms = round((time.monotonic() - started) * 1000)
                channel.send_response(rid, {"timed_out": True, "elapsed_ms": elapsed_ms})
                continue
            if "error" in reply:
                channel.send_response(rid, {"error": reply["error"], "reply_to": reply.get("reply_to")})
            else:
                channel.send_response(rid, {"result": reply["payload"], "reply_to": reply.get("reply_to"),
                                            "asked": asked})
        elif method == "emit":
            for i in range(params["count"]):
                channel.send_event(params["name"], {"i": i})
            channel.send_response(rid, {"emitted": params["count"]})
        elif method == "events":
            got = received_events.get(params["name"], [])
            channel.send_response(rid, {
                "payloads": [payload for _, payload in got],
                "ids": len(got),
                "unique_ids": len({mid for mid, _ in got}),
            })
        elif method == "quit":
            channel.send_response(rid, "bye")
            channel.close()
            return 0
        else:
            channel.send_error(rid, "py_backend: unknown method " + method)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
