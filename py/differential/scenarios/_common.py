"""Shared by the scenario programs: print the result as one JSON line."""
import json
import sys


def report(result) -> None:
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
