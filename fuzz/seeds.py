#!/usr/bin/env python3
"""Writes a seed corpus per fuzz harness from conformance/vectors/.

    fuzz/seeds.py OUT_DIR      # OUT_DIR/<harness>/<vector case name>

Each harness's input layout is described at the top of its .cc file; inputs
with several parts join them with fuzz_input.h's separator (two NUL bytes).
The HTTP parser has no vectors, so a few typical bridge requests seed it.
"""
import hashlib
import json
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
VECTORS = ROOT / "conformance" / "vectors"
SEP = b"\0\0"


def cases(area):
    for path in sorted((VECTORS / area).glob("*.json")):
        for case in json.loads(path.read_text())["cases"]:
            yield case


def text_of(inp, field="text"):
    if field in inp:
        return inp[field].encode()
    if field + "_hex" in inp:
        return bytes.fromhex(inp[field + "_hex"])
    return None


def frame_seeds():
    for c in cases("frame"):
        i, e = c["input"], c["expect"]
        if c["op"] == "frame_decode":
            # First byte: the piece size of the harness's piecewise decoding.
            yield c["name"], b"\x00" + bytes.fromhex(i["hex"])
            yield c["name"] + "/pieces", b"\x10" + bytes.fromhex(i["hex"])
        elif "hex" in e:
            yield c["name"], b"\x03" + bytes.fromhex(e["hex"])


def shm_header_seeds():
    for c in cases("shm"):
        i, e = c["input"], c["expect"]
        if c["op"] == "shm_header_parse":
            yield c["name"], int(i["object_size"]).to_bytes(8, "little") + bytes.fromhex(i["hex"])
        elif "hex" in e:
            size = 64 + int(i["user_size"])
            yield c["name"], size.to_bytes(8, "little") + bytes.fromhex(e["hex"])


def channel_texts():
    """(name, text) of every channel file in the vectors."""
    for c in cases("file_channel"):
        i, e = c["input"], c["expect"]
        if c["op"] == "file_channel_parse":
            yield c["name"], text_of(i)
        elif c["op"] == "file_channel_merge":
            if i.get("existing") is not None:
                yield c["name"] + "/existing", i["existing"].encode()
            if "text" in e:
                yield c["name"] + "/result", e["text"].encode()


def channel_file_scan_seeds():
    texts = list(channel_texts())
    for name, text in texts:
        yield name, text + SEP + text
    # Old and new versions of one file, as a writer produces them.
    for c in cases("file_channel"):
        i, e = c["input"], c["expect"]
        if c["op"] == "file_channel_merge" and "text" in e:
            yield c["name"] + "/versions", (i.get("existing") or "").encode() + SEP + e["text"].encode()


def channel_file_append_seeds():
    for c in cases("file_channel"):
        i = c["input"]
        if c["op"] != "file_channel_merge":
            continue
        params = "%d %d %d" % (i["max_messages"], i["min_age_ms"], i["now_ms"])
        existing = (i.get("existing") or "").encode()
        sends = [json.dumps(s, separators=(",", ":")).encode() for s in i["sends"]]
        yield c["name"], SEP.join([params.encode(), existing, existing] + sends)
        yield c["name"] + "/cold_index", SEP.join([params.encode(), b"", existing] + sends)


def json_seeds():
    for c in cases("json"):
        i = c["input"]
        text = text_of(i) if c["op"] == "json_loads" else (i["value_json"].encode() if "value_json" in i else None)
        if text is not None:
            yield c["name"], text


def http_message_seeds():
    yield "get_info", (b"GET /v1/info HTTP/1.1\r\nHost: 127.0.0.1:8765\r\n"
                       b"Origin: http://localhost:3000\r\nConnection: keep-alive\r\n\r\n")
    yield "post_append", (b"POST /v1/frontend_to_backend HTTP/1.1\r\nHost: 127.0.0.1:8765\r\n"
                          b"Content-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}")
    yield "preflight", (b"OPTIONS /v1/frontend_to_backend HTTP/1.1\r\nHost: localhost\r\n"
                        b"Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n")
    yield "splice_get", (b"GET http://127.0.0.1/v1/backend_to_frontend HTTP/1.0\r\nA-IM: ipckit-splice\r\n"
                         b"If-None-Match: \"v1\"\r\n\r\n")


def bridge_handler_seeds():
    """A request (with the harness's token), the file the channel holds, and
    what is appended to it next."""
    auth = b"Authorization: Bearer 0123456789abcdef0123456789abcdef\r\n"
    host = b"Host: 127.0.0.1:8765\r\n"
    messages = [c["input"]["text"].encode() for c in cases("file_channel")
                if isinstance(c.get("input"), dict) and isinstance(c["input"].get("text"), str)][:8]
    file = messages[0] if messages else b"[]\n"
    for name, request in [
        ("info", b"GET /v1/info HTTP/1.1\r\n" + host + auth + b"\r\n"),
        ("info_no_token", b"GET /v1/info HTTP/1.1\r\n" + host + b"\r\n"),
        ("head", b"HEAD /v1/info HTTP/1.1\r\n" + host + auth + b"\r\n"),
        ("preflight", b"OPTIONS /v1/info HTTP/1.1\r\n" + host + b"Origin: http://127.0.0.1:3000\r\n\r\n"),
        ("held", b"GET /v1/files/backend_to_frontend.json HTTP/1.1\r\n" + host + auth
         + b"If-None-Match: \"missing\"\r\nPrefer: wait=5\r\n\r\n"),
        ("append", b"POST /v1/append/frontend_to_backend.json?timeout_ms=5 HTTP/1.1\r\n" + host + auth
         + b"Content-Type: application/json\r\n\r\n" + file),
        ("stream", b"GET /v1/stream/backend_to_frontend.json HTTP/1.1\r\n" + host + auth + b"\r\n"),
    ]:
        yield name, SEP.join([request, file, b""])
    for i, text in enumerate(messages):
        yield "grow_%d" % i, SEP.join([b"GET /v1/info HTTP/1.1\r\n" + host + auth + b"\r\n", text, text])


def splice_seeds():
    for c in cases("bridge"):
        if c["op"] != "bridge_splice_apply":
            continue
        i = c["input"]
        base, body = bytes.fromhex(i["base_hex"]), bytes.fromhex(i["body_hex"])
        numbers = ("%d %d %d" % (i["at"], i["from"], i["to"])).encode()
        new = c["expect"].get("hex")
        yield c["name"], SEP.join([base, bytes.fromhex(new) if new else body, numbers])


HARNESSES = {
    "frame_fuzzer": frame_seeds,
    "shm_header_fuzzer": shm_header_seeds,
    "channel_file_scan_fuzzer": channel_file_scan_seeds,
    "channel_file_append_fuzzer": channel_file_append_seeds,
    "json_fuzzer": json_seeds,
    "http_message_fuzzer": http_message_seeds,
    "splice_fuzzer": splice_seeds,
    "bridge_handler_fuzzer": bridge_handler_seeds,
}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[1])
    for harness, seeds in HARNESSES.items():
        directory = out / harness
        directory.mkdir(parents=True, exist_ok=True)
        count = 0
        for name, data in seeds():
            # Names from the vectors, made file-safe; the hash keeps them unique.
            safe = name.replace("/", "_")[:80] + "-" + hashlib.sha1(data).hexdigest()[:8]
            (directory / safe).write_bytes(data)
            count += 1
        print("%s: %d seeds" % (harness, count))


if __name__ == "__main__":
    main()
