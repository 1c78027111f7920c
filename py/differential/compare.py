"""Compares one scenario's results under ipckit 0.1.12 and under ours, key by
key. A differing key fails unless deliberate.txt lists "<scenario>.<key>"
with a reason. Usage: compare.py SCENARIO OURS.json THEIRS.json DELIBERATE.txt
Prints one line per difference; exits 1 if any is not listed."""
import json
import sys

scenario, ours_path, theirs_path, listed_path = sys.argv[1:5]
with open(listed_path) as f:
    listed = {}
    for line in f:
        if line.strip() and not line.startswith("#"):
            key, _, reason = line.strip().partition(" ")
            listed[key] = reason.strip()


def load(path):
    with open(path) as f:
        text = f.read().strip().splitlines()
    return json.loads(text[-1]) if text else {"<no output>": True}


ours, theirs = load(ours_path), load(theirs_path)
failed = False
for key in sorted(set(ours) | set(theirs)):
    a, b = ours.get(key, "<missing>"), theirs.get(key, "<missing>")
    if a == b:
        continue
    name = "%s.%s" % (scenario, key)
    if name in listed and listed[name]:
        print("  deliberate %s: %s" % (name, listed[name]))
    else:
        failed = True
        print("  DIFFERENT %s\n    ours:   %s\n    0.1.12: %s" % (name, json.dumps(a)[:400], json.dumps(b)[:400]))
sys.exit(1 if failed else 0)
