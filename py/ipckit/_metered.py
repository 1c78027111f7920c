"""A message endpoint that records its own traffic into a ChannelMetrics.

    >>> metrics = ChannelMetrics()
    >>> channel = metrics.meter(IpcChannel.connect("jobs", timeout=5))   # doctest: +SKIP
    >>> channel.send_json({"n": 1}); metrics.messages_sent                # doctest: +SKIP
    1

Beyond ipckit 0.1, where every call is recorded by hand. Each send and
receive counts its bytes (a JSON message counts its compact text, which is
exactly the frame's payload: spec/json.md), a failed one counts an error and
re-raises it, and each receive records how long it waited as latency. Any
other attribute is the wrapped endpoint's.
"""

import time
from typing import Any

from ipckit._ipckit import json_dumps, json_loads


class MeteredEndpoint:
    """send/recv/send_json/recv_json of `endpoint`, recorded into `metrics`."""

    def __init__(self, endpoint, metrics) -> None:
        self._endpoint, self.metrics = endpoint, metrics

    def send(self, data, **kwargs) -> None:
        try:
            self._endpoint.send(data, **kwargs)
        except Exception:
            self.metrics.record_send_error()
            raise
        self.metrics.record_send(len(memoryview(data)))

    def recv(self, **kwargs) -> bytes:
        start = time.monotonic()
        try:
            data = self._endpoint.recv(**kwargs)
        except Exception:
            self.metrics.record_recv_error()
            raise
        self.metrics.record_recv(len(data))
        self.metrics.record_latency_us(int((time.monotonic() - start) * 1e6))
        return data

    def send_json(self, obj: Any, **kwargs) -> None:
        self.send(json_dumps(obj).encode("utf-8"), **kwargs)

    def recv_json(self, **kwargs) -> Any:
        return json_loads(self.recv(**kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._endpoint, name)

    def __enter__(self) -> "MeteredEndpoint":
        return self

    def __exit__(self, *exc) -> None:
        self._endpoint.close()
