"""ChannelMetrics beyond 0.1: real latency percentiles, and a channel that
records its own traffic (meter) across two processes."""
import os
import subprocess
import sys

import ipckit


def test_percentiles_come_from_the_samples():
    metrics = ipckit.ChannelMetrics()
    for us in range(1, 101):
        metrics.record_latency_us(us)
    assert (metrics.latency_percentile(50), metrics.latency_percentile(99)) == (50, 99)
    snap = metrics.snapshot()
    assert (snap["p50_latency_us"], snap["p95_latency_us"], snap["min_latency_us"]) == (50, 95, 1)
    assert 'ipckit_latency_microseconds{quantile="0.5"} 50' in metrics.to_prometheus("ipckit")


def test_metered_channel_records_itself():
    name = "test_metered_%d" % os.getpid()
    server = ipckit.IpcChannel.create(name)
    child = subprocess.Popen([sys.executable, "-c", """
import sys, ipckit
c = ipckit.IpcChannel.connect(sys.argv[1], timeout=30)
c.send_json(c.recv_json())
c.close()
""", name])
    server.wait_for_client(timeout=30)
    metrics = ipckit.ChannelMetrics()
    channel = metrics.meter(server)
    channel.send_json({"a": [1, 2]})
    assert channel.recv_json(timeout=30) == {"a": [1, 2]}
    assert child.wait(30) == 0
    try:
        channel.recv(timeout=30)
    except ipckit.PeerClosedError:
        pass
    text = len(ipckit.json_dumps({"a": [1, 2]}))
    assert (metrics.messages_sent, metrics.bytes_sent) == (1, text)
    assert (metrics.messages_received, metrics.bytes_received, metrics.receive_errors) == (1, text, 1)
    assert channel.is_server  # everything else is the channel's own
    server.close()
