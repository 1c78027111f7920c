"""dir(ipckit) and dir(ipckit.ipckit) hold every public name of ipckit 0.1.12
(list generated from the real package: py/differential/ipckit01_names.txt)."""
import os
import threading

import ipckit
import ipckit.ipckit

NAMES = os.path.join(os.environ.get("IPCKIT_REPO_ROOT", os.path.join(os.path.dirname(__file__), "..", "..")),
                     "py", "differential", "ipckit01_names.txt")


def ipckit01_names():
    with open(NAMES) as f:
        return [line.split() for line in f if line.strip() and not line.startswith("#")]


def test_every_ipckit01_name_is_present():
    names = ipckit01_names()
    assert len(names) > 50
    modules = {"ipckit": ipckit, "ipckit.ipckit": ipckit.ipckit}
    missing = [(m, n) for m, n in names if n not in dir(modules[m])]
    assert missing == []


def test_json_keeps_its_keyword_names():
    assert ipckit.json_dumps(obj={"a": 1}) == '{"a":1}'
    assert ipckit.json_dumps_pretty(obj=[1]) == "[\n  1\n]"
    assert ipckit.json_loads(s="[1, 2]") == [1, 2]


def test_graceful_shutdown_wakes_a_blocked_recv_in_another_thread():
    name = "test_graceful_%d" % os.getpid()
    server = ipckit.GracefulIpcChannel.create(name)
    client = ipckit.IpcChannel.connect(name, timeout=10)
    server.wait_for_client()
    entered = threading.Event()
    outcome = []

    def blocked():
        entered.set()
        try:
            server.recv()
        except ipckit.ClosedError as e:
            outcome.append(e)

    thread = threading.Thread(target=blocked, daemon=True)
    thread.start()
    entered.wait()
    assert server._state.wait_running(1, 30)  # recv is inside its wait
    server.shutdown()
    thread.join(10)
    assert not thread.is_alive() and len(outcome) == 1
    assert server.is_shutdown
    client.close()


def test_task_routes_serve_cli_bridge_progress():
    path = "/tmp/test_api_%d.sock" % os.getpid()
    manager = ipckit.ipckit.TaskManager()
    server = ipckit.ApiServer(ipckit.ApiServerConfig(path), task_manager=manager).start()
    try:
        bridge = ipckit.CliBridge.connect_with_config(ipckit.CliBridgeConfig(path))
        task_id = bridge.register_task("Export", "export")
        bridge.set_progress(55, "half")
        listed = ipckit.ApiClient(path, 5000).get("/v1/tasks")
        assert [(t["id"], t["progress"], t["status"]) for t in listed] == [(task_id, 55, "running")]
        bridge.complete({"files": 3})
        assert manager.get(task_id).result == {"files": 3}
    finally:
        server.close()


def test_native_module_stubs_match_the_runtime():
    """ipckit/ipckit.pyi stubs each class only ipckit.ipckit has, member for member."""
    import ast
    import pathlib

    tree = ast.parse((pathlib.Path(ipckit.__file__).parent / "ipckit.pyi").read_text())
    stubbed = {node.name: {item.name for item in node.body if isinstance(item, ast.FunctionDef)}
               for node in tree.body if isinstance(node, ast.ClassDef)}
    # A class the stub re-exports from its runtime module (TaskStatus) is that class itself.
    reexported = {alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
                  and (node.module or "").startswith("ipckit._") for alias in node.names
                  if alias.asname == alias.name}
    native_only = [n for m, n in ipckit01_names() if m == "ipckit.ipckit" and not hasattr(ipckit, n)]
    assert len(native_only) == 16
    for name in native_only:
        if name in reexported:
            continue
        cls = getattr(ipckit.ipckit, name)
        runtime = {n for n in vars(cls) if (not n.startswith("_") or n in ("__init__", "__enter__", "__exit__"))
                   and (callable(vars(cls)[n]) or isinstance(vars(cls)[n], (property, staticmethod, classmethod)))}
        runtime -= {n for n in runtime if isinstance(vars(cls)[n], cls)}  # TaskStatus.RUNNING etc.
        members = {n for n in stubbed[name] if not n.startswith("_") or n in ("__init__", "__enter__", "__exit__")}
        assert runtime == members, name


def test_negative_shared_memory_size_is_an_overflow_error_as_in_ipckit01():
    name = "test_negative_%d" % os.getpid()
    try:
        ipckit.SharedMemory.create(name, -1)
    except OverflowError as e:
        assert isinstance(e, ipckit.InvalidArgumentError)
    else:
        raise AssertionError("SharedMemory.create(name, -1) did not raise")
