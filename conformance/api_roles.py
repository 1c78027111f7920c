"""Live roles over ipckit 0.1.12's API-server and LocalSocket APIs, shared by
the py and ipckit01 testees: both packages spell these classes the same way,
so one copy drives either (the `ipckit` package is passed in).

    roles = api_roles.roles(ipckit, classify)   # {"api_client": fn, "local_listener": fn, ...}

The API server role needs ipckit.ApiServer, which only ours has; the others
run on both. See conformance/protocol.md, "Roles" and "Steps".
"""

import json

import testee_io


def _compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _task_rows(tasks):
    return sorted([t["name"], t["task_type"], t["status"], t["progress"], t["progress_message"]] for t in tasks)


def roles(ipckit, classify):
    import ipckit.ipckit as native

    def socket_path(req):
        return "/tmp/%s.sock" % req["name"]

    def api_server_role(req, ready):
        manager = native.TaskManager()
        server = ipckit.ApiServer(ipckit.ApiServerConfig(socket_path(req)), task_manager=manager).start()
        ready()

        def step(s, results):
            if s["do"] == "tasks":
                rows = sorted([i.name, i.task_type, str(i.status), i.progress, i.progress_message,
                               _compact(i.result)] for i in manager.list())
                return {"tasks": rows}
            raise ValueError("unknown step %r" % s["do"])
        try:
            return testee_io.run_steps(req["steps"], step, classify)
        finally:
            server.close()

    def api_client_role(req, ready):
        client = ipckit.ApiClient(socket_path(req), req["timeout_ms"])
        ready()

        def step(s, results):
            kind = s["do"]
            if kind == "get":
                return {"body_json": _compact(client.get(s["path"]))}
            if kind == "get_tasks":
                return {"tasks": _task_rows(client.get("/v1/tasks"))}
            if kind == "post_task":
                reply = client.post("/v1/tasks", {"name": s["name"], "type": s["type"]})
                return {"name": reply["name"], "status": reply["status"]}
            if kind == "bridge":
                bridge = ipckit.CliBridge.connect_with_config(ipckit.CliBridgeConfig(socket_path(req)))
                task_id = bridge.register_task(s["name"], s["type"])
                bridge.set_progress(s["progress"], s["message"])
                bridge.complete(json.loads(s["result_json"]))
                return {"task_id_prefix": task_id.split("-")[0]}
            raise ValueError("unknown step %r" % kind)
        return testee_io.run_steps(req["steps"], step, classify)

    def local_role(req, ready):
        if req["role"] == "local_listener":
            listener = native.LocalSocketListener.bind(req["name"])
            ready()
            stream = listener.accept()
        else:
            stream = native.LocalSocketStream.connect(req["name"])
            ready()

        def step(s, results):
            kind = s["do"]
            if kind == "write":
                stream.write_all(bytes.fromhex(s["hex"]))
                return None
            if kind == "read":
                return {"hex": stream.read_exact(s["size"]).hex()}
            if kind == "send_json":
                stream.send_json(json.loads(s["value_json"]))
                return None
            if kind == "recv_json":
                return {"canonical": _compact(stream.recv_json())}
            raise ValueError("unknown step %r" % kind)
        try:
            return testee_io.run_steps(req["steps"], step, classify)
        finally:
            getattr(stream, "close", lambda: None)()
            if req["role"] == "local_listener":
                getattr(listener, "close", lambda: None)()

    found = {"api_client": api_client_role, "local_listener": local_role, "local_stream": local_role}
    if hasattr(ipckit, "ApiServer"):
        found["api_server"] = api_server_role
    return found
