"""ChannelMetrics: record_* counters and the exports' shape."""
import json
from _common import report
import ipckit

m = ipckit.ChannelMetrics()
out = {"fresh": {k: v for k, v in json.loads(m.to_json()).items() if k != "elapsed_secs"}}
m.record_send(100); m.record_send(50); m.record_recv(30); m.record_send_error(); m.record_recv_error()
m.record_latency_us(100); m.record_latency_us(300); m.record_latency_ms(1); m.set_queue_depth(5); m.set_queue_depth(2)
snap = m.snapshot()
out["snapshot_type"] = type(snap).__name__
out["snapshot_keys"] = list(snap)
rates = ("elapsed_secs", "send_throughput", "recv_throughput", "send_bandwidth", "recv_bandwidth")
out["snapshot"] = {k: v for k, v in snap.items() if k not in rates}
out["json_keys"] = list(json.loads(m.to_json()))
out["props"] = [m.messages_sent, m.messages_received, m.bytes_sent, m.bytes_received, m.send_errors,
                m.receive_errors, m.queue_depth, m.peak_queue_depth, m.avg_latency_us, m.min_latency_us,
                m.max_latency_us]
out["p50"] = m.latency_percentile(50)
out["prometheus"] = [l for l in m.to_prometheus("app").splitlines() if "throughput" not in l or l.startswith("#")]
out["repr"] = repr(m)
m.reset()
out["after_reset"] = [m.messages_sent, m.bytes_sent, m.min_latency_us]
report(out)
