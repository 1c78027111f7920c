"""Channel metrics recorded by hand, with ipckit 0.1's API and exports.

    >>> from ipckit import ChannelMetrics
    >>> m = ChannelMetrics()
    >>> m.record_send(100); m.record_latency_us(250)
    >>> m.messages_sent, m.bytes_sent, m.avg_latency_us
    (1, 100, 250)
    >>> "ipckit_messages_sent_total 1" in m.to_prometheus("ipckit")
    True

meter(channel) wraps a channel so that it records itself (0.1 needs every
call recorded by hand). snapshot() returns a dict, as 0.1.12's does; MetricsSnapshot is the same
record as an object (MetricsSnapshot.of(metrics)). Unlike 0.1.12, whose
sample store holds nothing, latency percentiles are computed from the last
10,000 samples (spec/api_server.md, "Deviations").
"""

import json
import threading
import time
from collections import deque
from typing import Any, Dict, Optional

_MAX_SAMPLES = 10_000

# The snapshot's keys, in 0.1.12's order (its to_json and to_dict order).
_FIELDS = (
    "messages_sent", "messages_received", "bytes_sent", "bytes_received",
    "send_errors", "receive_errors", "queue_depth", "peak_queue_depth",
    "avg_latency_us", "min_latency_us", "max_latency_us",
    "p50_latency_us", "p95_latency_us", "p99_latency_us", "elapsed_secs",
    "send_throughput", "recv_throughput", "send_bandwidth", "recv_bandwidth",
)


class ChannelMetrics:
    """Counters, latency and queue depth of one channel; thread-safe."""

    # Set by reset() (under the lock); declared here for the type checker.
    _messages_sent: int
    _messages_received: int
    _bytes_sent: int
    _bytes_received: int
    _send_errors: int
    _receive_errors: int
    _queue_depth: int
    _peak_queue_depth: int
    _latency_sum: int
    _latency_count: int
    _min: Optional[int]
    _max: int
    _samples: "deque[int]"
    _start: Optional[float]

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()
        with self._lock:
            self._start = None  # the clock starts at the first record, as in 0.1

    def _started(self) -> None:
        if self._start is None:
            self._start = time.monotonic()

    def record_send(self, bytes: int) -> None:  # noqa: A002 (0.1's keyword)
        with self._lock:
            self._started()
            self._messages_sent += 1
            self._bytes_sent += _count(bytes)

    def record_recv(self, bytes: int) -> None:  # noqa: A002
        with self._lock:
            self._started()
            self._messages_received += 1
            self._bytes_received += _count(bytes)

    def record_send_error(self) -> None:
        with self._lock:
            self._send_errors += 1

    def record_recv_error(self) -> None:
        with self._lock:
            self._receive_errors += 1

    def record_latency_us(self, latency_us: int) -> None:
        latency_us = _count(latency_us)
        with self._lock:
            self._latency_sum += latency_us
            self._latency_count += 1
            self._min = latency_us if self._min is None else min(self._min, latency_us)
            self._max = max(self._max, latency_us)
            self._samples.append(latency_us)

    def record_latency_ms(self, latency_ms: float) -> None:
        self.record_latency_us(int(latency_ms * 1000))

    def set_queue_depth(self, depth: int) -> None:
        depth = _count(depth)
        with self._lock:
            self._queue_depth = depth
            self._peak_queue_depth = max(self._peak_queue_depth, depth)

    def reset(self) -> None:
        with self._lock:
            self._messages_sent = self._messages_received = 0
            self._bytes_sent = self._bytes_received = 0
            self._send_errors = self._receive_errors = 0
            self._queue_depth = self._peak_queue_depth = 0
            self._latency_sum = self._latency_count = 0
            self._min = None
            self._max = 0
            self._samples = deque(maxlen=_MAX_SAMPLES)
            self._start = time.monotonic()

    def meter(self, endpoint):
        """Beyond 0.1: `endpoint` (an IpcChannel, IpcChannelConnection or
        GracefulIpcChannel) wrapped so that it records its own sends, receives,
        errors and receive waits here."""
        from ipckit._metered import MeteredEndpoint
        return MeteredEndpoint(endpoint, self)

    def latency_percentile(self, percentile: int) -> int:
        with self._lock:
            return _percentile(sorted(self._samples), percentile)

    def snapshot(self) -> Dict[str, Any]:
        """Every metric at one instant, as a dict (0.1.12 returns a dict)."""
        with self._lock:
            elapsed = 0.0 if self._start is None else time.monotonic() - self._start
            samples = sorted(self._samples)
            values = {
                "messages_sent": self._messages_sent,
                "messages_received": self._messages_received,
                "bytes_sent": self._bytes_sent,
                "bytes_received": self._bytes_received,
                "send_errors": self._send_errors,
                "receive_errors": self._receive_errors,
                "queue_depth": self._queue_depth,
                "peak_queue_depth": self._peak_queue_depth,
                "avg_latency_us": self._latency_sum // self._latency_count if self._latency_count else 0,
                "min_latency_us": self._min,
                "max_latency_us": self._max,
                "p50_latency_us": _percentile(samples, 50),
                "p95_latency_us": _percentile(samples, 95),
                "p99_latency_us": _percentile(samples, 99),
                "elapsed_secs": elapsed,
            }
        rate = (lambda n: n / elapsed) if elapsed > 0 else (lambda n: 0.0)
        values["send_throughput"] = rate(values["messages_sent"])
        values["recv_throughput"] = rate(values["messages_received"])
        values["send_bandwidth"] = rate(values["bytes_sent"])
        values["recv_bandwidth"] = rate(values["bytes_received"])
        return values

    def to_json(self) -> str:
        return json.dumps(self.snapshot(), separators=(",", ":"))

    def to_json_pretty(self) -> str:
        return json.dumps(self.snapshot(), indent=2)

    def to_prometheus(self, prefix: str) -> str:
        s = self.snapshot()
        lines = []

        def metric(name: str, kind: str, help_text: str, samples) -> None:
            lines.append("# HELP %s_%s %s" % (prefix, name, help_text))
            lines.append("# TYPE %s_%s %s" % (prefix, name, kind))
            for labels, value in samples:
                lines.append("%s_%s%s %s" % (prefix, name, labels, value))

        metric("messages_sent_total", "counter", "Total messages sent", [("", s["messages_sent"])])
        metric("messages_received_total", "counter", "Total messages received",
               [("", s["messages_received"])])
        metric("bytes_sent_total", "counter", "Total bytes sent", [("", s["bytes_sent"])])
        metric("bytes_received_total", "counter", "Total bytes received", [("", s["bytes_received"])])
        metric("send_errors_total", "counter", "Total send errors", [("", s["send_errors"])])
        metric("receive_errors_total", "counter", "Total receive errors", [("", s["receive_errors"])])
        metric("queue_depth", "gauge", "Current queue depth", [("", s["queue_depth"])])
        metric("latency_microseconds", "summary", "Latency in microseconds",
               [('{quantile="0.5"}', s["p50_latency_us"]), ('{quantile="0.95"}', s["p95_latency_us"]),
                ('{quantile="0.99"}', s["p99_latency_us"])])
        metric("throughput_messages_per_second", "gauge", "Message throughput",
               [('{direction="send"}', "%.2f" % s["send_throughput"]),
                ('{direction="recv"}', "%.2f" % s["recv_throughput"])])
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        s = self.snapshot()
        return "ChannelMetrics(sent=%d, recv=%d, bytes_sent=%d, bytes_recv=%d, avg_latency=%d\u00b5s)" % (
            s["messages_sent"], s["messages_received"], s["bytes_sent"], s["bytes_received"],
            s["avg_latency_us"])


def _count(value: int) -> int:
    value = int(value)
    if value < 0:
        raise OverflowError("can't convert negative int to unsigned")
    return value


def _percentile(sorted_samples, percentile: int) -> int:
    if not sorted_samples:
        return 0
    if not 0 <= int(percentile) <= 255:
        raise OverflowError("percentile must fit in an unsigned byte")
    index = int(min(int(percentile), 100) / 100.0 * (len(sorted_samples) - 1))
    return sorted_samples[index]


def _property(name: str) -> property:
    return property(lambda self: self.snapshot()[name], doc="See ChannelMetrics.snapshot().")


# As in 0.1, ChannelMetrics has no pNN properties (latency_percentile() instead).
for _name in _FIELDS:
    if not _name.startswith("p") or _name == "peak_queue_depth":
        setattr(ChannelMetrics, _name, _property(_name))
del _name


class MetricsSnapshot:
    """ChannelMetrics.snapshot() as an object with one read-only property per key."""

    __slots__ = ("_values",)

    def __init__(self, values: Dict[str, Any]) -> None:
        self._values = dict(values)

    @classmethod
    def of(cls, metrics: ChannelMetrics) -> "MetricsSnapshot":
        return cls(metrics.snapshot())

    def to_dict(self) -> Dict[str, Any]:
        return dict(self._values)

    def __repr__(self) -> str:
        v = self._values
        return "MetricsSnapshot(sent=%d, recv=%d, bytes_sent=%d, bytes_recv=%d)" % (
            v["messages_sent"], v["messages_received"], v["bytes_sent"], v["bytes_received"])


def _snapshot_property(name: str) -> property:
    return property(lambda self: self._values[name])


for _name in _FIELDS:
    setattr(MetricsSnapshot, _name, _snapshot_property(_name))
del _name
