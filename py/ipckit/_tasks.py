"""In-process task tracking with progress, cancellation, pause and resume, as in ipckit 0.1.

    >>> from ipckit.ipckit import TaskManager
    >>> tm = TaskManager()
    >>> task = tm.create_task("Build", "build")
    >>> task.start(); task.set_progress(40, "compiling")
    >>> tm.get(task.id).progress, str(tm.get(task.id).status)
    (40, 'running')

Ids are "task-1", "task-2", ... per manager. list() returns tasks in
creation order (0.1's order is a hash map's). Every change is published on
the manager's EventBus ("task.created", "task.progress", ...).
"""

import itertools
import json
import threading
import time
from typing import Any, Dict, List, Optional, cast

from ipckit._events import Event, EventBus, EventBusConfig, EventPublisher

_STATUS_NAMES = ("Pending", "Running", "Paused", "Completed", "Failed", "Cancelled")


class TaskStatus:
    """One of PENDING, RUNNING, PAUSED, COMPLETED, FAILED, CANCELLED."""

    __slots__ = ("_name",)
    PENDING: "TaskStatus"
    RUNNING: "TaskStatus"
    PAUSED: "TaskStatus"
    COMPLETED: "TaskStatus"
    FAILED: "TaskStatus"
    CANCELLED: "TaskStatus"

    def __init__(self, name: str) -> None:
        if name not in _STATUS_NAMES:
            raise TypeError("No constructor defined for TaskStatus")
        self._name = name

    def is_terminal(self) -> bool:
        return self._name in ("Completed", "Failed", "Cancelled")

    def is_active(self) -> bool:
        return not self.is_terminal()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TaskStatus) and other._name == self._name

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return "TaskStatus." + self._name

    def __str__(self) -> str:
        return self._name.lower()


for _name in _STATUS_NAMES:
    setattr(TaskStatus, _name.upper(), TaskStatus(_name))
del _name


class CancellationToken:
    """A flag a task polls; child() shares the flag, as in 0.1."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def is_cancelled(self) -> bool:
        return self._event.is_set()

    def child(self) -> "CancellationToken":
        child = CancellationToken()
        child._event = self._event
        return child

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Beyond 0.1: block until cancelled or timeout; True if cancelled."""
        return self._event.wait(timeout)

    def __repr__(self) -> str:
        return "CancellationToken(cancelled=%s)" % ("true" if self.is_cancelled else "false")


class TaskInfo:
    """A snapshot of one task."""

    __slots__ = ("_fields",)

    def __init__(self, fields: Dict[str, Any]) -> None:
        self._fields = fields

    id = property(lambda self: self._fields["id"])
    name = property(lambda self: self._fields["name"])
    task_type = property(lambda self: self._fields["task_type"])
    status = property(lambda self: self._fields["status"])
    progress = property(lambda self: self._fields["progress"])
    progress_message = property(lambda self: self._fields["progress_message"])
    created_at = property(lambda self: self._fields["created_at"])
    started_at = property(lambda self: self._fields["started_at"])
    finished_at = property(lambda self: self._fields["finished_at"])
    error = property(lambda self: self._fields["error"])

    @property
    def result(self) -> Any:
        return _json_copy(self._fields["result"])

    def get_metadata(self) -> Dict[str, Any]:
        return _json_copy(self._fields["metadata"])

    def get_labels(self) -> Dict[str, str]:
        return dict(self._fields["labels"])

    def to_dict(self) -> Dict[str, Any]:
        """The JSON object of to_json(), as 0.1's TaskInfo serializes."""
        f = self._fields
        return {
            "id": f["id"], "name": f["name"], "task_type": f["task_type"], "status": str(f["status"]),
            "progress": f["progress"], "progress_message": f["progress_message"],
            "created_at": f["created_at"], "started_at": f["started_at"],
            "finished_at": f["finished_at"], "metadata": _json_copy(f["metadata"]),
            "labels": dict(f["labels"]), "affinity": "Any", "error": f["error"],
            "result": _json_copy(f["result"]),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def __repr__(self) -> str:
        f = self._fields
        return "TaskInfo(id='%s', name='%s', status=%s, progress=%d)" % (
            f["id"], f["name"], f["status"]._name, f["progress"])


def _json_copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


class TaskBuilder:
    """Name, type, metadata and labels of a task to create; each method returns a new builder."""

    def __init__(self, name: str, task_type: str) -> None:
        self._name, self._task_type = str(name), str(task_type)
        self._metadata: Dict[str, Any] = {}
        self._labels: Dict[str, str] = {}

    def _copy(self) -> "TaskBuilder":
        copy = TaskBuilder(self._name, self._task_type)
        copy._metadata, copy._labels = dict(self._metadata), dict(self._labels)
        return copy

    def metadata(self, key: str, value: Any) -> "TaskBuilder":
        copy = self._copy()
        copy._metadata[str(key)] = _json_copy(value)
        return copy

    def label(self, key: str, value: str) -> "TaskBuilder":
        copy = self._copy()
        copy._labels[str(key)] = str(value)
        return copy

    def __repr__(self) -> str:
        return "TaskBuilder(...)"


class TaskFilter:
    """Which tasks list() returns; each method returns a new, narrower filter."""

    def __init__(self) -> None:
        self._statuses: Optional[tuple] = None
        self._task_type: Optional[str] = None
        self._labels: Dict[str, str] = {}
        self._active_only = False

    def _copy(self) -> "TaskFilter":
        copy = TaskFilter()
        copy._statuses, copy._task_type = self._statuses, self._task_type
        copy._labels, copy._active_only = dict(self._labels), self._active_only
        return copy

    def status(self, status: TaskStatus) -> "TaskFilter":
        if not isinstance(status, TaskStatus):
            raise TypeError("status() takes a TaskStatus")
        copy = self._copy()
        copy._statuses = (self._statuses or ()) + (status,)
        return copy

    def task_type(self, t: str) -> "TaskFilter":
        copy = self._copy()
        copy._task_type = str(t)
        return copy

    def label(self, key: str, value: str) -> "TaskFilter":
        copy = self._copy()
        copy._labels[str(key)] = str(value)
        return copy

    def active(self) -> "TaskFilter":
        copy = self._copy()
        copy._active_only = True
        return copy

    def matches(self, info: TaskInfo) -> bool:
        if self._active_only and not info.status.is_active():
            return False
        if self._statuses is not None and info.status not in self._statuses:
            return False
        if self._task_type is not None and info.task_type != self._task_type:
            return False
        labels = info._fields["labels"]
        return all(labels.get(k) == v for k, v in self._labels.items())

    def __repr__(self) -> str:
        return "TaskFilter(active_only=%s, task_type=%r)" % (
            "true" if self._active_only else "false", self._task_type)


class _TaskState:
    def __init__(self, fields: Dict[str, Any]) -> None:
        self.lock = threading.Lock()
        self.fields = fields
        self.token = CancellationToken()

    def info(self) -> TaskInfo:
        with self.lock:
            return TaskInfo(dict(self.fields))

    def update(self, **changes) -> None:
        with self.lock:
            self.fields.update(changes)


class TaskHandle:
    """The working end of one task: progress, output, start/complete/fail."""

    def __init__(self, state: _TaskState, publisher: EventPublisher) -> None:
        self._state, self._publisher = state, publisher

    @property
    def id(self) -> str:
        return self._state.fields["id"]

    def info(self) -> TaskInfo:
        return self._state.info()

    @property
    def status(self) -> TaskStatus:
        return self._state.info().status

    @property
    def progress(self) -> int:
        return self._state.info().progress

    def set_progress(self, progress: int, message: Optional[str] = None) -> None:
        progress = min(_u8(progress), 100)
        with self._state.lock:
            self._state.fields["progress"] = progress
            if message is not None:
                self._state.fields["progress_message"] = message
        self._publisher.progress(self.id, progress, 100, message or "")

    def log(self, level: str, message: str) -> None:
        self._publisher.log(self.id, level, message)

    def stdout(self, line: str) -> None:
        self._publisher.stdout(self.id, line)

    def stderr(self, line: str) -> None:
        self._publisher.stderr(self.id, line)

    @property
    def is_cancelled(self) -> bool:
        return self._state.token.is_cancelled

    def cancel_token(self) -> CancellationToken:
        return self._state.token.child()

    def start(self) -> None:
        self._state.update(status=TaskStatus.RUNNING, started_at=time.time())
        self._publisher.task_started(self.id, {})

    def complete(self, result: Any) -> None:
        result = {} if result is None else _json_copy(result)
        self._state.update(status=TaskStatus.COMPLETED, progress=100, progress_message="Completed",
                           finished_at=time.time(), result=result)
        self._publisher.task_completed(self.id, result)

    def fail(self, error: str) -> None:
        self._state.update(status=TaskStatus.FAILED, finished_at=time.time(), error=str(error))
        self._publisher.task_failed(self.id, str(error))

    def __repr__(self) -> str:
        info = self.info()
        return "TaskHandle(id='%s', status=%s, progress=%d)" % (info.id, info.status._name, info.progress)


def _u8(value: int) -> int:
    value = int(value)
    if not 0 <= value <= 255:
        raise OverflowError("progress must be in 0..255")
    return value


class TaskManagerConfig:
    """retention_seconds: how long cleanup() keeps finished tasks; max_concurrent (kept, as in 0.1, unenforced)."""

    def __init__(self, retention_seconds: int = 3600, max_concurrent: int = 100) -> None:
        if retention_seconds < 0 or max_concurrent < 0:
            raise OverflowError("can't convert negative int to unsigned")
        self._retention_seconds, self._max_concurrent = int(retention_seconds), int(max_concurrent)

    retention_seconds = property(lambda self: self._retention_seconds)
    max_concurrent = property(lambda self: self._max_concurrent)

    def __repr__(self) -> str:
        return "TaskManagerConfig(retention_seconds=%d, max_concurrent=%d)" % (
            self._retention_seconds, self._max_concurrent)


class TaskManager:
    """Creates and tracks tasks; lookups by id; cancel, pause, resume, remove."""

    def __init__(self, config: Optional[TaskManagerConfig] = None) -> None:
        self._config = config if config is not None else TaskManagerConfig()
        self._lock = threading.Lock()
        self._tasks: Dict[str, _TaskState] = {}
        self._ids = itertools.count(1)
        self.event_bus = EventBus(EventBusConfig())

    def create(self, builder: TaskBuilder) -> TaskHandle:
        # None only when a given id is taken; a generated one never is.
        return cast(TaskHandle, self._create(builder, None))

    def _create_with_id(self, name: str, task_type: str, task_id: Optional[str]) -> Optional[TaskHandle]:
        """For ApiServer: a task under the id its client chose (None if taken)."""
        return self._create(TaskBuilder(name, task_type), task_id)

    def _create(self, builder: TaskBuilder, task_id: Optional[str]) -> Optional[TaskHandle]:
        if task_id is None:
            task_id = "task-%d" % next(self._ids)
        state = _TaskState({
            "id": task_id, "name": builder._name, "task_type": builder._task_type,
            "status": TaskStatus.PENDING, "progress": 0, "progress_message": None,
            "created_at": time.time(), "started_at": None, "finished_at": None,
            "metadata": dict(builder._metadata), "labels": dict(builder._labels),
            "error": None, "result": None,
        })
        with self._lock:
            if task_id in self._tasks:
                return None
            self._tasks[task_id] = state
        self.event_bus.publish(Event.with_resource("task.created", task_id, {}))
        return TaskHandle(state, self.event_bus.publisher())

    def create_task(self, name: str, task_type: str) -> TaskHandle:
        return self.create(TaskBuilder(name, task_type))

    def _state(self, task_id: str) -> _TaskState:
        with self._lock:
            state = self._tasks.get(task_id)
        if state is None:
            raise RuntimeError("Resource not found: %s" % task_id)
        return state

    def get(self, id: str) -> Optional[TaskInfo]:  # noqa: A002 (0.1's keyword)
        with self._lock:
            state = self._tasks.get(id)
        return None if state is None else state.info()

    def get_handle(self, id: str) -> Optional[TaskHandle]:  # noqa: A002
        with self._lock:
            state = self._tasks.get(id)
        return None if state is None else TaskHandle(state, self.event_bus.publisher())

    def list(self, filter: Optional[TaskFilter] = None) -> List[TaskInfo]:  # noqa: A002
        with self._lock:
            states = list(self._tasks.values())
        infos = [s.info() for s in states]
        return [i for i in infos if filter is None or filter.matches(i)]

    def list_active(self) -> List[TaskInfo]:
        return self.list(TaskFilter().active())

    def cancel(self, id: str) -> None:  # noqa: A002
        state = self._state(id)
        state.token.cancel()
        state.update(status=TaskStatus.CANCELLED, finished_at=time.time())
        self.event_bus.publisher().task_cancelled(id)

    def _transition(self, task_id: str, verb: str, source: TaskStatus, target: TaskStatus,
                    event_type: str) -> None:
        state = self._state(task_id)
        with state.lock:
            current = state.fields["status"]
            if current != source:
                raise RuntimeError("Invalid state: Cannot %s task in %s state" % (verb, current._name))
            state.fields["status"] = target
        self.event_bus.publish(Event.with_resource(event_type, task_id, {}))

    def pause(self, id: str) -> None:  # noqa: A002
        self._transition(id, "pause", TaskStatus.RUNNING, TaskStatus.PAUSED, "task.paused")

    def resume(self, id: str) -> None:  # noqa: A002
        self._transition(id, "resume", TaskStatus.PAUSED, TaskStatus.RUNNING, "task.resumed")

    def remove(self, id: str) -> None:  # noqa: A002
        state = self._state(id)
        status = state.info().status
        if not status.is_terminal():
            raise RuntimeError("Invalid state: Cannot remove task in %s state" % status._name)
        with self._lock:
            self._tasks.pop(id, None)

    def cleanup(self) -> None:
        """Removes finished tasks older than retention_seconds."""
        now = time.time()
        with self._lock:
            for task_id, state in list(self._tasks.items()):
                info = state.info()
                if (info.status.is_terminal() and info.finished_at is not None
                        and now - info.finished_at >= self._config.retention_seconds):
                    del self._tasks[task_id]

    def __repr__(self) -> str:
        with self._lock:
            return "TaskManager(tasks=%d)" % len(self._tasks)
