"""An in-process publish/subscribe event bus with history, as in ipckit 0.1.

    >>> from ipckit.ipckit import EventBus, Event, EventFilter
    >>> bus = EventBus()
    >>> sub = bus.subscribe(EventFilter().event_type("task.*"))
    >>> bus.publish(Event("task.started", {"id": 1}))
    >>> sub.try_recv().event_type
    'task.started'

Filters match event types exactly, by "prefix.*" (0.1 tests only that the
type starts with "prefix") or by a glob with "*"; by resource id; and by
timestamp range. Each subscriber has a bounded queue; when it is full the
slow_consumer policy decides: "drop_oldest" and "drop_newest" both drop the
new event for that subscriber (as 0.1 does), "block" waits for room.

Going further than 0.1, EventBus.shared(name) joins a bus shared by processes:
every event published in one reaches the matching subscribers of all, over a
shared-memory publish/subscribe service (spec/shm_messaging.md) as JSON.
Filters are applied where the subscriber is, so they mean the same thing.

    with EventBus.shared("jobs") as bus:        # in every process
        sub = bus.subscribe(EventFilter().event_type("task.*"))
        bus.publish(Event("task.started", {"id": 1}))   # seen by all processes
"""

import itertools
import json
import os
import threading
import time
from collections import deque
from typing import Any, Dict, List, Optional, cast

from ipckit._ipckit import ClosedError, IpcTimeoutError, PeerClosedError, ShmPublisher, ShmSubscriber

_next_event_id = itertools.count(1)
_POLICIES = ("drop_oldest", "drop_newest", "block")

_LOG_TYPES = {
    "info": "log.info", "warn": "log.warn", "warning": "log.warn", "error": "log.error",
    "stdout": "log.stdout", "stderr": "log.stderr",
}


class Event:
    """One event: id (process-wide counter), timestamp (seconds since the
    epoch), event_type, optional resource_id and JSON data."""

    __slots__ = ("_id", "_timestamp", "_event_type", "_resource_id", "_data")

    def __init__(self, event_type: str, data: Any = None) -> None:
        self._id = next(_next_event_id)
        self._timestamp = time.time()
        self._event_type = str(event_type)
        self._resource_id: Optional[str] = None
        self._data = {} if data is None else _json_copy(data)

    @staticmethod
    def with_resource(event_type: str, resource_id: str, data: Any = None) -> "Event":
        event = Event(event_type, data)
        event._resource_id = str(resource_id)
        return event

    @staticmethod
    def progress(resource_id: str, current: int, total: int, message: str) -> "Event":
        percentage = current * 100 // total if total else 0
        return Event.with_resource("task.progress", resource_id, {
            "current": current, "total": total, "percentage": percentage, "message": message})

    @staticmethod
    def log(resource_id: str, level: str, message: str) -> "Event":
        return Event.with_resource(_LOG_TYPES.get(level, "log.info"), resource_id,
                                   {"level": level, "message": message})

    @staticmethod
    def stdout(resource_id: str, line: str) -> "Event":
        return Event.log(resource_id, "stdout", line)

    @staticmethod
    def stderr(resource_id: str, line: str) -> "Event":
        return Event.log(resource_id, "stderr", line)

    id = property(lambda self: self._id)
    timestamp = property(lambda self: self._timestamp)
    event_type = property(lambda self: self._event_type)
    resource_id = property(lambda self: self._resource_id)

    @property
    def data(self) -> Any:
        return _json_copy(self._data)

    def _fields(self) -> Dict[str, Any]:
        return {"id": self._id, "timestamp": self._timestamp, "event_type": self._event_type,
                "resource_id": self._resource_id, "data": self._data}

    @staticmethod
    def _from_fields(fields: Dict[str, Any]) -> "Event":
        """The event another process published, with its id and timestamp."""
        event = Event.__new__(Event)
        event._id = int(fields["id"])
        event._timestamp = float(fields["timestamp"])
        event._event_type = str(fields["event_type"])
        resource = fields.get("resource_id")
        event._resource_id = None if resource is None else str(resource)
        event._data = fields.get("data", {})
        return event

    def to_json(self) -> str:
        return json.dumps(self._fields(), separators=(",", ":"))

    def __repr__(self) -> str:
        return "Event(id=%d, type='%s', resource=%r)" % (self._id, self._event_type, self._resource_id)


def _json_copy(value: Any) -> Any:
    """A deep copy through JSON, so events hold values, not caller objects."""
    return json.loads(json.dumps(value))


def _type_matches(pattern: str, event_type: str) -> bool:
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-2])
    if "*" not in pattern:
        return event_type == pattern
    pos = 0
    for i, part in enumerate(pattern.split("*")):
        if not part:
            continue
        found = event_type.find(part, pos)
        if found < 0 or (i == 0 and found != 0):
            return False
        pos = found + len(part)
    return True


class EventFilter:
    """Which events to take; each method returns a new, narrower filter."""

    __slots__ = ("_types", "_resources", "_since", "_until")

    def __init__(self) -> None:
        self._types: Optional[tuple] = None
        self._resources: Optional[tuple] = None
        self._since: Optional[float] = None
        self._until: Optional[float] = None

    def _with(self, **changes) -> "EventFilter":
        copy = EventFilter()
        copy._types, copy._resources = self._types, self._resources
        copy._since, copy._until = self._since, self._until
        for key, value in changes.items():
            setattr(copy, key, value)
        return copy

    def event_type(self, pattern: str) -> "EventFilter":
        return self._with(_types=(self._types or ()) + (str(pattern),))

    def resource(self, id: str) -> "EventFilter":  # noqa: A002 (0.1's keyword)
        return self._with(_resources=(self._resources or ()) + (str(id),))

    def since(self, timestamp: float) -> "EventFilter":
        return self._with(_since=float(timestamp))

    def until(self, timestamp: float) -> "EventFilter":
        return self._with(_until=float(timestamp))

    def matches(self, event: Event) -> bool:
        if self._types is not None and not any(_type_matches(p, event.event_type) for p in self._types):
            return False
        if self._resources is not None and event.resource_id not in self._resources:
            return False
        if self._since is not None and event.timestamp < self._since:
            return False
        if self._until is not None and event.timestamp > self._until:
            return False
        return True

    def __repr__(self) -> str:
        return "EventFilter(types=%r, resources=%r)" % (
            list(self._types) if self._types is not None else None,
            list(self._resources) if self._resources is not None else None)


class EventBusConfig:
    """history_size events kept for history(); subscriber_buffer events queued
    per subscriber; slow_consumer: "drop_oldest", "drop_newest" or "block"."""

    def __init__(self, history_size: int = 1000, subscriber_buffer: int = 256,
                 slow_consumer: str = "drop_oldest") -> None:
        if slow_consumer not in _POLICIES:
            raise RuntimeError("Invalid slow_consumer policy. Use 'drop_oldest', 'drop_newest', or 'block'")
        if history_size < 0 or subscriber_buffer < 0:
            raise OverflowError("can't convert negative int to unsigned")
        self._history_size = int(history_size)
        self._subscriber_buffer = int(subscriber_buffer)
        self._slow_consumer = slow_consumer

    history_size = property(lambda self: self._history_size)
    subscriber_buffer = property(lambda self: self._subscriber_buffer)

    def __repr__(self) -> str:
        return "EventBusConfig(history_size=%d, subscriber_buffer=%d)" % (
            self._history_size, self._subscriber_buffer)


class EventSubscriber:
    """The receiving end of one subscription."""

    def __init__(self, event_filter: EventFilter, capacity: int) -> None:
        self._filter = event_filter
        self._capacity = capacity
        self._queue: deque = deque()
        self._cond = threading.Condition()

    def _offer(self, event: Event, block: bool) -> None:
        with self._cond:
            if block:
                # "block" waits for room; a zero-size buffer is a rendezvous in 0.1,
                # here it holds one event so that a publisher can never wait forever alone.
                self._cond.wait_for(lambda: len(self._queue) < max(self._capacity, 1))
            elif len(self._queue) >= self._capacity:
                return
            self._queue.append(event)
            self._cond.notify_all()

    def _take(self, timeout: Optional[float]) -> Optional[Event]:
        with self._cond:
            if not self._cond.wait_for(lambda: self._queue, timeout):
                return None
            event = self._queue.popleft()
            self._cond.notify_all()
            return event

    def recv(self) -> Event:
        """The next event, waiting as long as it takes."""
        return cast(Event, self._take(None))  # None only on a timeout

    def recv_timeout(self, timeout_ms: int) -> Event:
        event = self._take(max(int(timeout_ms), 0) / 1000.0)
        if event is None:
            raise IpcTimeoutError("Operation timed out")
        return event

    def try_recv(self) -> Optional[Event]:
        return self._take(0)

    def drain(self) -> List[Event]:
        with self._cond:
            events = list(self._queue)
            self._queue.clear()
            self._cond.notify_all()
            return events

    def __repr__(self) -> str:
        return "EventSubscriber(filter=%r)" % (self._filter,)


class _Bus:
    """State shared by an EventBus and its publishers."""

    def __init__(self, config: EventBusConfig) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.history: deque = deque(maxlen=config.history_size)
        self.subscribers: List[EventSubscriber] = []
        self.link: Optional["_SharedLink"] = None  # set by EventBus.shared

    def publish(self, event: Event) -> None:
        if not isinstance(event, Event):
            raise TypeError("publish() takes an Event")
        if self.link is not None:
            self.link.send(event)
        self.deliver(event)

    def deliver(self, event: Event) -> None:
        """Into the history and to this process's matching subscribers."""
        with self.lock:
            if self.config.history_size:
                self.history.append(event)
            subscribers = [s for s in self.subscribers if s._filter.matches(event)]
        block = self.config._slow_consumer == "block"
        for subscriber in subscribers:
            subscriber._offer(event, block)


class _SharedLink:
    """Carries a shared bus's events between processes: a ShmPublisher for the
    events published here, and a thread that delivers the others' events."""

    def __init__(self, name: str, config: EventBusConfig, max_processes: int,
                 max_event_size: int, bus: _Bus) -> None:
        shm = dict(max_payload=max_event_size, max_publishers=max_processes,
                   max_subscribers=max_processes, subscriber_buffer=min(max(config.subscriber_buffer, 1), 4096),
                   max_held=1, history=min(config.history_size, 1024),
                   overflow="block" if config._slow_consumer == "block" else "drop_oldest")
        # Each process skips its own events, which it has delivered already.
        self._origin = "%d.%s" % (os.getpid(), os.urandom(8).hex())
        self._subscriber = ShmSubscriber.create(name, **shm)
        try:
            self._publisher = ShmPublisher.create(name, **shm)
        except BaseException:
            self._subscriber.close()
            raise
        self._bus = bus
        self._thread = threading.Thread(target=self._run, name="ipckit-eventbus-" + name, daemon=True)
        self._thread.start()

    def send(self, event: Event) -> None:
        self._publisher.send_json({"origin": self._origin, "event": event._fields()})

    def _run(self) -> None:
        while True:
            try:
                message = self._subscriber.recv_json(timeout=None)
            except (ClosedError, PeerClosedError):
                return  # closed by close(), or no publisher left
            if not isinstance(message, dict) or message.get("origin") == self._origin:
                continue
            try:
                event = Event._from_fields(message["event"])
            except (KeyError, TypeError, ValueError):
                continue  # not an event: ignored, as 0.1 ignores what it cannot parse
            self._bus.deliver(event)

    def close(self) -> None:
        self._publisher.close()
        self._subscriber.close()  # ends the thread's receive (ClosedError)
        if self._thread is not threading.current_thread():
            self._thread.join()


class EventPublisher:
    """Publishes onto the bus it came from (EventBus.publisher())."""

    def __init__(self, bus: _Bus) -> None:
        self._bus = bus

    def publish(self, event: Event) -> None:
        self._bus.publish(event)

    def progress(self, resource_id: str, current: int, total: int, message: str) -> None:
        self.publish(Event.progress(resource_id, current, total, message))

    def log(self, resource_id: str, level: str, message: str) -> None:
        self.publish(Event.log(resource_id, level, message))

    def stdout(self, resource_id: str, line: str) -> None:
        self.publish(Event.stdout(resource_id, line))

    def stderr(self, resource_id: str, line: str) -> None:
        self.publish(Event.stderr(resource_id, line))

    def task_started(self, task_id: str, data: Any) -> None:
        self.publish(Event.with_resource("task.started", task_id, data))

    def task_completed(self, task_id: str, result: Any) -> None:
        self.publish(Event.with_resource("task.completed", task_id,
                                         {"result": {} if result is None else result}))

    def task_failed(self, task_id: str, error: str) -> None:
        self.publish(Event.with_resource("task.failed", task_id, {"error": error}))

    def task_cancelled(self, task_id: str) -> None:
        self.publish(Event.with_resource("task.cancelled", task_id, {}))

    def __repr__(self) -> str:
        return "EventPublisher()"


class EventBus:
    """Publishers push events; every subscriber whose filter matches gets them."""

    def __init__(self, config: Optional[EventBusConfig] = None) -> None:
        self._bus = _Bus(config if config is not None else EventBusConfig())

    @staticmethod
    def shared(name: str, config: Optional[EventBusConfig] = None, *, max_processes: int = 8,
               max_event_size: int = 65536) -> "EventBus":
        """Joins (or creates) the bus `name` shared by up to max_processes
        processes. Every process must pass the same config, max_processes and
        max_event_size. Events published here reach the matching subscribers
        of every process; history() holds the events this process has seen,
        starting with up to min(history_size, 1024) published before it joined
        (per publishing process). close() (or the with block) leaves the bus."""
        bus = EventBus(config)
        bus._bus.link = _SharedLink(str(name), bus._bus.config, int(max_processes),
                                    int(max_event_size), bus._bus)
        return bus

    def close(self) -> None:
        """Leaves a shared bus (nothing for an in-process one). Idempotent."""
        link, self._bus.link = self._bus.link, None
        if link is not None:
            link.close()

    def __enter__(self) -> "EventBus":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def publisher(self) -> EventPublisher:
        return EventPublisher(self._bus)

    def subscribe(self, filter: Optional[EventFilter] = None) -> EventSubscriber:  # noqa: A002
        subscriber = EventSubscriber(filter if filter is not None else EventFilter(),
                                     self._bus.config.subscriber_buffer)
        with self._bus.lock:
            self._bus.subscribers.append(subscriber)
        return subscriber

    def history(self, filter: Optional[EventFilter] = None) -> List[Event]:  # noqa: A002
        with self._bus.lock:
            events = list(self._bus.history)
        return [e for e in events if filter is None or filter.matches(e)]

    def clear_history(self) -> None:
        with self._bus.lock:
            self._bus.history.clear()

    def publish(self, event: Event) -> None:
        self._bus.publish(event)

    def __repr__(self) -> str:
        with self._bus.lock:
            return "EventBus(subscribers=%d, history=%d)" % (
                len(self._bus.subscribers), len(self._bus.history))
