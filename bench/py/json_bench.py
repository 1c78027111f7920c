"""JSON encode/decode speed: ipckit.json_dumps/json_loads beside the stdlib
json module, orjson, ujson and msgspec, on three payloads.

    python json_bench.py --rounds 30 --target-ms 2

Payloads: a small dict (the README's example, ~100 B), a ~10 KB nested
object (a page of user records) and a ~1 MB array of records. Each sample is
one batch of calls divided by its length, timed in the thread's CPU time
(single calls of ~1 us are below the clock's resolution); libraries take turns
batch by batch, so that load on the shared machine hits all alike. The goal
ratios (against stdlib json and orjson) are printed at the end. Output types differ by library (str for json,
ipckit and ujson; bytes for orjson and msgspec): each is timed doing what its
users call. Decoders all get the same compact str.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, Callable

from common import Samples, emit, fmt_us, progress, result

# CPU time of this thread: the calls never block, so this is their cost, and
# the time the shared machine gives to other processes between two readings
# (which wall time would add at random) is left out.
CLOCK = time.thread_time_ns

SUITE_DUMPS = "py_json_dumps"
SUITE_LOADS = "py_json_loads"


def small_dict() -> dict[str, Any]:
    return {
        "name": "test",
        "values": [1, 2, 3],
        "enabled": True,
        "ratio": 0.75,
        "nested": {"key": "user_info", "empty": None},
    }


def nested_object() -> dict[str, Any]:
    """About 10 KB of JSON: a page of user records with nested parts."""
    users = []
    for i in range(36):
        users.append({
            "id": 1000 + i,
            "name": f"User Number {i}",
            "email": f"user{i}@example.com",
            "active": i % 3 != 0,
            "score": round(i * 1.375 + 0.1, 3),
            "tags": ["alpha", "beta", "gamma"][: 1 + i % 3],
            "address": {"street": f"{i} Main Street", "city": "Springfield", "zip": f"{10000 + i}"},
            "history": [{"t": 1700000000 + j * 60, "v": j * 0.5} for j in range(3)],
        })
    return {"page": 1, "per_page": len(users), "total": 240, "users": users,
            "meta": {"generated": "2024-01-01T00:00:00Z", "version": "1.2.3", "note": "unicode: é ü 中"}}


def big_array() -> list[Any]:
    """About 1 MB of JSON: an array of small records."""
    return [{"id": i, "x": i * 0.5, "name": f"item-{i}", "ok": i % 2 == 0} for i in range(19000)]


def encoders() -> dict[str, Callable[[Any], Any]]:
    import ipckit
    import msgspec
    import orjson
    import ujson

    return {
        "ipckit": ipckit.json_dumps,
        "stdlib json": json.dumps,
        "orjson": orjson.dumps,
        "ujson": ujson.dumps,
        "msgspec": msgspec.json.encode,
    }


def decoders() -> dict[str, Callable[[str], Any]]:
    import ipckit
    import msgspec
    import orjson
    import ujson

    return {
        "ipckit": ipckit.json_loads,
        "stdlib json": json.loads,
        "orjson": orjson.loads,
        "ujson": ujson.loads,
        "msgspec": msgspec.json.decode,
    }


def batch_size(fn: Callable[[Any], Any], arg: Any, target_ns: int) -> int:
    """Calls per batch so that one batch takes about target_ns."""
    n = 1
    while True:
        start = CLOCK()
        for _ in range(n):
            fn(arg)
        elapsed = CLOCK() - start
        if elapsed >= target_ns / 4 or n >= 1 << 20:
            return max(1, int(n * target_ns / max(elapsed, 1)))
        n *= 4


def measure(suite: str, payload_name: str, size: int, fns: dict[str, Callable[[Any], Any]],
            arg: Any, rounds: int, target_ns: int) -> dict[str, float]:
    """Emits one result per library; returns their medians (ns per call)."""
    batches = {name: batch_size(fn, arg, target_ns) for name, fn in fns.items()}
    samples = {name: Samples() for name in fns}
    clock = CLOCK
    for _ in range(rounds):
        for name, fn in fns.items():
            n = batches[name]
            start = clock()
            for _ in range(n):
                fn(arg)
            samples[name].add((clock() - start) // n)
    for name, s in samples.items():
        emit(result({"suite": suite, "method": name, "size": size, "payload": payload_name,
                     "calls_per_sample": batches[name]}, s))
        progress(f"  {suite} {payload_name:14} {name:12} median {fmt_us(s.median):>10}  "
                 f"p99 {fmt_us(s.p99):>10}")
    return {name: s.median for name, s in samples.items()}


def print_goal_ratios(medians: dict[tuple[str, str], dict[str, float]]) -> None:
    """Issue 14's goal ratios from this run: ipckit against stdlib json and
    orjson (higher is faster; the goals are loads >= 2.0x stdlib at every size
    and loads and dumps >= 0.8x orjson)."""
    progress("  goal ratios (time of peer / time of ipckit):")
    for (suite, payload), m in medians.items():
        progress(f"  {suite:14} {payload:14} vs stdlib {m['stdlib json'] / m['ipckit']:5.2f}x"
                 f"   vs orjson {m['orjson'] / m['ipckit']:5.2f}x")


def check_round_trips(payloads: dict[str, Any]) -> None:
    """Every library must read back what every other one wrote; a benchmark
    of a wrong answer means nothing."""
    encode, decode = encoders(), decoders()
    for name, value in payloads.items():
        expected = json.loads(json.dumps(value))
        for enc_name, enc in encode.items():
            text = enc(value)
            text = text.decode() if isinstance(text, bytes) else text
            for dec_name, dec in decode.items():
                if dec(text) != expected:
                    raise AssertionError(f"{name}: {dec_name}({enc_name}(...)) differs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="batches per library and payload")
    parser.add_argument("--target-ms", type=float, default=2.0, help="duration of one batch")
    options = parser.parse_args()
    target_ns = int(options.target_ms * 1e6)

    payloads = {"small dict": small_dict(), "10 KB nested": nested_object(),
                "1 MB array": big_array()}
    check_round_trips(payloads)
    medians: dict[tuple[str, str], dict[str, float]] = {}
    for name, value in payloads.items():
        compact = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        size = len(compact.encode())
        # Big payloads: fewer, longer batches (one call is already ~ms).
        rounds = options.rounds if size < 100_000 else max(options.rounds // 3, 5)
        medians[(SUITE_DUMPS, name)] = measure(SUITE_DUMPS, name, size, encoders(), value, rounds,
                                               target_ns)
        medians[(SUITE_LOADS, name)] = measure(SUITE_LOADS, name, size, decoders(), compact, rounds,
                                               target_ns)
    print_goal_ratios(medians)


if __name__ == "__main__":
    main()
