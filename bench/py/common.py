"""Shared pieces of the Python benchmarks: statistics, result lines, names.

    samples = Samples()
    samples.add(time.perf_counter_ns() - start)
    emit({"suite": "py_rtt", "method": "raw os.pipe", "size": 64}, samples)

Every benchmark prints one JSON object per measurement on stdout (report.py
gathers them) and progress on stderr.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import sys
from typing import Any


class Samples:
    """Durations of repeated operations, in nanoseconds."""

    def __init__(self) -> None:
        self.ns: list[int] = []

    def add(self, ns: int) -> None:
        self.ns.append(ns)

    def __len__(self) -> int:
        return len(self.ns)

    def quantile(self, q: float) -> float:
        """The q-quantile by the nearest-rank method (as the C++ side)."""
        if not self.ns:
            return 0.0
        ordered = sorted(self.ns)
        rank = math.ceil(q * len(ordered))
        return float(ordered[min(max(rank - 1, 0), len(ordered) - 1)])

    @property
    def median(self) -> float:
        return self.quantile(0.5)

    @property
    def p99(self) -> float:
        return self.quantile(0.99)


def result(key: dict[str, Any], samples: Samples, bytes_per_sample: int = 0) -> dict[str, Any]:
    """A result record: the key plus iterations, median and p99 (ns)."""
    record = dict(key)
    record.update(iters=len(samples), median_ns=samples.median, p99_ns=samples.p99)
    if bytes_per_sample and samples.median > 0:
        mib = bytes_per_sample / (1024 * 1024)
        record.update(
            bytes_per_sample=bytes_per_sample,
            median_mib_s=mib / (samples.median * 1e-9),
            p99_mib_s=mib / (samples.p99 * 1e-9),
        )
    return record


def emit(record: dict[str, Any]) -> None:
    """Prints one result (or skip) record as a JSON line on stdout."""
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def skip(suite: str, method: str, size: int, reason: str) -> None:
    """Records that a measurement could not be made, and why."""
    emit({"suite": suite, "method": method, "size": size, "skipped": reason})
    progress(f"  {suite} {method} {size} B: skipped: {reason}")


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def unique_name(what: str) -> str:
    """A name no other run uses: pid plus a random component."""
    return f"ipckit-bench-{what}-{os.getpid()}-{secrets.token_hex(6)}"


def fmt_us(ns: float) -> str:
    return f"{ns / 1e3:.1f} us"
