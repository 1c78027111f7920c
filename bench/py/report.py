"""Machine facts and the report of one benchmark run.

    python report.py machine --out results/raw/machine.json   # before the run
    python report.py render --raw results/raw --out results   # after it

`render` reads every *.jsonl in --raw (one result per line, from the C++ and
Python benchmarks), checks the goals as ratios within this run, and writes
results.md, results.json and PNG plots into --out; it prints results.md.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import platform
import subprocess
import sys
from typing import Any, Callable, Iterable, Optional

KIB = 1024
MIB = 1024 * 1024

# Display order; methods not listed follow in the order they appear.
PY_RTT_ORDER = [
    "ipckit IpcChannel", "ipckit AnonymousPipe", "ipckit NamedPipe",
    "ipckit SharedMemory+handshake", "multiprocessing.Pipe", "raw os.pipe",
    "raw socket.socketpair", "pyzmq ipc:// PAIR", "iceoryx2 pub/sub", "posix_ipc MessageQueue",
]
JSON_ORDER = ["ipckit", "stdlib json", "orjson", "ujson", "msgspec"]
PAYLOAD_ORDER = ["small dict", "10 KB nested", "1 MB array"]


# --- machine facts ------------------------------------------------------------


def _first_line(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "unavailable"


def _git_dirty() -> Optional[bool]:
    """Whether the tree has changes besides bench/results (which a run rewrites);
    None when git cannot tell."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", ".", ":(exclude)bench/results"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return bool(out.stdout.strip()) if out.returncode == 0 else None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _versions(packages: Iterable[str]) -> dict[str, str]:
    from importlib import metadata

    found = {}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _dpkg_version(package: str) -> str:
    return _first_line(["dpkg-query", "-W", "-f=${Version}", package])


def machine_facts(cpu_latency: str) -> dict[str, Any]:
    load = os.getloadavg()
    idle_driver = _first_line(["cat", "/sys/devices/system/cpu/cpuidle/current_driver"])
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "os": _first_line(["sh", "-c", ". /etc/os-release && echo \"$PRETTY_NAME\""]),
        "python": platform.python_version(),
        "compiler": _first_line(["gcc", "--version"]),
        "bazel": "bazel-bootstrap " + _dpkg_version("bazel-bootstrap"),
        "node": _first_line(["node", "--version"]),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average_start": [round(x, 2) for x in load],
        "cpuidle_driver": idle_driver,
        "pm_qos_cpu_dma_latency_0": cpu_latency,
        "git_commit": _first_line(["git", "rev-parse", "--short", "HEAD"]),
        "git_dirty": _git_dirty(),
        "python_packages": _versions(["ipckit", "pyzmq", "iceoryx2", "posix_ipc", "orjson",
                                      "ujson", "msgspec", "matplotlib", "numpy"]),
        "debian_packages": {p: _dpkg_version(p) for p in ("libboost-dev", "libzmq3-dev")},
    }


# --- loading and looking up results -------------------------------------------


def load_results(raw_dir: str) -> list[dict[str, Any]]:
    records = []
    for path in sorted(glob.glob(os.path.join(raw_dir, "*.jsonl"))):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    records.append(json.loads(line))
    return records


class Results:
    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def of(self, suite: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["suite"] == suite]

    def find(self, suite: str, method: str, size: Optional[int] = None,
             payload: Optional[str] = None) -> Optional[dict[str, Any]]:
        for r in self.records:
            if (r["suite"] == suite and r["method"] == method and "skipped" not in r
                    and (size is None or r["size"] == size)
                    and (payload is None or r.get("payload") == payload)):
                return r
        return None

    def methods(self, suite: str, order: Iterable[str] = ()) -> list[str]:
        seen = [r["method"] for r in self.of(suite)]
        ordered = [m for m in order if m in seen]
        return ordered + [m for m in dict.fromkeys(seen) if m not in ordered]

    def sizes(self, suite: str) -> list[int]:
        return sorted({r["size"] for r in self.of(suite)})


def fmt_size(n: int) -> str:
    if n >= MIB and n % MIB == 0:
        return f"{n // MIB} MiB"
    if n >= KIB and n % KIB == 0:
        return f"{n // KIB} KiB"
    return f"{n} B"


def fmt_time(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e4:
        return f"{ns / 1e3:.0f} us"
    return f"{ns / 1e3:.1f} us"


# --- goals --------------------------------------------------------------------


def goals(res: Results) -> list[dict[str, Any]]:
    """Each goal as a ratio of two measurements from this run."""
    out: list[dict[str, Any]] = []

    def median(suite: str, method: str, size: Optional[int] = None,
               payload: Optional[str] = None) -> Optional[float]:
        r = res.find(suite, method, size, payload)
        return None if r is None else r["median_ns"]

    def mib_s(suite: str, method: str, size: Optional[int] = None) -> Optional[float]:
        r = res.find(suite, method, size, None)
        return None if r is None else r["median_mib_s"]

    def ratio_goal(name: str, num: Optional[float], den: Optional[float], op: str,
                   target: float, how: str) -> None:
        value = None if num is None or den is None or den == 0 else num / den
        if value is None:
            status = "N/A"
        elif op == "<=":
            status = "PASS" if value <= target else "MISS"
        else:
            status = "PASS" if value >= target else "MISS"
        out.append({"goal": name, "value": value, "op": op, "target": target,
                    "status": status, "how": how})

    ratio_goal("C++ IpcChannel RTT / raw UDS RTT @64 B",
               median("cc_rtt", "ipckit IpcChannel", 64), median("cc_rtt", "raw UDS", 64),
               "<=", 1.1, "median round trip, C++, two processes")
    py_channel = median("py_rtt", "ipckit IpcChannel", 64)
    ratio_goal("Python IpcChannel RTT / multiprocessing.Pipe RTT @64 B",
               py_channel, median("py_rtt", "multiprocessing.Pipe", 64), "<=", 0.5,
               "median round trip, Python, two processes")
    ratio_goal("Python IpcChannel RTT / raw socketpair RTT @64 B",
               py_channel, median("py_rtt", "raw socket.socketpair", 64), "<=", 1.3,
               "median round trip, Python, two processes")
    # asyncio (issue 14): ipckit.aio beside the blocking channel and asyncio
    # streams, all three against one blocking echo peer (bench/py/aio_bench.py).
    aio_channel = median("py_aio", "ipckit.aio IpcChannel", 64)
    ratio_goal("asyncio IpcChannel RTT / blocking IpcChannel RTT @64 B",
               aio_channel, median("py_aio", "ipckit IpcChannel (blocking)", 64), "<=", 1.3,
               "median round trip, Python, default event loop, one echo peer process")
    ratio_goal("asyncio IpcChannel RTT / asyncio streams over a Unix socket RTT @64 B",
               aio_channel, median("py_aio", "asyncio streams (Unix socket)", 64), "<=", 0.8,
               "median round trip, Python, the same peer and frames")
    # Throughput ratio = memcpy time / SharedMemory time (same bytes).
    ratio_goal("SharedMemory 1 MiB copy-in (Write) / memcpy, throughput",
               median("cc_shm", "memcpy", MIB), median("cc_shm", "SharedMemory.Write", MIB),
               ">=", 0.8, "median MiB/s, C++, segment mapped by a second process")
    ratio_goal("SharedMemory 1 MiB copy-out (Read) / memcpy, throughput",
               median("cc_shm", "memcpy", MIB), median("cc_shm", "SharedMemory.Read", MIB),
               ">=", 0.8, "median MiB/s, C++, Read returns a new std::string")
    ratio_goal("json_dumps speed-up over stdlib json.dumps, small dict",
               median("py_json_dumps", "stdlib json", payload="small dict"),
               median("py_json_dumps", "ipckit", payload="small dict"), ">=", 3.0,
               "median time per call, stdlib / ipckit")
    # Issue 14: loads >= 2x stdlib at every size; loads and dumps >= 0.8x orjson.
    for payload in PAYLOAD_ORDER:
        ratio_goal(f"json_loads speed-up over stdlib json.loads, {payload}",
                   median("py_json_loads", "stdlib json", payload=payload),
                   median("py_json_loads", "ipckit", payload=payload), ">=", 2.0,
                   "median time per call, stdlib / ipckit")
    for suite, fn in (("py_json_loads", "json_loads"), ("py_json_dumps", "json_dumps")):
        for payload in PAYLOAD_ORDER:
            ratio_goal(f"{fn} speed vs orjson, {payload} (stretch: 1.0)",
                       median(suite, "orjson", payload=payload),
                       median(suite, "ipckit", payload=payload), ">=", 0.8,
                       "median time per call, orjson / ipckit (orjson returns bytes, ipckit str)")
    # Zero-copy shared-memory messaging (issue 11).
    ratio_goal("C++ shm_msg one-way @64 B, busy-wait / raw atomic ping-pong (one cache line)",
               median("cc_shm_msg", "ipckit shm_msg one-way (busy)", 64),
               median("cc_shm_msg", "raw atomic ping-pong one-way (busy)", 64), "<=", 2.0,
               "median round trip / 2, C++, two processes")
    ratio_goal("C++ shm_msg RTT @64 B, futex waits / raw pipe RTT",
               median("cc_shm_msg", "ipckit shm_msg RTT (futex)", 64),
               median("cc_shm_msg", "raw pipe RTT", 64), "<=", 1.0,
               "median round trip, C++, two processes")
    ratio_goal("C++ shm_msg one-way throughput @64 B / ZeroMQ ipc:// PAIR",
               mib_s("cc_shm_msg", "ipckit shm_msg one-way throughput (hybrid)", 64),
               mib_s("cc_throughput", "ZeroMQ ipc:// PAIR", 64), ">=", 3.0,
               "median MiB/s of 20000-message batches, two processes, hybrid waits (ZeroMQ blocks)")
    ratio_goal("shm_msg 64 MiB loan fill / memcpy of 64 MiB, throughput",
               median("cc_shm_msg", "memcpy", 64 * MIB),
               median("cc_shm_msg", "ipckit shm_msg loan fill", 64 * MIB), ">=", 0.8,
               "median MiB/s, C++, memcpy into a loan vs a private buffer")
    ratio_goal("Python shm_msg one-way @64 B, busy-wait / iceoryx2 pub/sub busy-wait",
               median("py_shm_msg", "ipckit shm_msg one-way (busy)", 64),
               median("py_shm_msg", "iceoryx2 pub/sub one-way (busy)", 64), "<=", 1.0,
               "median round trip / 2, Python, two processes")
    for size in (MIB, 16 * MIB):
        ratio_goal(f"Python shm_msg RTT with loans @{fmt_size(size)} / iceoryx2 (busy-wait)",
                   median("py_shm_msg", "ipckit shm_msg RTT with loans (busy)", size),
                   median("py_shm_msg", "iceoryx2 pub/sub RTT with loans (busy)", size), "<=", 1.0,
                   "median round trip, Python, two processes; payload written into a loan")
    for frontend, label in (("Python", "Python backend <-> Python frontend"),
                            ("Node", "Python backend <-> Node frontend"),
                            ("Chromium page", "Python backend <-> Chromium page frontend (HTTP bridge)")):
        fc = median("py_file_channel", label)
        out.append({"goal": f"FileChannel request -> response median (Python <-> {frontend})",
                    "value": None if fc is None else fc / 1e6, "op": "<=", "target": 5.0,
                    "unit": "ms", "status": "N/A" if fc is None else ("PASS" if fc <= 5e6 else "MISS"),
                    "how": "median, backend send_request -> wait_response"})
    named = "Python backend <-> Node frontend, named readers"
    for after in ("3000 messages already sent", "1 s after one 5 MB message was consumed"):
        ratio_goal(f"FileChannel Node <-> Python request -> response, {after} / fresh channel",
                   median("py_file_channel", f"{named}, {after}"),
                   median("py_file_channel", f"{named}, fresh channel"), "<=", 1.5,
                   "median, backend send_request -> wait_response; both sides named readers (issue 13)")
    python_fc = median("py_file_channel", "Python backend <-> Python frontend")
    for frontend, label in (("Node", "Python backend <-> Node frontend"),
                            ("Node, named readers", f"{named}, fresh channel")):
        ratio_goal(f"FileChannel Node <-> Python request -> response / Python <-> Python ({frontend})",
                   median("py_file_channel", label), python_fc, "<=", 1.2,
                   "median, backend send_request -> wait_response (issue 13)")
    ratio_goal("FileChannel Chromium page <-> Python request -> response / one Chromium fetch() of a static file",
               median("py_file_channel", "Python backend <-> Chromium page frontend (HTTP bridge)"),
               median("py_file_channel", "Chromium fetch() of a static file (diagnostic: the floor of every bridge request)"),
               "<=", 1.3, "median; the page reads the bridge's event stream (issue 13)")
    return out


# --- Markdown ---------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def latency_table(res: Results, suite: str, order: Iterable[str] = ()) -> list[str]:
    sizes = res.sizes(suite)
    rows = []
    for method in res.methods(suite, order):
        row = [method]
        for size in sizes:
            r = next((x for x in res.of(suite) if x["method"] == method and x["size"] == size), None)
            if r is None:
                row.append("")
            elif "skipped" in r:
                row.append("n/a*")
            else:
                row.append(f"{fmt_time(r['median_ns'])} / {fmt_time(r['p99_ns'])}")
        rows.append(row)
    return table(["method"] + [f"{fmt_size(s) + ' ' if s else ''}median / p99" for s in sizes],
                 rows)


def throughput_table(res: Results, suite: str) -> list[str]:
    sizes = res.sizes(suite)
    rows = []
    for method in res.methods(suite):
        row = [method]
        for size in sizes:
            r = res.find(suite, method, size)
            if r is None:
                row.append("n/a")
                continue
            msgs = r["bytes_per_sample"] / size / (r["median_ns"] * 1e-9)
            row.append(f"{r['median_mib_s']:.0f} MiB/s ({msgs / 1e3:.0f} k msg/s)")
        rows.append(row)
    return table(["method"] + [f"{fmt_size(s)} messages" for s in sizes], rows)


def shm_table(res: Results) -> list[str]:
    sizes = res.sizes("cc_shm")
    rows = []
    for method in res.methods("cc_shm"):
        row = [method]
        for size in sizes:
            r = res.find("cc_shm", method, size)
            base = res.find("cc_shm", "memcpy", size)
            if r is None:
                row.append("n/a")
                continue
            rel = f" ({base['median_ns'] / r['median_ns']:.2f}x memcpy)" if base else ""
            row.append(f"{r['median_mib_s']:.0f} MiB/s, {fmt_time(r['median_ns'])}{rel}")
        rows.append(row)
    return table(["copy"] + [fmt_size(s) for s in sizes], rows)


def json_table(res: Results, suite: str) -> list[str]:
    payloads = [p for p in PAYLOAD_ORDER if any(r.get("payload") == p for r in res.of(suite))]
    rows = []
    for method in res.methods(suite, JSON_ORDER):
        row = [method]
        for payload in payloads:
            r = res.find(suite, method, payload=payload)
            base = res.find(suite, "stdlib json", payload=payload)
            if r is None:
                row.append("n/a")
                continue
            speedup = f" ({base['median_ns'] / r['median_ns']:.1f}x stdlib)" if base else ""
            row.append(f"{fmt_time(r['median_ns'])}{speedup}")
        rows.append(row)
    sizes = {r["payload"]: r["size"] for r in res.of(suite) if "payload" in r}
    return table(["library"] + [f"{p} ({sizes[p]:,} B)" for p in payloads], rows)


def goals_table(goal_rows: list[dict[str, Any]]) -> list[str]:
    rows = []
    for g in goal_rows:
        unit = g.get("unit", "")
        value = "n/a" if g["value"] is None else (
            f"{g['value']:.2f} {unit}".strip() if unit else f"{g['value']:.2f}")
        target = f"{g['op']} {g['target']:g} {unit}".strip()
        rows.append([g["goal"], value, target, f"**{g['status']}**", g["how"]])
    return table(["goal", "measured", "target", "status", "how"], rows)


def render_markdown(res: Results, machine: dict[str, Any], goal_rows: list[dict[str, Any]],
                    load_end: list[float], mode: str, plots: list[str]) -> str:
    lines = [f"# ipckit benchmarks ({mode} run)", "",
             f"Generated by `bench/run.sh{' --quick' if mode == 'quick' else ''}` on "
             f"{machine.get('date_utc', '?')} UTC, commit {machine.get('git_commit', '?')}"
             f"{'' if machine.get('git_dirty') is False else ' (plus uncommitted work in the tree)'}. "
             "Every number is measured in this one run;",
             "claims are the ratios between methods, not absolute times: the machine is shared "
             "with other engineers compiling (see the load average).", "",
             "## Machine", ""]
    pk = machine.get("python_packages", {})
    deb = machine.get("debian_packages", {})
    lines += table(["", ""], [
        ["CPU", f"{machine.get('cpu_model')} ({machine.get('cores')} cores)"],
        ["memory", f"{machine.get('memory_gib')} GiB"],
        ["OS / kernel", f"{machine.get('os')} / Linux {machine.get('kernel')}"],
        ["Python", str(machine.get("python"))],
        ["C++ compiler", f"{machine.get('compiler')} (Bazel `-c opt`, {machine.get('bazel')})"],
        ["Node", str(machine.get("node"))],
        ["load average (1/5/15 min)", f"start {machine.get('load_average_start')}, "
                                      f"end {load_end}"],
        ["CPU idle", f"cpuidle driver {machine.get('cpuidle_driver')}; PM QoS "
                     f"cpu_dma_latency=0 (idle CPUs poll): {machine.get('pm_qos_cpu_dma_latency_0')}"],
        ["ipckit", pk.get("ipckit", "?")],
        ["Python peers", ", ".join(f"{k} {v}" for k, v in pk.items() if k != "ipckit")],
        ["C++ peers", ", ".join(f"{k} {v}" for k, v in deb.items())],
    ])
    lines += ["", "## Goals", ""] + goals_table(goal_rows)
    sections: list[tuple[str, str, Callable[[], list[str]]]] = [
        ("Python round-trip latency", "py_rtt",
         lambda: latency_table(res, "py_rtt", PY_RTT_ORDER)),
        ("Python per-call cost without wake-ups (diagnostic)", "py_call_overhead",
         lambda: latency_table(res, "py_call_overhead")),
        ("Python asyncio round trips (one blocking echo peer)", "py_aio",
         lambda: latency_table(res, "py_aio")),
        ("C++ round-trip latency", "cc_rtt", lambda: latency_table(res, "cc_rtt")),
        ("C++ one-way throughput", "cc_throughput", lambda: throughput_table(res, "cc_throughput")),
        ("SharedMemory bulk copies (C++)", "cc_shm", lambda: shm_table(res)),
        ("Zero-copy shared-memory messaging (C++)", "cc_shm_msg",
         lambda: latency_table(res, "cc_shm_msg")),
        ("Zero-copy shared-memory messaging (Python, vs iceoryx2)", "py_shm_msg",
         lambda: latency_table(res, "py_shm_msg")),
        ("Python JSON encode (dumps)", "py_json_dumps", lambda: json_table(res, "py_json_dumps")),
        ("Python JSON decode (loads)", "py_json_loads", lambda: json_table(res, "py_json_loads")),
        ("FileChannel request -> response", "py_file_channel",
         lambda: latency_table(res, "py_file_channel")),
    ]
    for title, suite, make in sections:
        if res.of(suite):
            lines += ["", f"## {title}", ""] + make()
    skipped = [r for r in res.records if "skipped" in r]
    if skipped:
        lines += ["", "## Not measured", ""]
        lines += [f"- *{r['suite']}* {r['method']}"
                  f"{' at ' + fmt_size(r['size']) if r['size'] else ''}: {r['skipped']}"
                  for r in skipped]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    lines += ["", "## How it is measured", "",
              "- Idle CPUs: with PM QoS held (see the machine table) idle vCPUs poll instead "
              "of halting; without it, waking a process on a halted vCPU of this VM costs "
              "~50 us and round trips flip between ~5 and ~60 us with the machine's load.",
              "- Latency: a round trip (send, receive the echo) between two separate processes, "
              "each sample one round trip timed with a monotonic clock, after a warm-up; "
              "median and p99 (nearest rank). Methods take turns in rounds, each round with a "
              "fresh peer process, so load changes hit all alike.",
              "- Throughput: batches of messages one way, then a 1-byte acknowledgement; a "
              "sample is one batch.",
              "- JSON: a sample is a batch of calls divided by its length, in thread CPU time; "
              "libraries take turns.",
              "- Raw baselines (pipes, UDS, socketpair) carry no framing: both sides know the "
              "size. ipckit's channel frames every message (4-byte length header).",
              "- Details and the methods' exact calls: bench/README.md.", ""]
    return "\n".join(lines)


# --- plots ------------------------------------------------------------------


def render_plots(res: Results, out_dir: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[str] = []

    def style(method: str) -> dict[str, Any]:
        ours = method.startswith("ipckit") or method in ("SharedMemory.Write", "SharedMemory.Read")
        return {"linewidth": 2.4 if ours else 1.3, "linestyle": "-" if ours else "--",
                "marker": "o", "markersize": 4}

    def latency_plot(suite: str, title: str, filename: str, order: Iterable[str] = ()) -> None:
        if not res.of(suite):
            return
        fig, ax = plt.subplots(figsize=(9, 6))
        for method in res.methods(suite, order):
            points = [(r["size"], r["median_ns"] / 1e3) for r in res.of(suite)
                      if r["method"] == method and "skipped" not in r]
            if points:
                xs, ys = zip(*sorted(points))
                ax.plot(xs, ys, label=method, **style(method))
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("message size (bytes)")
        ax.set_ylabel("median round trip (us), log scale")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, filename), dpi=110)
        plt.close(fig)
        written.append(filename)

    latency_plot("py_rtt", "Python round-trip latency between two processes",
                 "py_rtt.png", PY_RTT_ORDER)
    latency_plot("cc_rtt", "C++ round-trip latency between two processes", "cc_rtt.png")

    if res.of("cc_throughput"):
        fig, ax = plt.subplots(figsize=(9, 6))
        for method in res.methods("cc_throughput"):
            points = [(r["size"], r["median_mib_s"]) for r in res.of("cc_throughput")
                      if r["method"] == method and "skipped" not in r]
            if points:
                xs, ys = zip(*sorted(points))
                ax.plot(xs, ys, label=method, **style(method))
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("message size (bytes)")
        ax.set_ylabel("median throughput (MiB/s), log scale")
        ax.set_title("C++ one-way throughput between two processes")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "cc_throughput.png"), dpi=110)
        plt.close(fig)
        written.append("cc_throughput.png")

    if res.of("cc_shm"):
        sizes = res.sizes("cc_shm")
        methods = res.methods("cc_shm")
        fig, axes = plt.subplots(1, len(sizes), figsize=(5 * len(sizes), 5), squeeze=False)
        for ax, size in zip(axes[0], sizes):
            values = [(m, res.find("cc_shm", m, size)) for m in methods]
            values = [(m, r["median_mib_s"]) for m, r in values if r]
            ax.barh([m for m, _ in values], [v for _, v in values],
                    color=["tab:gray" if m == "memcpy" else "tab:blue" for m, _ in values])
            ax.set_title(f"{fmt_size(size)} copies")
            ax.set_xlabel("median MiB/s")
            ax.invert_yaxis()
        fig.suptitle("SharedMemory bulk copies beside memcpy (C++)")
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "cc_shm.png"), dpi=110)
        plt.close(fig)
        written.append("cc_shm.png")

    def latency_bars(suite: str, size: int, title: str, filename: str) -> None:
        # Median and p99 of each latency row at one size; throughput, fill and
        # memcpy rows of the suite are in its table, not here.
        rows = [r for r in res.of(suite) if r["size"] == size and "skipped" not in r
                and not any(w in r["method"] for w in ("throughput", "fill", "memcpy"))]
        if not rows:
            return
        fig, ax = plt.subplots(figsize=(10, 0.5 * len(rows) + 1.5))
        names = [r["method"] for r in rows]
        ys = range(len(rows))
        ax.barh([y - 0.2 for y in ys], [r["median_ns"] / 1e3 for r in rows], 0.4, label="median",
                color=["tab:blue" if n.startswith("ipckit") else "tab:gray" for n in names])
        ax.barh([y + 0.2 for y in ys], [r["p99_ns"] / 1e3 for r in rows], 0.4, label="p99",
                color="none", edgecolor="black", hatch="//")
        ax.set_yticks(list(ys))
        ax.set_yticklabels(names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("microseconds, log scale (solid: median; hatched: p99)")
        ax.set_title(title)
        ax.grid(True, axis="x", which="both", alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, filename), dpi=110)
        plt.close(fig)
        written.append(filename)

    latency_bars("cc_shm_msg", 64, "C++ zero-copy messaging at 64 B beside its floors and peers",
                 "cc_shm_msg.png")
    latency_plot("py_shm_msg", "Python zero-copy messaging beside iceoryx2", "py_shm_msg.png")

    if res.of("py_json_dumps"):
        fig, axes = plt.subplots(1, 2, figsize=(12, 5))
        for ax, suite, title in ((axes[0], "py_json_dumps", "encode (dumps)"),
                                 (axes[1], "py_json_loads", "decode (loads)")):
            payloads = [p for p in PAYLOAD_ORDER if res.find(suite, "stdlib json", payload=p)]
            methods = res.methods(suite, JSON_ORDER)
            width = 0.8 / max(len(methods), 1)
            for i, method in enumerate(methods):
                speedups = []
                for p in payloads:
                    r = res.find(suite, method, payload=p)
                    base = res.find(suite, "stdlib json", payload=p)
                    speedups.append(base["median_ns"] / r["median_ns"] if r and base else 0)
                ax.bar([x + i * width for x in range(len(payloads))], speedups, width,
                       label=method)
            ax.set_xticks([x + width * (len(methods) - 1) / 2 for x in range(len(payloads))])
            ax.set_xticklabels(payloads)
            ax.axhline(1.0, color="black", linewidth=0.8)
            ax.set_ylabel("speed-up over stdlib json (median)")
            ax.set_title(f"Python JSON {title}")
            ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "py_json.png"), dpi=110)
        plt.close(fig)
        written.append("py_json.png")
    return written


# --- entry points -------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    machine = sub.add_parser("machine")
    machine.add_argument("--out", required=True)
    machine.add_argument("--cpu-latency", default="not requested",
                         help="whether run.sh holds cpu_dma_latency at 0")
    render = sub.add_parser("render")
    render.add_argument("--raw", required=True)
    render.add_argument("--out", required=True)
    render.add_argument("--mode", default="full")
    options = parser.parse_args()

    if options.command == "machine":
        with open(options.out, "w") as f:
            json.dump(machine_facts(options.cpu_latency), f, indent=2)
        return

    load_end = [round(x, 2) for x in os.getloadavg()]
    with open(os.path.join(options.raw, "machine.json")) as f:
        facts = json.load(f)
    res = Results(load_results(options.raw))
    goal_rows = goals(res)
    plots = render_plots(res, options.out)
    markdown = render_markdown(res, facts, goal_rows, load_end, options.mode, plots)
    with open(os.path.join(options.out, "results.md"), "w") as f:
        f.write(markdown)
    with open(os.path.join(options.out, "results.json"), "w") as f:
        json.dump({"mode": options.mode, "machine": facts, "load_average_end": load_end,
                   "goals": goal_rows, "results": res.records}, f, indent=1)
    sys.stdout.write(markdown)


if __name__ == "__main__":
    main()
