"""TaskManager: lifecycle, pause/resume, cancellation, filters, removal."""
import json
from _common import report
from ipckit.ipckit import (CancellationToken, TaskBuilder, TaskFilter, TaskManager, TaskManagerConfig,
                           TaskStatus)

tm = TaskManager(TaskManagerConfig(retention_seconds=0))
a = tm.create(TaskBuilder("A", "build").label("env", "ci").metadata("k", [1, 2]))
b = tm.create_task("B", "test")
out = {"ids": [a.id, b.id], "initial": [str(a.status), a.progress]}

def err(fn):
    try:
        fn()
        return None
    except Exception as e:
        return type(e).__name__

out["pause_pending"] = err(lambda: tm.pause(a.id))
a.start(); a.set_progress(150, "half")
out["running"] = [str(a.status), a.progress, a.info().progress_message]
tm.pause(a.id)
out["paused"] = [str(tm.get(a.id).status), err(lambda: tm.pause(a.id))]
tm.resume(a.id)
out["resumed"] = str(tm.get(a.id).status)
a.complete({"n": 1})
info = tm.get(a.id)
out["completed"] = [str(info.status), info.progress, info.progress_message, info.result, info.get_labels(),
                    info.get_metadata()]
d = json.loads(info.to_json())
out["to_json_keys"] = sorted(d)
token = b.cancel_token()
tm.cancel(b.id)
out["cancelled"] = [str(tm.get(b.id).status), b.is_cancelled, token.is_cancelled]
out["filters"] = [[t.name for t in tm.list(TaskFilter().status(TaskStatus.COMPLETED))],
                  [t.name for t in tm.list(TaskFilter().label("env", "ci"))],
                  len(tm.list_active()), sorted(t.name for t in tm.list())]
out["errors"] = [err(lambda: tm.cancel("missing")), tm.get("missing"), tm.get_handle("missing")]
c = tm.create_task("C", "x")
out["remove_active"] = err(lambda: tm.remove(c.id))
tm.remove(a.id)
out["after_remove"] = tm.get(a.id)
c.fail("bad")
out["failed"] = [str(tm.get(c.id).status), tm.get(c.id).error]
tm.cleanup()
out["after_cleanup"] = sorted(t.name for t in tm.list())
t = CancellationToken(); child = t.child(); t.cancel()
out["token"] = [t.is_cancelled, child.is_cancelled]
out["status"] = [TaskStatus.RUNNING.is_active(), TaskStatus.FAILED.is_terminal(), repr(TaskStatus.PAUSED),
                 TaskStatus.PENDING == TaskStatus.PENDING]
report(out)
