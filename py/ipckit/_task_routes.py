"""The /v1/tasks endpoints of ApiServer, backed by a TaskManager: what
0.1.12's CliBridge posts, and what a GUI reads to list tasks and progress.

    GET  /v1/tasks                  -> [TaskInfo as JSON, ...]   (?active=true for active only)
    GET  /v1/tasks/{id}             -> TaskInfo as JSON, or 404
    POST /v1/tasks                  {"id"?, "name", "type", "status"?}  -> 201 TaskInfo
    POST /v1/tasks/{id}/progress    {"progress", "message"}
    POST /v1/tasks/{id}/logs        {"level", "message"}
    POST /v1/tasks/{id}/stdout|stderr  {"line"}
    POST /v1/tasks/{id}/complete    {"result"}
    POST /v1/tasks/{id}/fail        {"error"}
    POST /v1/tasks/{id}/cancel|pause|resume

A task registered with its own id (CliBridge sends "cli-<pid>-<ms>") keeps
that id. Every reply is a JSON object, since 0.1's ApiClient parses the body.
"""

from ipckit._http_message import Request, Response


def add_task_routes(server, manager) -> None:
    def task_json(handle):
        return handle.info().to_dict()

    def handle_of(request: Request):
        return manager.get_handle(request.path_param("id"))

    def list_tasks(request: Request) -> Response:
        infos = manager.list_active() if request.query_param("active") == "true" else manager.list()
        return Response.ok([info.to_dict() for info in infos])

    def get_task(request: Request) -> Response:
        handle = handle_of(request)
        return Response.not_found() if handle is None else Response.ok(task_json(handle))

    def create_task(request: Request) -> Response:
        body = request.body if isinstance(request.body, dict) else {}
        name, task_type = body.get("name"), body.get("type", "custom")
        if not isinstance(name, str) or not isinstance(task_type, str):
            return Response.bad_request("a task needs a string name and type")
        requested_id = body.get("id")
        if requested_id is not None and not isinstance(requested_id, str):
            return Response.bad_request("id must be a string")
        handle = manager._create_with_id(name, task_type, requested_id)
        if handle is None:
            return Response.bad_request("task %s already exists" % requested_id)
        if body.get("status", "running") == "running":
            handle.start()
        return Response.created(task_json(handle))

    def on_task(action):
        def handler(request: Request) -> Response:
            handle = handle_of(request)
            if handle is None:
                return Response.not_found()
            body = request.body if isinstance(request.body, dict) else {}
            try:
                action(handle, body)
            except (TypeError, ValueError, OverflowError, RuntimeError) as e:
                return Response.bad_request(str(e))
            return Response.ok(task_json(handle))
        return handler

    def progress(handle, body):
        value = body.get("progress")
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError("progress must be an integer")
        message = body.get("message")
        handle.set_progress(max(0, min(value, 100)), message if isinstance(message, str) else None)

    actions = {
        "progress": progress,
        "logs": lambda h, b: h.log(str(b.get("level", "info")), str(b.get("message", ""))),
        "stdout": lambda h, b: h.stdout(str(b.get("line", ""))),
        "stderr": lambda h, b: h.stderr(str(b.get("line", ""))),
        "complete": lambda h, b: h.complete(b.get("result")),
        "fail": lambda h, b: h.fail(str(b.get("error", ""))),
        "cancel": lambda h, b: manager.cancel(h.id),
        "pause": lambda h, b: manager.pause(h.id),
        "resume": lambda h, b: manager.resume(h.id),
    }
    server.route("GET", "/v1/tasks", list_tasks)
    server.route("POST", "/v1/tasks", create_task)
    server.route("GET", "/v1/tasks/{id}", get_task)
    for name, action in actions.items():
        server.route("POST", "/v1/tasks/{id}/" + name, on_task(action))
