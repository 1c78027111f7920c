"""Every 0.1.12 name beyond the core five: its kind, its public attributes,
and each callable's parameters (names and defaults), as 0.1.12 declares them.
Names and members that only we have (ADDED) are left out: they are additions."""
import inspect
import os
from _common import report
import ipckit
import ipckit.ipckit as native

CORE = {"AnonymousPipe", "NamedPipe", "SharedMemory", "IpcChannel", "FileChannel"}
# Members beyond 0.1.12's, each documented in py/README.md.
ADDED = {"CancellationToken.wait", "LocalSocketListener.close", "LocalSocketStream.close", "Request.parse",
         "Response.to_bytes", "TaskInfo.to_dict", "MetricsSnapshot.of", "ChannelMetrics.meter",
         "EventBus.shared", "EventBus.close", "EventBus.__enter__", "EventBus.__exit__"}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ipckit01_names.txt")) as f:
    NAMES_01 = [line.split() for line in f if line.strip() and not line.startswith("#")]


def params(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return "<no signature>"
    out = []
    for p in sig.parameters.values():
        if p.name in ("self", "cls", "$self", "$cls", "type", "$type") and not out:
            continue
        out.append(p.name if p.default is p.empty else "%s=%r" % (p.name, p.default))
    return out


def describe(obj):
    if isinstance(obj, type):
        members = {}
        for name in sorted(dir(obj)):
            if name.startswith("_") and name not in ("__enter__", "__exit__"):
                continue
            if "%s.%s" % (obj.__name__, name) in ADDED:
                continue
            raw = inspect.getattr_static(obj, name)
            if isinstance(raw, property) or type(raw).__name__ == "getset_descriptor":
                members[name] = "property"
            elif isinstance(raw, (staticmethod, classmethod)) or type(raw).__name__ in (
                    "staticmethod", "builtin_function_or_method", "classmethod_descriptor"):
                members[name] = ["static"] + params(getattr(obj, name))
            elif callable(raw):
                members[name] = params(getattr(obj, name))
            else:
                members[name] = "value"
        return {"kind": "class", "members": members}
    if callable(obj):
        return {"kind": "function", "params": params(obj)}
    return {"kind": type(obj).__name__}


out = {}
modules = {"ipckit": ipckit, "ipckit.ipckit": native}
for label, name in NAMES_01:
    if name in CORE or name in ("ipckit",) or name.startswith("json_"):
        continue
    out["%s.%s" % (label, name)] = describe(getattr(modules[label], name, None))
report(out)
