"""EventBus: glob filters, history, publishers, subscribers."""
from _common import report
from ipckit.ipckit import Event, EventBus, EventBusConfig, EventFilter

bus = EventBus(EventBusConfig(history_size=5, subscriber_buffer=3))
tasks = bus.subscribe(EventFilter().event_type("task.*"))
logs = bus.subscribe(EventFilter().event_type("log.*").resource("r1"))
glob = bus.subscribe(EventFilter().event_type("*.progress"))
pub = bus.publisher()
pub.publish(Event("task.started", {"a": 1}))
pub.progress("r1", 3, 4, "m")
pub.log("r1", "warning", "w")
pub.stdout("r2", "line")
pub.task_completed("t1", {"ok": True})
pub.task_failed("t2", "boom")
pub.task_cancelled("t3")
bus.publish(Event.with_resource("taskish", "r1", None))

def view(e):
    return None if e is None else [e.event_type, e.resource_id, e.data]

out = {"tasks": [view(e) for e in tasks.drain()], "logs": [view(e) for e in logs.drain()],
       "glob": [view(glob.try_recv()), view(glob.try_recv())],
       "history": [view(e) for e in bus.history()],
       "history_filtered": [view(e) for e in bus.history(EventFilter().event_type("task.failed"))]}
bus.clear_history()
out["cleared"] = len(bus.history())
f = EventFilter().event_type("a.b")
out["matches"] = [f.matches(Event("a.b")), f.matches(Event("a.c")), EventFilter().matches(Event("x"))]
out["config"] = [EventBusConfig().history_size, EventBusConfig().subscriber_buffer]
e = Event.log("r", "error", "m")
out["log_event"] = [e.event_type, e.data]
try:
    EventBusConfig(slow_consumer="nope")
    out["bad_policy"] = None
except RuntimeError:
    out["bad_policy"] = "RuntimeError"
report(out)
