"""Serves ApiServer with a TaskManager at argv[1] until stdin closes; prints
"ready" once bound. Always runs on our ipckit (0.1.12 has no Python server)."""
import sys

from ipckit.ipckit import ApiServer, ApiServerConfig, TaskManager

server = ApiServer(ApiServerConfig(sys.argv[1]), task_manager=TaskManager()).start()
print("ready", flush=True)
sys.stdin.read()
server.close()
