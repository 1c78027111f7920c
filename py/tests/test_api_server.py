"""ApiServer: the /v1/tasks endpoints fed by a CliBridge in another process,
close() waking idle connections, and a hostile client ending only its own
connection (spec/api_server.md)."""
import os
import struct
import subprocess
import sys
import threading

import pytest

import ipckit
from ipckit.ipckit import TaskManager


@pytest.fixture
def served():
    path = "/tmp/test_api_server_%d.sock" % os.getpid()
    manager = TaskManager()
    server = ipckit.ApiServer(ipckit.ApiServerConfig(path), task_manager=manager).start()
    yield path, manager, server
    server.close()


def test_cli_bridge_in_another_process_reports_progress(served):
    path, manager, _ = served
    child = subprocess.run([sys.executable, "-c", """
import sys, ipckit
bridge = ipckit.CliBridge.connect()
task_id = bridge.register_task("Render", "render")
bridge.set_progress(70, "frame 7/10")
print(task_id)
"""], env=dict(os.environ, IPCKIT_SERVER_URL=path), capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    task_id = child.stdout.strip()
    info = manager.get(task_id)
    assert (info.name, info.progress, info.progress_message, str(info.status)) == (
        "Render", 70, "frame 7/10", "running")
    active = ipckit.ApiClient(path, 5000).get("/v1/tasks?active=true")
    assert [t["id"] for t in active] == [task_id]


def test_unknown_task_and_bad_progress_are_client_errors(served):
    path, manager, _ = served
    client = ipckit.ApiClient(path, 5000)
    assert client.get("/v1/tasks/nope") == {"error": "Not Found"}
    task_id = client.post("/v1/tasks", {"name": "t", "type": "x"})["id"]
    reply = client.post("/v1/tasks/%s/progress" % task_id, {"progress": "lots"})
    assert reply["error"] == "Bad Request"
    assert manager.get(task_id).progress == 0


def test_close_wakes_idle_connections_and_removes_the_socket(served):
    path, _, server = served
    idle = ipckit.NamedPipe.connect(path, timeout=5)
    before = threading.active_count()
    server.close()
    assert not os.path.exists(path)
    assert threading.active_count() < before  # the idle connection's thread ended
    assert idle.read(1, timeout=5) == b""     # and its peer sees the end
    idle.close()


def test_a_hostile_length_ends_only_that_connection(served):
    path, _, _ = served
    hostile = ipckit.NamedPipe.connect(path, timeout=5)
    hostile.write_all(struct.pack("<I", 0xFFFFFFFF), timeout=5)
    assert hostile.read(1, timeout=5) == b""  # refused before allocating: closed
    hostile.close()
    assert ipckit.ApiClient(path, 5000).get("/v1/tasks") == []
