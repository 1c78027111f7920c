#!/usr/bin/env bash
# Runs every ipckit benchmark beside its peers, in one run, and writes
# bench/results/{results.md,results.json,*.png}. See bench/README.md.
#
#   bench/run.sh              # full run (~5-10 min on 2 cores)
#   bench/run.sh --quick      # under 2 minutes, fewer iterations
#   bench/run.sh --no-pm-qos  # let idle CPUs halt (see py/hold_cpu_latency.py)
#
# Builds what it needs (Bazel -c opt: the C++ benchmarks and the Python
# wheel), keeps the Python peers in a venv at $IPCKIT_BENCH_VENV (default
# ~/.cache/ipckit-bench/venv, pinned by bench/requirements.txt), prints
# progress, then the Markdown report.
set -euo pipefail

mode=full
pm_qos=1
for arg in "$@"; do
  case "$arg" in
    --quick) mode=quick ;;
    --no-pm-qos) pm_qos=0 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$arg' (use --quick, --no-pm-qos)" >&2; exit 2 ;;
  esac
done

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench/.." && pwd)"
venv="${IPCKIT_BENCH_VENV:-$HOME/.cache/ipckit-bench/venv}"
results="$bench/results"
raw="$results/raw"
cd "$root"

say() { printf '\n== %s\n' "$*" >&2; }
started=$SECONDS

# --- 1. System packages and the Python venv ----------------------------------
say "setup: Debian packages (tools/setup.d/40-bench.sh) and $venv"
bash "$root/tools/setup.d/40-bench.sh"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! cmp -s "$bench/requirements.txt" "$venv/.ipckit-bench-requirements"; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$bench/requirements.txt"
  cp "$bench/requirements.txt" "$venv/.ipckit-bench-requirements"
fi
py="$venv/bin/python"

# --- 2. Build ---------------------------------------------------------------
bazel_flags=(-c opt)
say "bazel build ${bazel_flags[*]} //bench/cc:ipc_bench //bench/cc:shm_bench //bench/cc:shm_msg_bench //py:wheel"
bazel build "${bazel_flags[@]}" //bench/cc:ipc_bench //bench/cc:shm_bench //bench/cc:shm_msg_bench //py:wheel
bin="$(bazel info "${bazel_flags[@]}" bazel-bin 2>/dev/null)"
wheels=("$bin"/py/ipckit-*.whl)
if [ ! -f "${wheels[0]}" ]; then
  echo "run.sh: no wheel in $bin/py" >&2
  exit 1
fi
wheel="${wheels[-1]}"
stamp="$venv/.ipckit-wheel.sha256"
sum="$(sha256sum "$wheel" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
  "$py" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$wheel"
  echo "$sum" > "$stamp"
fi

# --- 3. Parameters ------------------------------------------------------------
if [ "$mode" = quick ]; then
  cc_args=(--rtt_iters=6000 --throughput_batches=4 --rounds=2)
  shm_args=(--iters=400)
  shm_msg_args=(--iters=3000 --rounds=2 --fill_iters=6)
  py_shm_msg_args=(--iters 2000 --big-iters 30 --rounds 2)
  rtt_args=(--iters 3000 --big-iters 100 --rounds 2)
  aio_args=(--iters 3000 --rounds 2)
  overhead_args=(--rounds 10)
  json_args=(--rounds 12 --target-ms 1)
  fc_args=(--iters 200)
else
  cc_args=(--rtt_iters=30000 --throughput_batches=10 --rounds=5)
  shm_args=(--iters=2000)
  shm_msg_args=(--iters=20000 --rounds=5 --fill_iters=20)
  py_shm_msg_args=(--iters 10000 --big-iters 200 --rounds 5)
  rtt_args=(--iters 12000 --big-iters 750 --rounds 5)
  aio_args=(--iters 15000 --rounds 5)
  overhead_args=(--rounds 30)
  json_args=(--rounds 40 --target-ms 2)
  fc_args=(--iters 1000)
fi
# The Python shm_msg rows busy-wait in both processes, ipckit's and
# iceoryx2's alike: unpinned, whether the two spinners share a core decided
# the medians (0.1 ms to 20 ms for the same 1 MiB row), so they run with the
# driver on CPU 0 and its peer on CPU 1, as iceoryx2's own benchmarks pin.
if [ "$(nproc)" -ge 2 ]; then py_shm_msg_args+=(--pin 0,1); fi

# iceoryx2 keeps global state under /tmp/iceoryx2 and /dev/shm; remove it
# afterwards only if this run created it.
iceoryx_preexisting=0
[ -e /tmp/iceoryx2 ] && iceoryx_preexisting=1
cleanup() {
  # Closing the helper's stdin ends it, and with it the PM QoS request.
  if [ -n "${QOS_PID:-}" ]; then
    eval "exec ${QOS[1]}>&-"
    wait "$QOS_PID" 2>/dev/null || true
  fi
  if [ "$iceoryx_preexisting" = 0 ] && ! pgrep -f 'bench/py/rtt.py' >/dev/null; then
    rm -rf /tmp/iceoryx2
    rm -f /dev/shm/iox2_*_node.*.global_mgmt
  fi
}
trap cleanup EXIT

# Idle vCPUs poll instead of halting while the benchmarks run (see
# py/hold_cpu_latency.py); --no-pm-qos measures without that.
qos_state="not requested (--no-pm-qos)"
if [ "$pm_qos" = 1 ]; then
  coproc QOS { exec "$py" "$bench/py/hold_cpu_latency.py"; }
  read -r qos_state <&"${QOS[0]}" || qos_state="not held: the helper failed"
fi

rm -rf "$raw"
mkdir -p "$raw"
"$py" "$bench/py/report.py" machine --out "$raw/machine.json" --cpu-latency "$qos_state"
say "PM QoS cpu_dma_latency=0: $qos_state"
say "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# run_suite NAME SECONDS COMMAND...: runs one benchmark (JSON lines into
# $raw/NAME.jsonl, progress to the terminal) under a time limit. A failed
# suite is recorded and the others still run.
failed_suites=()
run_suite() {
  local name="$1" limit="$2"; shift 2
  say "$name ($(( SECONDS - started )) s so far)"
  if ! timeout --kill-after=10 "$limit" "$@" > "$raw/$name.jsonl"; then
    echo "run.sh: suite $name failed or timed out (limit ${limit}s)" >&2
    failed_suites+=("$name")
    printf '{"suite": "%s", "method": "(whole suite)", "size": 0, "skipped": "the suite failed or timed out; see the run log"}\n' \
      "$name" >> "$raw/$name.jsonl"
  fi
}

run_suite cc_ipc 300 "$bin/bench/cc/ipc_bench" "${cc_args[@]}"
run_suite cc_shm 300 "$bin/bench/cc/shm_bench" "${shm_args[@]}"
run_suite cc_shm_msg 300 "$bin/bench/cc/shm_msg_bench" "${shm_msg_args[@]}"
run_suite py_shm_msg 300 "$py" "$bench/py/shm_msg_bench.py" "${py_shm_msg_args[@]}"
run_suite py_rtt 600 "$py" "$bench/py/rtt.py" "${rtt_args[@]}"
run_suite py_aio 300 "$py" "$bench/py/aio_bench.py" "${aio_args[@]}"
run_suite py_call_overhead 120 "$py" "$bench/py/call_overhead.py" "${overhead_args[@]}"
run_suite py_json 300 "$py" "$bench/py/json_bench.py" "${json_args[@]}"

# The Node and Chromium frontends run on the built npm package (js/dist, which
# js/run_tests.sh assembles); without it (or chromium) those rows are recorded
# as not measured.
node_args=(--node-skip-reason "js/dist/esm/index.js is missing: run js/run_tests.sh to build the npm package")
browser_args=(--browser-skip-reason "js/dist/esm/index.js is missing: run js/run_tests.sh to build the npm package")
if [ -f "$root/js/dist/esm/index.js" ] && command -v node >/dev/null; then
  node_args=(--node-frontend "$bench/js/file_channel_frontend.mjs")
  if [ -x "${IPCKIT_CHROMIUM:-/usr/bin/chromium}" ]; then
    browser_args=(--browser-frontend "$bench/js/browser_frontend.mjs")
  else
    browser_args=(--browser-skip-reason "no chromium at ${IPCKIT_CHROMIUM:-/usr/bin/chromium}: run tools/setup.sh")
  fi
fi
# Their channel directories go on tmpfs when there is one: on an ext4 /tmp
# each replace-by-rename of a channel file waits on the disk journal (see
# bench/py/file_channel_bench.py); each result records its channel_root.
fc_root=()
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  fc_root=(--channel-root /dev/shm)
fi
run_suite py_file_channel 300 "$py" "$bench/py/file_channel_bench.py" "${fc_args[@]}" "${fc_root[@]}" \
  "${node_args[@]}" "${browser_args[@]}"

# --- 4. Report ------------------------------------------------------------------
say "report ($(( SECONDS - started )) s)"
"$py" "$bench/py/report.py" render --raw "$raw" --out "$results" --mode "$mode"
echo
echo "run.sh: wrote $results/results.md, results.json and plots in $(( SECONDS - started )) s" >&2
if [ "${#failed_suites[@]}" -gt 0 ]; then
  echo "run.sh: failed suites: ${failed_suites[*]}" >&2
  exit 1
fi
