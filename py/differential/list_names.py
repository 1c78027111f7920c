"""Prints the public names of the installed ipckit and ipckit.ipckit, one
"<module> <name>" per line; run under ipckit==0.1.12 it made ipckit01_names.txt."""
import ipckit
import ipckit.ipckit

print("# Public names of ipckit==0.1.12 (PyPI), one per line: <module> <name>.")
print("# Made by: venv-with-ipckit-0.1.12/bin/python py/differential/list_names.py > py/differential/ipckit01_names.txt")
for label, module in (("ipckit", ipckit), ("ipckit.ipckit", ipckit.ipckit)):
    for name in sorted(dir(module)):
        if not name.startswith("_"):
            print(label, name)
