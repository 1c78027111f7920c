"""ApiClient, CliBridge and wrap_command against an ApiServer in another
process (argv[1]: its socket path; the server is always ours: 0.1 has none)."""
import os
import sys
from _common import report
import ipckit

path = sys.argv[1]
client = ipckit.ApiClient(path, 5000)
out = {"timeout": client.get_timeout(), "config": repr(ipckit.ApiServerConfig(path)).replace(path, "<sock>")}
created = client.post("/v1/tasks", {"name": "direct", "type": "t"})
out["created"] = [created["name"], created["status"]]
bridge = ipckit.CliBridge.connect_with_config(ipckit.CliBridgeConfig(path))
task_id = bridge.register_task("Export", "export")
bridge.set_progress(40, "forty")
bridge.log("info", "hello")
bridge.stdout("out line")
got = client.get("/v1/tasks/" + task_id)
out["bridge_task"] = [got["name"], got["task_type"], got["progress"], got["progress_message"], got["status"]]
bridge.complete({"files": 3})
got = client.get("/v1/tasks/" + task_id)
out["bridge_done"] = [got["status"], got["result"]]
os.environ["IPCKIT_SERVER_URL"] = path
result = ipckit.wrap_command([sys.executable, "-c", "print('3/4'); import sys; sys.exit(2)"], task_name="wrapped")
out["wrapped"] = [result.exit_code, result.stdout, result.stderr, result.success]
tasks = client.get("/v1/tasks")
out["listed"] = sorted([t["name"], t["status"]] for t in tasks)
out["not_found"] = client.get("/v1/nothing")
try:
    ipckit.ApiClient(path + ".none").get("/v1/tasks")
    out["no_server"] = None
except Exception as e:
    out["no_server"] = [isinstance(e, FileNotFoundError), isinstance(e, RuntimeError)]
r = ipckit.Response(201)
r.set_header("X-A", "b")
r.set_json({"k": 1})
out["responses"] = [repr(x) for x in (r, ipckit.Response(), ipckit.Response.ok([1]), ipckit.Response.created(2),
                                      ipckit.Response.no_content(), ipckit.Response.bad_request("m"),
                                      ipckit.Response.not_found(), ipckit.Response.internal_error("e"))]
out["progress_info"] = repr(ipckit.ProgressInfo(1, 3))
report(out)
